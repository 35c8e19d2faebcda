"""Chinese that reads right, and forms that answer what the user meant (issue 15, items 7 and 8)."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from fengqiao.core.notifications.models import Notification
from fengqiao.disputes.choices import VisitMethod
from fengqiao.events.actions import move
from fengqiao.events.choices import Channel
from fengqiao.registry.models import Address, Person
from fengqiao.web.management.commands.compile_translations import catalogues
from tests.fixtures import registry as registry_fixtures
from tests.fixtures.registry import make_organisation

world = registry_fixtures.registry_world

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


SEARCHES = ["/registry/?q={}", "/registry/people/?q={}", "/registry/organisations/?q={}"]


@pytest.mark.parametrize("url", SEARCHES)
def test_a_few_digits_in_the_registry_search_are_a_partial_number_not_a_bad_phone(
    logged_in, personas, world, url
):
    # when a grid worker searches the registry for "6403"
    page = text(logged_in(personas.grid_a).get(url.format("6403")))
    # then it is not validated as a phone, and the page says how numbers are found
    assert "电话：" not in page and "不是中国大陆的手机或固定电话号码" not in page
    assert "请输入完整的身份证号或电话号码，或按姓名、地址查找" in page


def headers(page: str) -> list[str]:
    return re.findall(r"<th[^>]*>([^<]*)</th>", page)


def test_a_persons_name_reads_xingming_and_an_organisations_mingcheng(logged_in, personas, world):
    make_organisation(world.person_a.current_address, name="利民宾馆")
    client = logged_in(personas.station)
    people = text(client.get("/registry/people/"))
    assert "姓名" in headers(people) and "名称" not in headers(people)
    assert 'data-label="姓名"' in people
    organisations = text(client.get("/registry/organisations/"))
    assert "名称" in headers(organisations) and "姓名" not in headers(organisations)


def test_a_dispute_partys_name_and_role_read_right(logged_in, personas, register):
    dispute = register()
    client = logged_in(personas.officer)
    page = text(client.get(f"/disputes/{dispute.number}/"))
    # the parties' table: 当事人类别 (申请人/被申请人) and 姓名, not 职务 and 名称
    assert {"当事人类别", "姓名"} <= set(headers(page))
    assert "职务" not in page and "名称" not in headers(page)
    assert "申请人" in page and "被申请人" in page
    # and the form that registers a dispute labels its party fields the same way
    form = text(client.get("/disputes/new/"))
    assert "职务" not in form
    assert "当事人类别" in form and "姓名" in form


def test_the_screening_return_is_submitted_not_a_file(logged_in, personas):
    page = text(logged_in(personas.officer).get("/disputes/screening/"))
    form = page.split('id="screening-form"', 1)[1].split("</form>", 1)[0]
    assert re.search(r'<button type="submit" class="button">提交</button>', form)
    assert "文件" not in form


def test_the_intake_form_names_its_sections_and_channels_as_intake(logged_in, personas):
    page = text(logged_in(personas.grid_a).get("/events/new/"))
    form = page.split('id="intake"', 1)[1].split("</form>", 1)[0]
    # no section titled 操作: the first one says what it holds
    legends = re.findall(r"<legend>([^<]*)</legend>", form)
    assert "操作" not in legends and legends[0] == "事件内容"
    # the channels are ways an event comes in: a call from the public, not a follow-up call
    assert "电话回访" not in form
    assert '<option value="phone">群众来电</option>' in form
    # while a dispute's follow-up by phone is still a 电话回访
    assert str(VisitMethod.PHONE.label) == "电话回访"


def test_a_number_already_registered_is_said_in_plain_chinese(world):
    # given a person on file, when another record is checked with the same ID number
    twin = Person(id_number=world.person_a.id_number)
    with pytest.raises(ValidationError) as caught:
        twin.validate_unique()
    # then the reason is a sentence, not Django's "具有 公民身份号码 的 人员 已存在。"
    assert caught.value.message_dict["id_number"] == ["该公民身份号码已登记"]
    address = Address(code=world.person_a.current_address.code)
    with pytest.raises(ValidationError) as caught:
        address.validate_unique()
    assert caught.value.message_dict["code"] == ["该地址编码已登记"]


def test_a_case_notification_title_is_a_whole_chinese_sentence(personas, report):
    # when a resident reports an event and a grid worker files it
    event = report("0502", actor=personas.resident, channel=Channel.PORTAL)
    move(event, "file", actor=personas.grid_a, version=event.version)
    titles = set(Notification.objects.filter(title__startswith=event.number).values_list("title", flat=True))
    # then the staff's messages read as Chinese, not "E…: 新"
    assert f"{event.number}：新事件" in titles
    assert not any(t.endswith(": 新") or ": " in t for t in titles)
    assert all(re.fullmatch(rf"{re.escape(event.number)}：\w+", t) for t in titles), titles


# --- no English left where Chinese is read ------------------------------------------------------

TEMPLATES = Path(settings.BASE_DIR) / "web" / "templates"
# Names that are the same in every language: file formats, protocols, standards, units, CSS classes.
CODE_WORDS = {"API", "CSV", "XLSX", "STARTTLS", "Open311", "SHA-256", "km²"}
_REMOVED = [
    r"\{%\s*(blocktranslate|blocktrans)\b.*?\{%\s*end(?:blocktranslate|blocktrans)\s*%\}",
    r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}",
    r"\{#.*?#\}",
    r"<(script|style)\b.*?</\1>",
    r"<!--.*?-->",
    r"\{%\s*block\s+body_class\s*%\}.*?\{%\s*endblock\s*%\}",
]
_HUMAN_ATTRIBUTES = re.compile(r'\b(?:title|placeholder|aria-label|alt|data-label)="([^"]*)"')


def visible_text(source: str) -> list[str]:
    """The text a template shows outside {% translate %} and {% blocktranslate %}: the text between
    tags and the attributes people read, with template tags and variables taken out."""
    for pattern in _REMOVED:
        source = re.sub(pattern, " ", source, flags=re.S | re.I)
    attributes = _HUMAN_ATTRIBUTES.findall(source)
    source = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
    between = re.sub(r"<[^>]*>", "\n", source, flags=re.S).splitlines()
    texts = [re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", a, flags=re.S) for a in attributes] + between
    return [t.strip() for t in texts if t.strip()]


def untranslated(text: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w²\-]*", text) if w not in CODE_WORDS]
    return any(re.search(r"[A-Za-z]{2,}", w) for w in words)


def test_no_template_shows_english_outside_a_translation_tag():
    found = [
        f"{path.relative_to(TEMPLATES)}: {text}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for text in visible_text(path.read_text())
        if untranslated(text)
    ]
    assert found == []


def test_the_scan_finds_english_text_and_attributes():
    assert untranslated(" ".join(visible_text('<p title="Close">x</p>')))
    assert untranslated(" ".join(visible_text("<h2>Parties</h2>")))
    assert not visible_text('<h2>{% translate "Parties" %}</h2>{{ party.name }}')
    assert not untranslated(" ".join(visible_text("<a>XLSX</a> · <a>CSV</a> 3 km²")))


@pytest.mark.parametrize("path", catalogues(), ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_every_catalogue_entry_is_translated_into_chinese(path):
    po = polib.pofile(str(path))
    assert [e.msgid for e in po if not e.obsolete and (e.fuzzy or not e.translated())] == []
    english = [
        e.msgid
        for e in po.translated_entries()
        if not e.msgid_plural
        and untranslated(re.sub(r"%\(\w+\)[sdif]|<[^>]*>|&\w+;|\w+\[", " ", e.msgstr))
        and not re.search(r"[\u3400-\u9fff]", e.msgstr)
    ]
    assert english == []
