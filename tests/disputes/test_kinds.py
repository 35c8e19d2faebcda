"""Which kind of mediation a dispute is: people's (人民调解), public-order (治安调解) or joint
(警调联动); chosen at registration, changed only by its step before the agreement; a failed
public-order mediation goes on to the punishment procedure."""

import io

import pytest
from django.core.exceptions import ValidationError

from fengqiao.core.casework import NotAvailable
from fengqiao.core.models import AuditEntry
from fengqiao.disputes import actions
from fengqiao.disputes.choices import Outcome, Status
from fengqiao.disputes.rules import committee_name
from tests.disputes.test_workflow import mediate_to_agreement

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("division", "committee"),
    [
        ("金积村", "金积村人民调解委员会"),
        ("西门村委会", "西门村人民调解委员会"),
        ("西门村村民委员会", "西门村人民调解委员会"),
        ("金丰社区居委会", "金丰社区人民调解委员会"),
        ("金丰社区居民委员会", "金丰社区人民调解委员会"),
    ],
)
def test_the_committee_is_named_after_the_village_or_community(division, committee):
    assert committee_name(division) == committee


def test_registration_names_the_committee_of_the_village_unless_told(register, personas):
    people = register()
    assert (people.kind, people.committee) == ("people", "金积村人民调解委员会")
    joint = register(kind="joint", committee="金积镇人民调解委员会", respondent="640302199001011238")
    assert joint.committee == "金积镇人民调解委员会"
    assert str(actions.organisations(joint)) == "金积镇人民调解委员会、吴忠市公安局利通区分局金积派出所"
    police = register(kind="public_order", category="damages", respondent="640302199001011238")
    assert police.committee == ""
    assert str(actions.organisations(police)) == "吴忠市公安局利通区分局金积派出所"
    entry = AuditEntry.objects.get(action="dispute_register", object_id=str(police.pk))
    assert entry.after["kind"] == "public_order"


def test_public_order_mediation_is_only_for_minor_public_order_cases(register):
    with pytest.raises(ValidationError) as error:
        register(kind="public_order", category="traffic")
    assert "kind" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        register(kind="nonsense")
    assert "kind" in error.value.message_dict


def test_the_kind_changes_by_its_step_until_the_agreement(register, personas):
    # given
    dispute = register()
    officer = personas.officer
    # when
    dispute = actions.move(
        dispute, "set_kind", actor=officer, version=dispute.version, data={"kind": "joint", "committee": ""}
    )
    # then: on the timeline and in the audit log, with what changed
    assert (dispute.kind, dispute.committee) == ("joint", "金积村人民调解委员会")
    assert [e.transition for e in dispute.timeline()][-1] == "set_kind"
    entry = AuditEntry.objects.filter(object_id=str(dispute.pk), action="case_transition").last()
    assert entry.before["kind"] == "people" and entry.after["kind"] == "joint"
    # and once the agreement is made, it stays
    dispute = mediate_to_agreement(dispute, officer)
    assert "set_kind" not in [t.name for t in dispute.workflow.available(dispute, officer)]
    with pytest.raises(NotAvailable):
        actions.move(
            dispute,
            "set_kind",
            actor=officer,
            version=dispute.version,
            data={"kind": "people", "committee": ""},
        )


def test_a_failed_public_order_mediation_goes_on_to_punishment(register, personas):
    # given
    officer = personas.officer
    dispute = register(kind="public_order", category="damages")
    dispute = actions.move(dispute, "start", actor=officer, version=dispute.version)
    steps = [t.name for t in dispute.workflow.available(dispute, officer)]
    assert "to_punishment" in steps and "fail" not in steps
    # when
    dispute = actions.move(
        dispute, "to_punishment", actor=officer, version=dispute.version, note="双方分歧较大，调解不成。"
    )
    # then
    assert dispute.status == Status.NOT_RESOLVED and dispute.outcome == Outcome.NOT_RESOLVED
    assert dispute.to_punishment
    last = list(dispute.timeline())[-1]
    assert (last.transition, last.note) == ("to_punishment", "双方分歧较大，调解不成。")


def test_a_public_order_agreement_not_performed_goes_on_to_punishment_and_is_never_confirmed(
    register, personas
):
    officer = personas.officer
    dispute = mediate_to_agreement(register(kind="public_order", category="damages"), officer)
    assert "record_judicial" not in [t.name for t in dispute.workflow.available(dispute, officer)]
    dispute = actions.move(dispute, "resolve", actor=officer, version=dispute.version)
    # performed so far: nothing to punish
    assert "to_punishment" not in [t.name for t in dispute.workflow.available(dispute, officer)]
    dispute = actions.move(
        dispute,
        "record_performance",
        actor=officer,
        version=dispute.version,
        data={"performance": "breached"},
    )
    dispute = actions.move(dispute, "to_punishment", actor=officer, version=dispute.version, note="未履行。")
    assert dispute.to_punishment and dispute.outcome == Outcome.NOT_RESOLVED


def test_people_mediation_has_no_punishment_step(register, personas):
    officer = personas.officer
    dispute = register()
    dispute = actions.move(dispute, "start", actor=officer, version=dispute.version)
    with pytest.raises(NotAvailable):
        actions.move(dispute, "to_punishment", actor=officer, version=dispute.version, note="x")


def test_the_pages_take_the_kind_in_and_print_its_document(client, personas):
    from pypdf import PdfReader

    from fengqiao.disputes.models import Dispute
    from tests.disputes.test_matrix import payload

    client.force_login(personas.officer)
    # a public-order mediation of a traffic accident is refused, on the field
    refused = client.post(
        "/disputes/new/", {**payload(personas.territory, "A"), "kind": "public_order", "category": "traffic"}
    )
    assert refused.status_code == 200 and "治安调解仅适用于情节较轻的治安案件" in refused.content.decode()
    page = client.post(
        "/disputes/new/", {**payload(personas.territory, "A"), "kind": "public_order", "category": "damages"}
    )
    dispute = Dispute.objects.unscoped(reason="test").get()
    assert page.status_code == 302 and dispute.kind == "public_order"
    body = client.get(page["Location"]).content.decode()
    assert "治安调解" in body and "吴忠市公安局利通区分局金积派出所" in body
    assert 'id="step-to_punishment"' not in body  # not before mediation starts
    dispute = mediate_to_agreement(dispute, personas.officer)
    body = client.get(page["Location"]).content.decode()
    assert "治安调解不适用" in body and 'id="step-record_judicial"' not in body
    pdf = client.get(f"/disputes/{dispute.number}/agreement.pdf")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert text.startswith("治安调解协议书")
