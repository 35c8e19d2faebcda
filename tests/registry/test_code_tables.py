"""民族, 婚姻状况 and 文化程度 are kept as national codes (GB/T 3304, 2261.2, 4658): one rule takes a
code, the standard's name or a station's short form, and refuses anything else naming the field,
through the form, the API and the importer; pages show the name; the migration converts what
was typed before and keeps what it cannot read in the person's history."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import translation

from fengqiao.registry import rules
from fengqiao.registry.code_tables import (
    EDUCATION_TABLE,
    ETHNICITY_TABLE,
    PERSON_CODE_FIELDS,
    Ethnicity,
    MaritalStatus,
)
from fengqiao.registry.importing.runner import run_import
from fengqiao.registry.models import Person, RecordHistory
from fengqiao.registry.validators import InvalidValue
from tests.fixtures import registry as registry_fixtures
from tests.fixtures.api import fields_of
from tests.fixtures.registry import valid_id_number
from tests.registry.files import read_csv, write_csv

world = registry_fixtures.registry_world
migration = importlib.import_module("fengqiao.registry.migrations.0009_person_code_tables")


def everyone():
    return Person.objects.unscoped(reason="test: what is in the database")


def coded(field, value):
    choices, words, standard = PERSON_CODE_FIELDS[field]
    return rules.coded(value, choices, words, table=standard)


def test_the_tables_are_the_standards():
    assert len(ETHNICITY_TABLE) == 58  # 56 groups, 其他, 外国血统中国籍人士
    assert [code for _m, code, _zh, _l in ETHNICITY_TABLE][:3] == ["01", "02", "03"]
    assert (Ethnicity.HUI.value, Ethnicity.FOREIGN_ORIGIN.value) == ("03", "98")
    assert list(MaritalStatus.values) == ["10", "20", "21", "22", "23", "30", "40", "90"]
    assert {code for _m, code, _zh, _l in EDUCATION_TABLE} >= {"10", "21", "31", "61", "71", "81", "90"}


@pytest.mark.parametrize(
    ("field", "written", "code"),
    [
        ("ethnicity", "汉族", "01"),
        ("ethnicity", "汉", "01"),
        ("ethnicity", " 回族 ", "03"),
        ("ethnicity", "3", "03"),
        ("ethnicity", "０３", "03"),
        ("ethnicity", "维吾尔", "05"),
        ("ethnicity", "Hui", "03"),
        ("ethnicity", "", ""),
        ("marital_status", "已婚", "20"),
        ("marital_status", "离异", "40"),
        ("marital_status", "20", "20"),
        ("education", "大专", "30"),
        ("education", "初中毕业", "71"),
        ("education", "文盲或半文盲", "90"),
        ("education", "14", "14"),
    ],
)
def test_a_code_a_name_or_a_stations_spelling_reads_as_the_code(field, written, code):
    assert coded(field, written) == code


@pytest.mark.parametrize(
    ("field", "written"),
    [("ethnicity", "火星族"), ("ethnicity", "99"), ("marital_status", "同居"), ("education", "x")],
)
def test_anything_else_is_refused_naming_the_table(field, written):
    with pytest.raises(InvalidValue) as refused:
        coded(field, written)
    assert PERSON_CODE_FIELDS[field][2] in refused.value.reason


def test_the_form_offers_the_table_and_the_page_shows_the_name(client, world):
    client.force_login(world.personas.grid_a)
    form = client.get("/registry/people/new/").context["form"]
    with translation.override("zh-hans"):
        assert str(dict(form.fields["ethnicity"].choices)["03"]) == "回族"
        assert str(dict(form.fields["education"].choices)["30"]) == "大学专科教育"
    # when a person is recorded choosing from the selects
    response = client.post(
        "/registry/people/new/",
        {
            "id_number": valid_id_number(sex="F"),
            "name": "马兰",
            "current_address": world.address_a.code,
            "resident_type": "registered",
            "ethnicity": "03",
            "marital_status": "20",
            "education": "31",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    person = everyone().get(name="马兰")
    assert (person.ethnicity, person.marital_status, person.education) == ("03", "20", "31")
    page = client.get(response["Location"]).content.decode()
    assert "回族" in page and "大学专科毕业" in page and "已婚" in page
    # and a value not in the table is refused on its field
    refused = client.post(
        "/registry/people/new/",
        {
            "id_number": valid_id_number(),
            "name": "某人",
            "current_address": world.address_a.code,
            "resident_type": "registered",
            "ethnicity": "火星族",
        },
    )
    assert list(refused.context["form"].errors) == ["ethnicity"]


def test_the_api_takes_a_code_or_a_name_and_refuses_others_naming_the_field(api, world):
    payload = {"name": "杨军", "id_number": valid_id_number(sex="M"), "current_address": world.address_a.code}
    # given a name as stations write it, the code is kept and given back
    made = api.post(
        "/api/v1/registry/people",
        {**payload, "ethnicity": "汉", "education": "本科"},
        as_=world.personas.grid_a,
    )
    assert made.status_code == 201, made.content
    assert (made.json()["ethnicity"], made.json()["education"]) == ("01", "20")
    # an unknown value is 422 on its field, and nothing is written
    refused = api.post(
        "/api/v1/registry/people",
        {**payload, "id_number": valid_id_number(sex="M"), "name": "杨二", "marital_status": "同居"},
        as_=world.personas.grid_a,
    )
    assert refused.status_code == 422, refused.content
    assert fields_of(refused) == {"marital_status"}
    assert not everyone().filter(name="杨二").exists()


def test_the_importer_reads_station_spellings_and_reports_unknown_ones_by_column(
    personas, tmp_path, settings
):
    settings.DATA_DIR = tmp_path / "data"
    grid = personas.territory.grid_a.code
    header = ["公民身份号码", "姓名", "网格编码", "民族", "婚姻状况", "文化程度"]
    rows = [
        [valid_id_number(sex="M"), "张三", grid, "汉", "已婚", "高中"],
        [valid_id_number(sex="M"), "李四", grid, "03", "10", "大学本科毕业"],
        [valid_id_number(sex="M"), "王五", grid, "火星族", "", ""],
    ]
    with translation.override("zh-hans"):
        batch = run_import("people", write_csv(tmp_path / "p.csv", header, rows), actor=personas.grid_a)
    assert (batch.inserted, batch.rejected) == (2, 1)
    kept = {p.name: (p.ethnicity, p.marital_status, p.education) for p in everyone()}
    assert kept == {"张三": ("01", "20", "60"), "李四": ("03", "10", "21")}
    errors = read_csv(batch.errors_file)
    assert errors[1][-3:-1] == ["4", "民族"]
    assert "GB/T 3304" in errors[1][-1]


def test_the_migration_converts_free_text_and_keeps_what_it_cannot_read_in_history(registry_world):
    # given people recorded before the code tables, in free text (written past the rules)
    a, b = registry_world.person_a, registry_world.person_b
    everyone().filter(pk=a.pk).update(ethnicity="汉族", marital_status="已婚", education="大专")
    everyone().filter(pk=b.pk).update(ethnicity="穿青人", marital_status="离异", education="私塾")
    versions = RecordHistory.objects.filter(record_kind="person", record_id=b.pk).count()
    # when the migration runs (on the models as they stood then)
    state = MigrationLoader(connection).project_state(("registry", "0009_person_code_tables"))
    migration.to_codes(state.apps, None)
    # then the names are codes, and what names no code is emptied and kept in the history
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.ethnicity, a.marital_status, a.education) == ("01", "20", "30")
    assert (b.ethnicity, b.marital_status, b.education) == ("", "40", "")
    entry = RecordHistory.objects.get(record_kind="person", record_id=b.pk, version=versions + 1)
    assert entry.before == {"ethnicity": "穿青人", "education": "私塾"}
    assert entry.after == {"ethnicity": "", "education": ""}
    assert "原填写内容" in entry.reason
    assert not RecordHistory.objects.filter(record_kind="person", record_id=a.pk, reason=migration.REASON)
    # and running it again changes nothing
    migration.to_codes(state.apps, None)
    assert RecordHistory.objects.filter(reason=migration.REASON).count() == 1
