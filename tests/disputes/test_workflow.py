"""A dispute's life through the ledger's actions and the casework engine."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from fengqiao.core import casework
from fengqiao.core.casework import NotAvailable
from fengqiao.core.models import AuditEntry
from fengqiao.core.notifications.models import Notification
from fengqiao.disputes import actions
from fengqiao.disputes.actions import PartyData
from fengqiao.disputes.choices import Outcome, Performance, Status
from fengqiao.disputes.models import Dispute, FollowUp
from tests.fixtures.disputes import APPLICANT_ID, RESPONDENT_ID, THIRD_ID

pytestmark = pytest.mark.django_db


def audits(dispute, action):
    return AuditEntry.objects.filter(object_type="disputes.dispute", object_id=str(dispute.pk), action=action)


def session(dispute, actor, *, held_on=None, place="村委会调解室"):
    data = {
        "held_on": held_on or timezone.localdate(),
        "place": place,
        "participants": "王五（民警）、张三（网格员）、村支书",
        "minutes": "双方陈述，同意以现状院墙为界。",
    }
    return actions.move(dispute, "record_session", actor=actor, version=dispute.version, data=data)


def mediate_to_agreement(dispute, actor):
    dispute = actions.move(dispute, "start", actor=actor, version=dispute.version)
    dispute = session(dispute, actor)
    terms = {
        "terms": "乙方于十日内拆除越界部分院墙。",
        "performance_method": "乙方自行拆除，甲方配合。",
        "perform_by": timezone.localdate() + dt.timedelta(days=10),
    }
    return actions.move(dispute, "record_agreement", actor=actor, version=dispute.version, data=terms)


def test_registration_numbers_places_and_audits(register, personas):
    # given / when
    dispute = register(amount="1200.5", people_count=3)
    # then
    assert dispute.number.startswith("TJ-640302-")
    assert dispute.status == Status.REGISTERED
    assert dispute.scope_path == personas.territory.grid_a.scope_path
    assert dispute.holder_path == personas.territory.district_a.path
    assert dispute.assignee == personas.officer
    assert str(dispute.amount) == "1200.50"
    assert dispute.parties.count() == 2
    assert audits(dispute, "dispute_register").count() == 1
    # yellow: 72 hours to start mediating
    assert dispute.due_at - dispute.opened_at == dt.timedelta(hours=72)


def test_party_id_numbers_are_checked_and_named(register):
    bad = [
        PartyData(role="applicant", name="甲某", id_number="110105194912310021"),
        PartyData(role="respondent", name="乙某"),
    ]
    with pytest.raises(ValidationError) as error:
        register(parties=bad)
    assert "parties" in error.value.message_dict
    assert "Party 1" in error.value.message_dict["parties"][0]
    assert not Dispute.objects.unscoped(reason="test").exists()


def test_both_sides_are_needed(register):
    with pytest.raises(ValidationError) as error:
        register(parties=[PartyData(role="applicant", name="甲某")])
    assert "parties" in error.value.message_dict


def test_outside_the_grid_workers_scope_nothing_is_registered(register, personas):
    with pytest.raises(ValidationError) as error:
        register(actor=personas.grid_b, grid=personas.territory.grid_a)
    assert "grid" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        register(actor=personas.resident)


def test_a_registry_person_is_linked_by_id_number(register, personas):
    from tests.fixtures.registry import make_address, make_person

    person = make_person(make_address(personas.territory.grid_a), name="甲某")
    dispute = register(applicant=person.id_number)
    party = dispute.parties.get(role="applicant")
    assert party.person == person


def test_red_grade_is_flagged_to_the_station(register, personas):
    dispute = register(grade="red")
    assert dispute.flagged and not dispute.repeated
    assert dispute.due_at - dispute.opened_at == dt.timedelta(hours=2)
    told = Notification.objects.filter(kind="dispute_flag", recipient=personas.station)
    assert told.count() == 1
    assert dispute.number in told.get().title
    # the district's officer registered it: the station is told, the grid worker is not
    assert not Notification.objects.filter(kind="dispute_flag", recipient=personas.grid_a).exists()


def test_third_dispute_between_the_same_parties_in_a_year_is_repeated(register, personas):
    first = register(at=timezone.now() - dt.timedelta(days=300))
    register(at=timezone.now() - dt.timedelta(days=100), applicant=RESPONDENT_ID, respondent=APPLICANT_ID)
    # a dispute of one of them with someone else does not count
    register(respondent=THIRD_ID)
    third = register()
    assert not Dispute.objects.unscoped(reason="test").get(pk=first.pk).repeated
    assert third.repeat_count == 3 and third.repeated and third.flagged
    assert Notification.objects.filter(kind="dispute_flag", recipient=personas.station).count() == 1


def test_a_dispute_more_than_a_year_ago_is_not_counted(register):
    register(at=timezone.now() - dt.timedelta(days=400))
    register(at=timezone.now() - dt.timedelta(days=10))
    third = register()
    assert third.repeat_count == 2 and not third.repeated


def test_from_registration_to_archive(register, personas):
    officer = personas.officer
    dispute = register()
    dispute = actions.move(dispute, "start", actor=officer, version=dispute.version)
    assert dispute.status == Status.MEDIATING
    assert dispute.due_at == dispute.opened_at + dt.timedelta(days=30)
    with pytest.raises(ValidationError) as error:
        actions.move(dispute, "resolve", actor=officer, version=dispute.version)
    assert "agreement" in error.value.message_dict
    dispute = mediate_to_agreement(register(), officer)
    dispute = actions.move(dispute, "resolve", actor=officer, version=dispute.version)
    assert dispute.status == Status.RESOLVED and dispute.outcome == Outcome.RESOLVED
    assert dispute.outcome_at is not None and dispute.due_at is None
    dispute = actions.move(
        dispute,
        "follow_up",
        actor=personas.officer,
        version=dispute.version,
        note="回访：院墙已拆除，双方无新矛盾。",
        data={"visited_on": timezone.localdate().isoformat(), "performance": Performance.PERFORMED},
    )
    assert dispute.status == Status.FOLLOW_UP
    assert FollowUp.objects.filter(dispute=dispute).count() == 1
    assert dispute.agreement.performance == Performance.PERFORMED
    dispute = actions.move(dispute, "archive", actor=officer, version=dispute.version)
    assert dispute.status == Status.ARCHIVED and dispute.closed_at is not None
    steps = list(dispute.timeline().values_list("transition", flat=True))
    assert steps == ["open", "start", "record_session", "record_agreement", "resolve", "follow_up", "archive"]


def test_a_visit_is_dated_by_the_local_day_not_by_utc(register, personas):
    # given a resolved dispute, and half past midnight in Wuzhong: in UTC it is still yesterday
    officer = personas.officer
    dispute = mediate_to_agreement(register(), officer)
    dispute = actions.move(dispute, "resolve", actor=officer, version=dispute.version)
    local = timezone.localtime().replace(hour=0, minute=30, second=0, microsecond=0)
    at = local.astimezone(dt.UTC)  # the instant as timezone.now() gives it
    assert at.date() < local.date()

    def visit(day):
        data = {"visited_on": day.isoformat(), "performance": Performance.PERFORMED}
        return casework.apply(
            dispute, "follow_up", actor=officer, version=dispute.version, note="回访", data=data, at=at
        )

    # when the visit is dated tomorrow, it is refused
    with pytest.raises(ValidationError) as error:
        visit(local.date() + dt.timedelta(days=1))
    assert "visited_on" in error.value.message_dict
    # and dated today (the local day), it is recorded
    assert visit(local.date()).status == Status.FOLLOW_UP


def test_sessions_only_while_mediating_and_never_in_the_future(register, personas):
    dispute = register()
    with pytest.raises(NotAvailable):
        session(dispute, personas.officer)
    dispute = actions.move(dispute, "start", actor=personas.officer, version=dispute.version)
    for day in (timezone.localdate() + dt.timedelta(days=1), timezone.localdate() - dt.timedelta(days=1)):
        with pytest.raises(ValidationError) as error:
            session(dispute, personas.officer, held_on=day)  # tomorrow, or before registration
        assert set(error.value.message_dict) == {"held_on"}
    # a session is a step of the dispute: on its timeline, with a new version and its audit entry
    dispute = session(dispute, personas.officer)
    assert dispute.version == 3 and dispute.sessions.get().place == "村委会调解室"
    entry = audits(dispute, "case_transition").latest("id")
    assert entry.after["transition"] == "record_session" and entry.after["place"] == "村委会调解室"


def test_grid_worker_elsewhere_may_not_work_on_it_but_a_named_mediator_may(register, personas):
    dispute = register(mediators=[personas.grid_a])
    with pytest.raises(PermissionDenied):
        actions.move(dispute, "start", actor=personas.grid_b, version=dispute.version)
    dispute = actions.move(dispute, "start", actor=personas.grid_a, version=dispute.version)
    dispute = session(dispute, personas.grid_a, place="网格")
    assert dispute.sessions.get().recorded_by == personas.grid_a
    with pytest.raises(PermissionDenied):
        session(dispute, personas.grid_b)


def test_refer_needs_a_destination_and_a_note(register, personas):
    dispute = register()
    with pytest.raises(ValidationError) as error:
        actions.move(dispute, "refer", actor=personas.officer, version=dispute.version, note="诉讼", data={})
    assert "to" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        actions.move(dispute, "refer", actor=personas.officer, version=dispute.version, data={"to": "court"})
    assert "note" in error.value.message_dict
    dispute = actions.move(
        dispute,
        "refer",
        actor=personas.officer,
        version=dispute.version,
        note="当事人起诉",
        data={"to": "court"},
    )
    assert dispute.outcome == Outcome.REFERRED and dispute.referred_to == "court"
    with pytest.raises(NotAvailable):
        actions.move(dispute, "archive", actor=personas.officer, version=dispute.version)


def test_extension_is_approved_above_the_holder(register, personas):
    dispute = register()
    dispute = actions.move(dispute, "start", actor=personas.officer, version=dispute.version)
    due = dispute.due_at
    dispute = actions.move(
        dispute,
        "request_extension",
        actor=personas.officer,
        version=dispute.version,
        note="当事人外出务工",
        data={"days": 15},
    )
    with pytest.raises(PermissionDenied):  # the holder does not approve its own request
        actions.move(dispute, "approve_extension", actor=personas.officer, version=dispute.version)
    dispute = actions.move(dispute, "approve_extension", actor=personas.station, version=dispute.version)
    assert dispute.due_at == due + dt.timedelta(days=15)
    assert dispute.extended_days == 15 and dispute.extension_days is None


@override_settings(FENGQIAO_DISPUTE_GRADES={"critical": 1, "routine": 240})
def test_grades_are_a_setting(register, personas):
    dispute = register(grade="critical")
    assert dispute.flagged
    assert dispute.due_at - dispute.opened_at == dt.timedelta(hours=1)
    with pytest.raises(ValidationError) as error:
        register(grade="red")
    assert "grade" in error.value.message_dict


def test_performance_and_judicial_confirmation(register, personas):
    dispute = mediate_to_agreement(register(), personas.officer)
    agreement = dispute.agreement
    dispute = actions.move(
        dispute,
        "record_performance",
        actor=personas.officer,
        version=dispute.version,
        note="已拆一半",
        data={"performance": Performance.PERFORMING},
    )

    def judicial(applied_on, **data):
        data = {"applied_on": applied_on, **data}
        return actions.move(
            dispute, "record_judicial", actor=personas.officer, version=dispute.version, data=data
        )

    for day, field in (
        (agreement.signed_on - dt.timedelta(days=1), "applied_on"),  # before the agreement
        (timezone.localdate() + dt.timedelta(days=1), "applied_on"),  # in the future
        (agreement.signed_on, "confirmed_on"),  # confirmed before it was applied for
    ):
        with pytest.raises(ValidationError) as error:
            judicial(day, confirmed_on=agreement.signed_on - dt.timedelta(days=1))
        assert set(error.value.message_dict) == {field}
    judicial(agreement.signed_on, court="利通区人民法院")
    agreement.refresh_from_db()
    assert (
        agreement.judicial_applied_on == agreement.signed_on and agreement.judicial_court == "利通区人民法院"
    )
    confirmed = audits(dispute, "case_transition").get(after__transition="record_judicial")
    assert confirmed.before["judicial_applied_on"] is None
    assert confirmed.after["judicial_applied_on"] == agreement.signed_on.isoformat()
    performed = audits(dispute, "case_transition").get(after__transition="record_performance")
    assert performed.before["performance"] == Performance.PENDING
    assert performed.after["performance"] == Performance.PERFORMING


def test_a_visit_records_performance_through_the_same_audited_step(register, personas):
    officer = personas.officer
    dispute = mediate_to_agreement(register(), officer)
    dispute = actions.move(dispute, "resolve", actor=officer, version=dispute.version)
    data = {"performance": Performance.PERFORMED, "method": "phone"}
    dispute = actions.move(
        dispute, "follow_up", actor=officer, version=dispute.version, note="已拆除", data=data
    )
    entry = audits(dispute, "case_transition").latest("id")
    assert entry.before["performance"] == Performance.PENDING
    assert entry.after["performance"] == Performance.PERFORMED and entry.after["transition"] == "follow_up"
    assert dispute.agreement.performance_note == "已拆除"
    # the agreement is corrected only while mediating
    with pytest.raises(NotAvailable):
        terms = {"terms": "x", "performance_method": "y", "perform_by": timezone.localdate()}
        actions.move(dispute, "record_agreement", actor=officer, version=dispute.version, data=terms)


def test_judicial_window_reminder_comes_once_before_it_closes(register, personas):
    dispute = mediate_to_agreement(register(), personas.officer)
    agreement = dispute.agreement
    assert actions.remind_judicial_windows(today=agreement.signed_on + dt.timedelta(days=10)) == 0
    assert actions.remind_judicial_windows(today=agreement.signed_on + dt.timedelta(days=26)) == 1
    assert actions.remind_judicial_windows(today=agreement.signed_on + dt.timedelta(days=27)) == 0
    told = Notification.objects.get(kind="dispute_judicial", recipient=personas.officer)
    assert agreement.serial in told.title


def test_signed_copy_is_checked_by_its_bytes(register, personas, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    dispute = mediate_to_agreement(register(), personas.officer)
    with pytest.raises(ValidationError) as error:
        actions.upload_signed_copy(
            dispute, SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf"), actor=personas.officer
        )
    assert "file" in error.value.message_dict
    # a file that only starts like a PDF is refused: it must parse (core.uploads)
    with pytest.raises(ValidationError):
        actions.upload_signed_copy(
            dispute, SimpleUploadedFile("y.pdf", b"%PDF-1.4 signed"), actor=personas.officer
        )
    from reportlab.pdfgen import canvas

    scan = io.BytesIO()
    page = canvas.Canvas(scan)
    page.drawString(72, 720, "signed")
    page.save()
    agreement = actions.upload_signed_copy(
        dispute, SimpleUploadedFile("signed.pdf", scan.getvalue()), actor=personas.officer
    )
    assert agreement.signed_copy_type == "application/pdf"
    assert agreement.signed_copy.read() == scan.getvalue()
