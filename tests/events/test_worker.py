import datetime as dt
import io

import pytest
from django.core.management import call_command

from fengqiao.core.models import AuditEntry

# django-tasks' worker closes its connection when done: the test needs a transactional database.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("flushable_audit")]


def test_worker_once_sweeps_overdue_events(personas, report):
    event = report(at=dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))  # long overdue
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "sweep: 0 reminded, 1 escalated" in out.getvalue()
    event.refresh_from_db()
    assert event.holder_path == personas.territory.district_a.path
    sweep = AuditEntry.objects.get(action="case_sweep")
    assert sweep.actor.username == "system" and sweep.source == "worker"
    assert event.number in sweep.after["cases"]
