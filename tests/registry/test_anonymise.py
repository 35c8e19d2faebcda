"""People who have left the area are kept for FENGQIAO_DEPARTED_RETENTION_DAYS, then the worker's
job anonymises them: who they were goes from the record, its history and its care tags; what
statistics need stays; the run is one audit entry listing the ids."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from fengqiao.core import periodic
from fengqiao.core.commands import system_user
from fengqiao.core.context import Source, acting_as
from fengqiao.core.models import AuditEntry
from fengqiao.registry import actions, search
from fengqiao.registry.choices import CareTagKind, ResidenceType
from fengqiao.registry.models import CareTag, Person, RecordHistory, Residence
from tests.fixtures.registry import make_address, make_house, make_person, make_residence

RETENTION = 1095


@pytest.fixture(autouse=True)
def retention(settings):
    settings.DEPARTED_RETENTION_DAYS = RETENTION


def departed(person, officer, *, days_ago: int) -> Person:
    """Retire the person through the action (history, audit), then date the retirement back."""
    with acting_as(officer, Source.WEB):
        actions.retire_person(person, actor=officer, reason="迁出本辖区")
    Person.objects.unscoped(reason="test").filter(pk=person.pk).update(
        retired_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return Person.objects.unscoped(reason="test").get(pk=person.pk)


@pytest.fixture
def world(personas):
    t = personas.territory
    home = make_address(t.grid_a, street="利宁街")
    house = make_house(home)
    with acting_as(personas.officer, Source.WEB):
        gone = actions.record_person(
            actor=personas.officer,
            data={
                "id_number": "640302199001011238",
                "name": "马小龙",
                "sex": "M",
                "phone": "13995001234",
                "current_address": home,
                "hukou_address": "宁夏吴忠市利通区金积镇金积村3组",
                "workplace": "吴忠市某商贸公司",
            },
        )
    make_residence(gone, house, ResidenceType.RENTING, start_date=dt.date(2020, 3, 1), note="房东马某")
    CareTag.objects.create(person=gone, kind=CareTagKind.DRUG_USER, note="2019年强戒", grid=gone.grid)
    recent = make_person(make_address(t.grid_a), name="李梅", phone="13995004321")
    return {
        "gone": departed(gone, personas.officer, days_ago=RETENTION + 30),
        "recent": departed(recent, personas.officer, days_ago=RETENTION - 30),
        "house": house,
    }


def run_job():
    job = {j.name: j for j in periodic.jobs()}["anonymise departed"]
    with acting_as(system_user(), Source.WORKER):
        return job.run()


def test_a_departed_person_past_the_period_is_anonymised_and_one_inside_is_not(world, personas):
    gone, recent = world["gone"], world["recent"]
    # when the worker's job runs
    ids = run_job()
    # then the one retired more than the period ago is anonymised
    assert ids == [gone.pk]
    after = Person.objects.unscoped(reason="test").get(pk=gone.pk)
    assert after.name == actions.ANONYMOUS_NAME
    assert after.id_number != "640302199001011238" and "199001" not in after.id_number
    assert (after.phone, after.hukou_address, after.workplace, after.current_address_id) == ("", "", "", None)
    # and what statistics need is kept: sex, birth year, grid, resident type, retirement
    assert (after.sex, after.birth_date, after.grid_id) == ("M", dt.date(1990, 1, 1), gone.grid_id)
    assert after.resident_type == gone.resident_type and after.retired_at == gone.retired_at
    # care tags are gone, the relation stays (ended) without its note
    assert not CareTag.objects.unscoped(reason="test").filter(person_id=gone.pk).exists()
    residence = Residence.objects.unscoped(reason="test").get(person_id=gone.pk)
    assert residence.note == "" and residence.end_date is not None
    # and the one retired inside the period is untouched
    kept = Person.objects.unscoped(reason="test").get(pk=recent.pk)
    assert (kept.name, kept.phone, kept.id_number) == ("李梅", "13995004321", recent.id_number)


def test_history_and_audit_say_so_and_keep_nothing_of_who_it_was(world, personas):
    gone = world["gone"]
    run_job()
    # the history of the person, its care tag and its relations no longer holds who they were
    rows = RecordHistory.objects.all()
    text = json.dumps([[r.before, r.after] for r in rows], ensure_ascii=False)
    for secret in (
        "640302199001011238",
        "马小龙",
        "13995001234",
        "金积村3组",
        "某商贸公司",
        "强戒",
        "房东马某",
    ):
        assert secret not in text
    # and says it was anonymised, by whom and why
    last = RecordHistory.objects.filter(record_kind="person", record_id=gone.pk).order_by("-version").first()
    assert last.after["anonymised"] is True and last.actor.username == "system"
    assert str(RETENTION) in last.reason
    # the audit has one entry for the run, listing the ids
    entry = AuditEntry.objects.filter(action="registry_anonymise").get()
    assert entry.after["ids"] == [gone.pk] and entry.actor.username == "system"
    # a second run anonymises no one again, and is on the record too
    assert run_job() == []
    runs = AuditEntry.objects.filter(action="registry_anonymise").order_by("id")
    assert [run.after["ids"] for run in runs] == [[gone.pk], []]


def test_a_search_by_their_id_number_finds_nothing_afterwards(world, personas):
    gone, recent = world["gone"], world["recent"]
    with acting_as(personas.city, Source.WEB):
        assert [p.pk for p in search.search_people(personas.city, gone.id_number, include_retired=True)] == [
            gone.pk
        ]
    run_job()
    with acting_as(personas.city, Source.WEB):
        assert list(search.search_people(personas.city, "640302199001011238", include_retired=True)) == []
        assert list(search.search_people(personas.city, "13995001234", include_retired=True)) == []
        assert list(search.search_people(personas.city, "马小龙", include_retired=True)) == []
        found = search.search_people(personas.city, recent.id_number, include_retired=True)
        assert [p.pk for p in found] == [recent.pk]


def test_only_the_system_anonymises(world, personas):
    with pytest.raises(PermissionDenied):
        actions.anonymise_departed(actor=personas.station)
    assert Person.objects.unscoped(reason="test").get(pk=world["gone"].pk).name == "马小龙"


def test_dispute_parties_who_were_departed_people_are_anonymised_by_the_same_job(world, personas, register):
    from fengqiao.disputes.actions import PartyData
    from fengqiao.disputes.models import DisputeParty

    # given a person of the registry who is a party, linked, in one dispute, and entered by their
    # whole ID number in another, beside a party who is someone else
    person = make_person(make_address(personas.territory.grid_a), name="杨帆", phone="13995007777")
    linked = register(
        parties=[
            PartyData(role="applicant", person=person),
            PartyData(role="respondent", name="乙某", id_number="11010519491231002X", phone="13912345678"),
        ]
    )
    by_number = register(applicant=person.id_number, respondent="640302199001011238")
    number = person.id_number
    gone = departed(person, personas.officer, days_ago=RETENTION + 1)
    # when the worker's job runs
    ids = run_job()
    # then the person and every party they were lose who they were, the others keep it
    assert gone.pk in ids
    parties = DisputeParty.objects.filter(dispute__in=[linked, by_number]).order_by("pk")
    was_them = [p for p in parties if p.name == actions.ANONYMOUS_NAME]
    assert len(was_them) == 2 + 1  # 杨帆 twice, and 马小龙 (world's departed person) by number
    assert all((p.id_number, p.phone, p.address) == ("", "", "") for p in was_them)
    assert not DisputeParty.objects.filter(id_number=number).exists()
    assert DisputeParty.objects.get(dispute=linked, role="respondent").id_number == "11010519491231002X"
    # and the run's audit entry lists the parties beside the people
    entry = AuditEntry.objects.filter(action="registry_anonymise").get()
    assert sorted(entry.after["dispute_parties"]) == sorted(p.pk for p in was_them)
    # the dispute itself stays on the ledger with its parties' roles
    assert sorted(p.role for p in parties) == ["applicant", "applicant", "respondent", "respondent"]
