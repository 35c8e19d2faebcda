"""Form errors sit at their field and are summed up at the top, each a link to its field, through
one shared partial (web/_form_errors.html) that every form page includes."""

import re
from pathlib import Path

import pytest

from fengqiao.disputes.models import Dispute
from tests.fixtures import registry as registry_fixtures
from tests.fixtures.disputes import APPLICANT_ID

world = registry_fixtures.registry_world
TEMPLATES = Path(__file__).resolve().parents[2] / "fengqiao" / "web" / "templates"
FORM_PAGES = [
    "web/events/new.html",
    "portal/report.html",
    "web/registry/form.html",
    "web/registry/retire.html",
    "web/disputes/register.html",
    "web/disputes/form.html",
    "web/disputes/screening.html",
    "registration/login.html",
    "registration/password_change.html",
    "registration/_code_form.html",
    "web/grid_form.html",
    "web/imports/index.html",
]

pytestmark = pytest.mark.django_db


def summary_links(html: str) -> dict[str, str]:
    """{target id: text} of the links in the error summary."""
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary is not None, "no error summary"
    return {
        target: re.sub(r"\s+", " ", text).strip()
        for target, text in re.findall(r'<a href="#([^"]+)">(.*?)</a>', summary.group(0), re.S)
    }


def error_at_field(html: str, input_id: str) -> str:
    """The error shown beside the input with this id (in its field's box)."""
    start = html.index(f'id="{input_id}"')
    box = html[
        start : html.index('<div class="field', start) if '<div class="field' in html[start:] else None
    ]
    errors = re.findall(r'<p class="error"[^>]*>(.*?)</p>', box, re.S)
    return " ".join(errors)


@pytest.mark.parametrize("template", FORM_PAGES)
def test_every_form_page_includes_the_shared_summary(template):
    assert '"web/_form_errors.html"' in (TEMPLATES / template).read_text(encoding="utf-8")


def test_a_person_form_sums_up_its_errors_with_links_to_the_fields(client, world):
    client.force_login(world.personas.grid_a)
    page = client.post(
        "/registry/people/new/",
        {
            "id_number": "110105194912310021",  # wrong check character
            "name": "",
            "current_address": world.address_a.code,
            "resident_type": "registered",
            "ethnicity": "火星族",
        },
    ).content.decode()
    links = summary_links(page)
    # then each error is a link to its field, which exists in the page and shows the error too
    assert set(links) == {"id_id_number", "id_name", "id_ethnicity"}, links
    for target, text in links.items():
        assert f'id="{target}"' in page
        assert text.split("：", 1)[1] in error_at_field(page, target)
    assert links["id_ethnicity"].startswith("民族：")


def test_a_partys_bad_id_number_shows_at_its_field_and_in_the_summary(client, personas):
    client.force_login(personas.officer)
    t = personas.territory
    payload = {
        "title": "邻里纠纷",
        "grid": t.grid_a.pk,
        "source": "screening",
        "category": "neighbours",
        "grade": "blue",
        "facts": "事实",
        "points": "争议",
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "2",
        "parties-MAX_NUM_FORMS": "20",
        "parties-0-role": "applicant",
        "parties-0-name": "甲某",
        "parties-0-id_number": APPLICANT_ID,
        "parties-1-role": "respondent",
        "parties-1-name": "乙某",
        "parties-1-id_number": "110105194912310021",
    }
    response = client.post("/disputes/new/", payload)
    assert response.status_code == 200
    page = response.content.decode()
    # the error is on the second party's ID field, not above the form as a sentence about party 2
    assert response.context["parties"].forms[1].errors.keys() == {"id_number"}
    assert not response.context["form"].non_field_errors()
    at_field = error_at_field(page, "id_parties-1-id_number")
    assert at_field
    links = summary_links(page)
    assert list(links) == ["id_parties-1-id_number"]
    assert links["id_parties-1-id_number"].startswith("当事人 2 · ")
    assert links["id_parties-1-id_number"].endswith(at_field.strip())
    assert not Dispute.objects.unscoped(reason="test").filter(title="邻里纠纷").exists()


def test_without_errors_there_is_no_summary(client, world):
    client.force_login(world.personas.grid_a)
    page = client.get("/registry/people/new/").content.decode()
    assert "error-summary" not in page
