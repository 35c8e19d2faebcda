"""Chinese by default, English on request, and a committed catalogue that says what its source says."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils.translation import template as template_i18n

from fengqiao.web.management.commands.compile_translations import catalogues, is_current

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
TEMPLATES = Path(settings.BASE_DIR) / "web" / "templates"
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_pages_are_in_chinese_by_default(client, personas):
    # when someone opens the log-in page and, logged in, the home page, without asking for a language
    login = client.get("/login/")
    client.force_login(personas.station)
    home = client.get("/")
    # then both are in Chinese, down to the model's choice labels
    assert html_lang(login) == html_lang(home) == "zh-hans"
    assert "登录" in login.content.decode()
    body = home.content.decode()
    for text in ("首页", "网格", "管辖范围", "派出所", "警务区", "退出"):
        assert text in body
    assert "Log out" not in body and "Your scope" not in body


def test_the_language_switch_turns_the_pages_to_english_and_back(client, personas):
    client.force_login(personas.station)
    # when the station chief picks English in the switch on the grid list
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/grids/"})
    # then they are back on the grid list, in English
    assert response.status_code == 302 and response["Location"] == "/grids/"
    page = client.get("/grids/")
    assert html_lang(page) == "en"
    assert "Police district" in page.content.decode() and "警务区" not in page.content.decode().replace(
        "金积第一警务区", ""
    ).replace("金积第二警务区", "")
    # and picking 简体中文 brings Chinese back
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/grids/"})
    assert html_lang(client.get("/grids/")) == "zh-hans"


def test_the_switch_is_on_every_page_including_log_in(client):
    # when an anonymous visitor opens the log-in page
    body = client.get("/login/").content.decode()
    # then it offers both languages, each named in its own language, with the current one pressed
    assert 'action="/i18n/setlang/"' in body
    assert re.search(r'value="zh-hans"[^>]*aria-pressed="true"', body)
    assert re.search(r'value="en"[^>]*aria-pressed="false"[^>]*>English<', body)


def test_the_committed_mo_says_what_the_po_says():
    # given the committed catalogues
    found = catalogues()
    assert PO_PATH in found
    # then each compiled .mo holds exactly the translations of its .po (run compile_translations)
    stale = [str(p) for p in found if not is_current(p)]
    assert not stale, f"out of date: {stale}; run `fengqiao compile_translations`"


def test_the_check_fails_on_a_stale_mo(tmp_path, settings):
    # given a catalogue whose .mo was compiled before a translation changed
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=1; plural=0;"}
    po.append(polib.POEntry(msgid="Grids", msgstr="网格"))
    folder = tmp_path / "zh_Hans" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po.save(str(folder / "django.po"))
    settings.LOCALE_PATHS = [tmp_path]
    call_command("compile_translations")
    call_command("compile_translations", "--check")
    po[0].msgstr = "格子"
    po.save(str(folder / "django.po"))
    # when the check runs, then it fails naming the file
    with pytest.raises(CommandError, match="django.mo"):
        call_command("compile_translations", "--check")


def all_entries() -> list[polib.POEntry]:
    """The live entries of every catalogue: the project's and its apps' own."""
    return [e for path in catalogues() for e in polib.pofile(str(path)) if not e.obsolete]


@pytest.mark.parametrize("path", catalogues(), ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_every_message_is_translated_with_its_placeholders(path):
    po = polib.pofile(str(path))
    # then no entry is left untranslated or fuzzy
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    # and each translation keeps the placeholders of its source
    for entry in po.translated_entries():
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(entry.msgid)), entry.msgid


def template_messages() -> set[str]:
    """The msgids of {% translate %} and {% blocktranslate %} in the web templates, the way
    makemessages finds them."""
    found = set()
    string = r"u?'((?:[^'\\]|\\.)*)'"
    plain = re.compile(r"\bn?gettext\(\s*" + string)
    with_context = re.compile(r"\bn?pgettext\(\s*" + string + r"\s*,\s*" + string)
    for path in TEMPLATES.rglob("*.html"):
        code = template_i18n.templatize(path.read_text(), origin=str(path))
        messages = plain.findall(code) + [msgid for _context, msgid in with_context.findall(code)]
        found.update(m.encode().decode("unicode_escape").encode("latin-1").decode() for m in messages)
    return found


def test_every_template_string_is_in_the_catalogue():
    # given the strings the templates mark for translation
    wanted = template_messages()
    assert "Your scope" in wanted and "%(counter)s grid" in wanted
    # then the catalogue has each of them (run makemessages, translate, compile)
    known = {e.msgid for e in all_entries()}
    assert sorted(wanted - known) == []


def test_no_two_catalogues_translate_a_message_differently():
    said: dict[tuple, set[str]] = {}
    for entry in all_entries():
        said.setdefault((entry.msgctxt, entry.msgid), set()).add(entry.msgstr)
    assert {key: texts for key, texts in said.items() if len(texts) > 1} == {}
