"""Near-repeat warnings (issue 16 §4): a new event of a watched class where the county's
near-repeat risk is significant tells the grid workers and community officers of the grids within
the risky distance, with the risky number of days, once; elsewhere and for other classes, nobody."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from fengqiao.analytics import nearrepeat
from fengqiao.core.models import AuditEntry
from fengqiao.core.notifications.models import Notification

pytestmark = pytest.mark.django_db

PERMUTATIONS = 199


def make_burglary_series(report, actor) -> list:
    """Ten series of three burglaries a few days and tens of metres apart over grids A and B in
    the last ten months, and fifteen scattered ones (also the browser walk's history)."""
    rng = np.random.default_rng(7)
    now = timezone.now()
    made = []
    for _series in range(10):
        lon, lat = rng.uniform(106.101, 106.119), rng.uniform(37.901, 37.909)
        start = now - dt.timedelta(days=int(rng.integers(20, 300)))
        for k in range(3):
            at = start + dt.timedelta(days=int(rng.integers(0, 4)), hours=k)
            made.append(
                report(
                    "020111",
                    lon=lon + rng.normal(0, 0.0002),
                    lat=lat + rng.normal(0, 0.0002),
                    at=at,
                    title="入室盗窃",
                    actor=actor,
                )
            )
    for _k in range(15):
        at = now - dt.timedelta(days=int(rng.integers(10, 330)))
        made.append(
            report(
                "020111",
                lon=rng.uniform(106.101, 106.119),
                lat=rng.uniform(37.901, 37.909),
                at=at,
                title="入室盗窃",
                actor=actor,
            )
        )
    return made


@pytest.fixture
def burglary_series(report, personas):
    return make_burglary_series(report, personas.station)


def warnings_to(user):
    return Notification.objects.filter(recipient=user, kind=nearrepeat.NOTIFICATION_KIND)


def test_a_new_burglary_where_the_risk_is_significant_warns_the_grids_around(
    burglary_series, report, personas
):
    # given the series, a new burglary in grid A some 40 m from grid B
    event = report("020111", lon=106.1095, lat=37.905, title="入室盗窃", actor=personas.station)
    # when the worker's job looks at the new events
    sent = nearrepeat.warn_recent(permutations=PERMUTATIONS)
    # then the people of A and B are told, with the distance and the days, and nobody else
    assert sent >= 1
    entry = AuditEntry.objects.get(action=nearrepeat.NEAR_REPEAT_WARNED.name, object_id=str(event.pk))
    distance, days = entry.after["distance_m"], entry.after["days"]
    assert distance >= 100 and days >= 7
    t = personas.territory
    assert {t.grid_a.pk, t.grid_b.pk} <= set(entry.after["grids"]) and t.grid_c.pk not in entry.after["grids"]
    for person in (personas.grid_a, personas.grid_b, personas.officer):
        message = warnings_to(person).get(body__contains=f"{days}")
        assert f"{int(distance)}" in message.body
    for person in (personas.station, personas.city, personas.resident):
        assert not warnings_to(person).exists()
    # and a second run warns no one again
    before = Notification.objects.filter(kind=nearrepeat.NOTIFICATION_KIND).count()
    nearrepeat.warn_recent(permutations=PERMUTATIONS)
    assert Notification.objects.filter(kind=nearrepeat.NOTIFICATION_KIND).count() == before


def test_other_classes_and_quiet_places_warn_nobody(report, personas):
    # given scattered burglaries with no series, and a hazard report
    rng = np.random.default_rng(1)
    now = timezone.now()
    for _k in range(25):
        report(
            "020111",
            lon=rng.uniform(106.101, 106.119),
            lat=rng.uniform(37.901, 37.909),
            at=now - dt.timedelta(days=int(rng.integers(10, 330))),
            actor=personas.station,
        )
    hazard = report("0401", lon=106.105, lat=37.905)
    # when
    quiet = nearrepeat.warn_near_repeat(
        report("020111", lon=106.105, lat=37.905, actor=personas.station),
        actor=personas.admin,
        permutations=PERMUTATIONS,
    )
    other = nearrepeat.warn_near_repeat(hazard, actor=personas.admin, permutations=PERMUTATIONS)
    # then
    assert quiet is None and other is None
    assert not Notification.objects.filter(kind=nearrepeat.NOTIFICATION_KIND).exists()
