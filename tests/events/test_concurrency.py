"""Two people act on one case at the same moment, on separate connections: one wins."""

import threading

import pytest
from django.conf import settings
from django.db import connections

from fengqiao.core.casework import Conflict
from fengqiao.core.models import TimelineEntry
from fengqiao.events.actions import move
from fengqiao.events.choices import Status
from fengqiao.events.models import Event


@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="SQLite serialises writers (IMMEDIATE transactions): the race needs PostgreSQL's row locks",
)
@pytest.mark.django_db(transaction=True)
def test_simultaneous_moves_on_one_version(personas, report):
    event = report()
    seen = event.version
    barrier = threading.Barrier(2)
    outcomes = {}

    def act(name, actor, note):
        try:
            barrier.wait()
            move(event, name, actor=actor, version=seen, note=note)
            outcomes[name] = "applied"
        except Conflict:
            outcomes[name] = "conflict"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=("file", personas.grid_a, "")),
        threading.Thread(target=act, args=("reject", personas.officer, "重复上报")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["applied", "conflict"]
    winner = next(name for name, result in outcomes.items() if result == "applied")
    event = Event.objects.unscoped(reason="test").get(pk=event.pk)
    assert event.status == {"file": Status.FILED, "reject": Status.REJECTED}[winner]
    assert event.version == seen + 1
    steps = list(TimelineEntry.objects.filter(case_id=event.pk).values_list("transition", flat=True))
    assert steps == ["open", winner]
