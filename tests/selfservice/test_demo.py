"""The demo's self-service: offices and kiosks under the police districts, a register naming a
few demo people, and certificates walked through their workflow to every status; the figures
read them; a second run changes nothing and clear removes it all."""

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.core import indicators
from fengqiao.core.models import TimelineEntry
from fengqiao.demo import selfservice as demo
from fengqiao.selfservice.choices import Status
from fengqiao.selfservice.models import Booking, Certificate, CriminalRecord, Office, Verification
from fengqiao.selfservice.workflow import CERTIFICATE_WORKFLOW
from tests.fixtures.registry import make_person, valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def residents(personas):
    t = personas.territory
    return [
        make_person(
            grid=(t.grid_a, t.grid_b)[n % 2],
            id_number=valid_id_number(),
            name=f"居民{n}",
            phone=f"1390000{n:04d}",
        )
        for n in range(40)
    ]


def test_the_demo_walks_certificates_to_every_status_and_the_figures_read_them(
    personas, residents, monkeypatch
):
    # a record for many, so refusals and reviews show at this small size
    monkeypatch.setattr(demo, "WITH_RECORD", 0.3)
    counts = demo.generate(actor=personas.admin, scale=0.01, seed=5)
    everything = Certificate.objects.unscoped(reason="test")
    # 97 + 107 at 1.0: one of each at least
    assert Office.objects.unscoped(reason="test").count() == 2 and counts
    assert everything.count() == 30 and CriminalRecord.objects.unscoped(reason="test").exists()
    statuses = set(everything.values_list("status", flat=True))
    assert {Status.ISSUED, Status.REFUSED} <= statuses
    # a refusal always stands on a final judgement of the applicant
    for refused in everything.filter(status=Status.REFUSED):
        assert refused.record is not None and refused.record.final
    # each timeline walks the workflow to the certificate's status
    for certificate in everything:
        status = ""
        for entry in TimelineEntry.objects.filter(case_type="certificate", case_id=certificate.pk).order_by(
            "at", "id"
        ):
            if entry.transition != "open":
                step = CERTIFICATE_WORKFLOW.transition(entry.transition)
                assert status in step.sources
            status = entry.to_status
        assert status == certificate.status
    # the dashboard's figures count them
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    applied = indicators.get("selfservice.certificates_applied").count(personas.city, "640300", start, today)
    issued = indicators.get("selfservice.certificates_issued").count(personas.city, "640300", start, today)
    verified = indicators.get("selfservice.certificates_verified").count(
        personas.city, "640300", start, today
    )
    assert applied == 30 and issued == everything.filter(serial__isnull=False).count()
    assert verified == Verification.objects.values("certificate").distinct().count()
    # the coming days' bookings at the offices, on the officers' day lists
    bookings = Booking.objects.unscoped(reason="test")
    assert counts["bookings"] == bookings.count() > 0
    assert all(b.scope_path == b.office.scope_path for b in bookings.select_related("office"))
    # a second run leaves it alone; clear removes it
    assert demo.generate(actor=personas.admin, scale=0.01, seed=5) is None
    demo.clear()
    assert not everything.all().exists() and not Office.objects.unscoped(reason="test").exists()
