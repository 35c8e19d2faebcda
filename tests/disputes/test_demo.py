"""The demo ledger: the seed city's rate and resolution, in bulk, and the engine's numbers go on after it."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from fengqiao.demo.disputes import generate_demo_disputes
from fengqiao.disputes import actions, stats
from fengqiao.disputes.models import Agreement, Dispute

pytestmark = pytest.mark.django_db


def test_a_year_of_disputes_at_scale(personas, register):
    with pytest.raises(PermissionDenied):
        generate_demo_disputes(actor=personas.officer, scale=0.02)
    report = generate_demo_disputes(actor=personas.admin, scale=0.02, seed=7)
    assert report.created and report.counts["dispute"] == 240
    ledger = Dispute.objects.unscoped(reason="test")
    assert ledger.count() == 240
    assert ledger.values("number").distinct().count() == 240
    month_ago = timezone.now() - dt.timedelta(days=31)
    settled = ledger.filter(opened_at__lt=month_ago)
    share = settled.filter(outcome="resolved").count() / settled.count()
    assert 0.9 <= share <= 1.0
    # every resolved dispute has its agreement, and the statistics read them
    assert Agreement.objects.count() == ledger.filter(outcome="resolved").count()
    today = timezone.localdate()
    figures = stats.statistics(personas.city, start=today - dt.timedelta(days=364), end=today).total.current
    assert figures.found == 240 and figures.resolved == ledger.filter(outcome="resolved").count()
    # a second run changes nothing; a dispute registered now gets the next number of its day
    assert not generate_demo_disputes(actor=personas.admin, scale=0.02, seed=7).created
    fresh = register()
    assert ledger.filter(number=fresh.number).count() == 1
    # reset builds it again
    assert (
        generate_demo_disputes(actor=personas.admin, scale=0.01, seed=7, reset=True).counts["dispute"] == 120
    )
    assert actions.repeats(fresh) >= 1


def test_a_demo_disputes_timeline_walks_its_workflow_to_its_status(personas):
    from fengqiao.core.models import TimelineEntry
    from fengqiao.disputes.workflow import DISPUTE_WORKFLOW

    generate_demo_disputes(actor=personas.admin, scale=0.01, seed=3)
    ledger = Dispute.objects.unscoped(reason="test")
    entries = {}
    for entry in TimelineEntry.objects.filter(case_type="dispute").order_by("at", "id"):
        entries.setdefault(entry.case_id, []).append(entry)
    walked = set()
    for dispute in ledger:
        status = ""
        for entry in entries[dispute.pk]:
            assert entry.from_status == status
            if entry.transition != "open":
                step = DISPUTE_WORKFLOW.transition(entry.transition)
                assert status in step.sources and entry.to_status == (step.target or status)
            status = entry.to_status
            walked.add(entry.transition)
        assert status == dispute.status and dispute.version == len(entries[dispute.pk])
    assert {"start", "record_session", "record_agreement", "resolve", "follow_up", "archive"} <= walked
