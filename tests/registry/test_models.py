"""Registry models: derived state, invariants held by the database, append-only history."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from fengqiao.core.scoping import ScopeNotApplied
from fengqiao.registry import history
from fengqiao.registry.choices import CareTagKind, HistoryAction, ImportStatus, RecordKind, ResidenceType
from fengqiao.registry.models import CareTag, ImportBatch, Person, RecordHistory
from tests.fixtures.registry import make_address, make_house, make_person, make_residence

pytestmark = pytest.mark.django_db


def test_records_take_their_grids_scope_path_and_search_keys(territory):
    # given / when
    address = make_address(territory.grid_a, street="利民街", door_plate="12", building="3", room="301")
    person = make_person(address, name="单雄信")

    # then
    assert address.scope_path == territory.grid_a.scope_path
    assert person.scope_path == territory.grid_a.scope_path
    assert address.full_text == "金积镇金积村利民街12号3栋301室"
    assert (person.name_pinyin, person.name_initials) == ("shanxiongxin", "sxx")


def test_scoped_registry_queries_fail_closed(territory):
    make_person(make_address(territory.grid_a))

    with pytest.raises(ScopeNotApplied):
        list(Person.objects.all())


def test_hukou_consistency_follows_the_registration_relation(territory):
    # given a person registered (户籍) at house 1
    home = make_house(make_address(territory.grid_a))
    elsewhere = make_address(territory.grid_a)
    person = make_person(home.address)
    make_residence(person, home, ResidenceType.HUKOU)

    # then living there is 人户一致; moving away is 人户分离
    assert person.hukou_consistent is True
    person.current_address = elsewhere
    assert person.hukou_consistent is False


def test_hukou_consistency_falls_back_to_the_registered_address_text(territory):
    address = make_address(territory.grid_a, street="利民街", door_plate="5")
    person = make_person(address, hukou_address="宁夏吴忠市利通区金积镇金积村利民街5号")
    unknown = make_person(address)

    assert person.hukou_consistent is True
    assert unknown.hukou_consistent is None


def test_a_risk_grade_belongs_to_mental_illness_tags_only(territory):
    person = make_person(make_address(territory.grid_a))

    with pytest.raises(IntegrityError), transaction.atomic():
        CareTag.objects.create(person=person, kind=CareTagKind.DRUG_USER, risk_grade=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        CareTag.objects.create(person=person, kind=CareTagKind.MENTAL_ILLNESS, risk_grade=6)
    tag = CareTag.objects.create(person=person, kind=CareTagKind.MENTAL_ILLNESS, risk_grade=3)
    assert tag.scope_path == person.scope_path


def test_only_one_import_of_a_file_runs_at_a_time(personas):
    batch = {"kind": RecordKind.PERSON, "file_name": "a.csv", "file_sha256": "ab" * 32, "file_format": "csv"}
    ImportBatch.objects.create(actor=personas.admin, status=ImportStatus.DONE, **batch)
    ImportBatch.objects.create(actor=personas.admin, status=ImportStatus.RUNNING, **batch)

    with pytest.raises(IntegrityError), transaction.atomic():
        ImportBatch.objects.create(actor=personas.admin, status=ImportStatus.QUEUED, **batch)


def test_bulk_history_numbers_versions_per_record(personas):
    # given two people, one of them with a history already
    a = make_person(make_address(personas.territory.grid_a))
    b = make_person(make_address(personas.territory.grid_a))
    history.record_change(a, action=HistoryAction.CREATE, before=None, actor=personas.admin)

    # when the importer writes three rows at once
    rows = [
        history.history_row(a, action=HistoryAction.UPDATE, before={"name": "张三"}, after={"name": "张叁"}),
        history.history_row(b, action=HistoryAction.CREATE, after={"name": "张三"}),
        history.history_row(a, action=HistoryAction.UPDATE, before={"phone": ""}, after={"phone": "1"}),
    ]
    assert history.write_history(rows) == 3

    # then each record's versions continue from its last one
    assert [r.version for r in history.history_of(a)] == [1, 2, 3]
    assert [r.version for r in history.history_of(b)] == [1]


def test_history_is_append_only(personas):
    person = make_person(make_address(personas.territory.grid_a))
    row = history.record_change(person, action=HistoryAction.CREATE, before=None, actor=personas.admin)

    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        RecordHistory.objects.filter(pk=row.pk).update(reason="x")
    with pytest.raises(PermissionError):
        RecordHistory.objects.all().delete()


def test_the_user_and_the_batch_a_history_row_names_cannot_be_deleted(personas):
    # given a change by a worker, made by an import batch (the log's references to them are not
    # database constraints)
    from django.db.models import ProtectedError

    worker = personas.grid_a
    batch = ImportBatch.objects.create(kind=RecordKind.PERSON, file_sha256="0" * 64, actor=personas.admin)
    person = make_person(make_address(personas.territory.grid_a))
    history.record_change(person, action=HistoryAction.CREATE, before=None, actor=worker, batch=batch)

    # then neither can go, and the row still names both
    with pytest.raises(ProtectedError):
        worker.delete()
    with pytest.raises(ProtectedError):
        batch.delete()
    row = RecordHistory.objects.get(record_id=person.pk)
    assert (row.actor, row.batch) == (worker, batch)


def test_history_shows_numbers_masked(personas):
    person = make_person(make_address(personas.territory.grid_a), phone="13912345678")
    row = history.record_change(person, action=HistoryAction.CREATE, before=None, actor=personas.admin)

    shown = {name: after for name, _, after in history.masked_changes(row)}
    assert shown["id_number"] == person.id_number[:4] + "*" * 12 + person.id_number[-2:]
    assert shown["phone"] == "139****5678"
    assert row.after["id_number"] == person.id_number


def test_residence_dates_must_be_ordered(territory):
    house = make_house(make_address(territory.grid_a))
    person = make_person(house.address)

    with pytest.raises(IntegrityError), transaction.atomic():
        make_residence(person, house, start_date=dt.date(2024, 5, 1), end_date=dt.date(2024, 4, 1))


def test_the_admin_shows_personal_numbers_masked(client, personas):
    # given
    person = make_person(make_address(personas.territory.grid_a), phone="13912345678")
    client.force_login(personas.admin)

    # when
    listing = client.get("/admin/registry/person/").content.decode()
    page = client.get(f"/admin/registry/person/{person.pk}/change/").content.decode()

    # then
    for html in (listing, page):
        assert person.id_number[:4] + "*" * 12 + person.id_number[-2:] in html
        assert person.id_number not in html
        assert "13912345678" not in html


def test_the_admin_cannot_change_registry_records(rf, personas):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = personas.admin

    for model in (Person, CareTag, RecordHistory):
        model_admin = admin.site._registry.get(model)
        if model is CareTag:
            assert model_admin is None  # care-tag reads are audited: only through the registry's pages
            continue
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
