"""Export of a scoped selection to CSV and XLSX: scope, masking, the audit entry, the command and
the page."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import include, path, reverse
from django.utils import translation

import fengqiao.urls
from fengqiao.core.models import AuditEntry
from fengqiao.registry.exporting import export_records
from fengqiao.registry.importing.columns import PEOPLE
from fengqiao.registry.importing.runner import run_import
from tests.fixtures.registry import make_address, make_house, make_person
from tests.registry.files import read_csv, read_xlsx

urlpatterns = [path("imports/", include("fengqiao.web.imports.urls")), *fengqiao.urls.urlpatterns]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    with translation.override("en"):
        yield


@pytest.fixture
def world(personas):
    t = personas.territory
    home, away = make_address(t.grid_a, door_plate="1"), make_address(t.grid_b, door_plate="2")
    make_person(home, name="张三", id_number="11010519491231002X", phone="13912345678")
    make_person(away, name="李四")
    make_house(home, area_m2="80.5")
    return home, away


def test_a_csv_export_holds_the_scope_masked_and_is_audited(personas, world, tmp_path):
    # when grid A's community officer exports people
    out = tmp_path / "people.csv"
    count = export_records(actor=personas.officer, kind="people", fmt="csv", path=out)

    # then only their scope, numbers masked, the template's columns
    rows = read_csv(out, encoding="utf-8-sig")
    assert count == 1 and len(rows) == 2
    assert rows[0] == [c.header for c in PEOPLE.columns]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["姓名"], row["性别"], row["公民身份号码"], row["联系电话"]) == (
        "张三",
        "女",
        "1101************2X",
        "139****5678",
    )
    assert row["现住址"] == world[0].full_text and row["网格编码"] == personas.territory.grid_a.code
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor == personas.officer
    assert entry.after == {
        "count": 1,
        "kind": "people",
        "format": "csv",
        "filter": {"grids": [], "include_retired": False},
        "masked": True,
    }


def test_roles_that_see_whole_numbers_export_them_whole(personas, world, tmp_path, settings):
    settings.FENGQIAO_REGISTRY_WHOLE_NUMBER_ROLES = ["community_officer"]
    out = tmp_path / "people.xlsx"
    export_records(actor=personas.officer, kind="people", fmt="xlsx", path=out)
    rows = read_xlsx(out)
    assert (
        rows[1][0] == "11010519491231002X"
        and rows[1][PEOPLE.columns.index(PEOPLE.column("phone"))] == "13912345678"
    )
    assert AuditEntry.objects.get(action="export").after["masked"] is False


def test_a_grid_filter_and_its_errors(personas, world, tmp_path):
    t = personas.territory
    out = tmp_path / "houses.csv"
    assert (
        export_records(actor=personas.station, kind="houses", fmt="csv", path=out, grids=[t.grid_b.code]) == 0
    )
    assert (
        export_records(actor=personas.station, kind="houses", fmt="csv", path=out, grids=[t.grid_a.code]) == 1
    )
    assert read_csv(out, encoding="utf-8-sig")[1][5] == "80.5"
    with pytest.raises(ValidationError):
        export_records(actor=personas.grid_a, kind="houses", fmt="csv", path=out, grids=[t.grid_b.code])
    with pytest.raises(PermissionDenied):
        export_records(actor=personas.resident, kind="people", fmt="csv", path=out)


def test_an_exported_address_file_imports_back_unchanged(personas, world, tmp_path):
    out = tmp_path / "addresses.xlsx"
    assert export_records(actor=personas.station, kind="addresses", fmt="xlsx", path=out) == 2
    batch = run_import("addresses", out, actor=personas.station)
    assert batch.counts() == {"read": 2, "inserted": 0, "updated": 0, "unchanged": 2, "rejected": 0}


def test_the_export_command(personas, world, tmp_path):
    out = tmp_path / "people.csv"
    call_command("export_registry", "people", str(out), "--actor", "station", stdout=None)
    assert len(read_csv(out, encoding="utf-8-sig")) == 3
    with pytest.raises(CommandError):
        call_command("export_registry", "people", str(tmp_path / "people.pdf"), "--actor", "station")
    with pytest.raises(CommandError):
        call_command("export_registry", "people", str(out), "--actor", "resident")


def test_the_export_page_sends_the_file_and_audits_it(client, personas, world):
    client.force_login(personas.officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("registry_export"), {"kind": "people", "format": "csv", "grid": ""})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="people.csv"')
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "1101************2X" in body and "李四" not in body
    assert AuditEntry.objects.filter(action="export", actor=personas.officer).count() == 1
    bad = client.get(reverse("registry_export"), {"kind": "people", "format": "csv", "grid": "999"})
    assert bad.status_code == 400


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_texts_that_look_like_formulas_are_neutralised(personas, world, tmp_path, fmt):
    # given people and a house whose texts begin like formulas
    home, _away = world
    for i, text in enumerate(FORMULAS):
        make_person(home, name=text, phone="1391234567" + str(i))
    out = tmp_path / f"people.{fmt}"
    # when they are exported
    export_records(actor=personas.city, kind="people", fmt=fmt, path=out)
    # then no cell is a formula, and every text is kept
    if fmt == "csv":
        cells = [cell for row in read_csv(out) for cell in row]
        for text in FORMULAS:
            assert "'" + text in cells
            assert text not in cells
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(out).active
        values = [c for row in sheet.iter_rows() for c in row]
        assert not [c for c in values if c.data_type == "f"]
        texts = {c.value for c in values}
        assert set(FORMULAS) - {"\r=1"} <= texts  # XML keeps no bare carriage return
