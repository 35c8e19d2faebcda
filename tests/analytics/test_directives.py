"""Analysis directives (研判指令, issue 16 §6): issued by the station to grids, fed back by the
grid's people, checked and closed (or sent back) by the station; overdue ones climb the ladder;
counted by the dashboard's indicators; scoped and audited."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fengqiao.analytics import directives, nearrepeat
from fengqiao.analytics.directives import DirectiveSource, Order, Task
from fengqiao.analytics.models import Directive
from fengqiao.analytics.models import DirectiveStatus as Status
from fengqiao.core import casework, indicators
from fengqiao.core.models import AuditEntry
from fengqiao.core.notifications.models import Notification

pytestmark = pytest.mark.django_db


def order(personas, *grids, days=3, **extra):
    return Order(
        grids=list(grids) or [personas.territory.grid_a],
        task=extra.pop("task", Task.PATROL),
        title=extra.pop("title", "夜间巡逻：入室盗窃高发"),
        deadline=extra.pop("deadline", timezone.now() + dt.timedelta(days=days)),
        instructions="22:00 后加强巡逻",
        **extra,
    )


def test_the_loop_issue_feed_back_check_close(personas):
    t = personas.territory
    # when the station issues a directive to grids A and B
    a, b = directives.issue(order(personas, t.grid_a, t.grid_b), actor=personas.station)
    # then each grid holds its own, its people are told and find it in their inbox
    assert (a.holder_path, b.holder_path) == (t.grid_a.scope_path, t.grid_b.scope_path)
    assert a in casework.inbox(personas.grid_a) and b not in casework.inbox(personas.grid_a)
    # and the district's community officer too, from the start (not only once it climbs)
    assert a in casework.inbox(personas.officer) and b not in casework.inbox(personas.officer)
    assert Notification.objects.filter(recipient=personas.grid_a, kind="directive").exists()
    assert Notification.objects.filter(recipient=personas.officer, kind="directive").exists()
    assert AuditEntry.objects.filter(action="directive_issue", object_id=str(a.pk)).exists()
    # the grid worker reports what was done, in time; closing is not theirs
    assert [s.name for s in a.workflow.available(a, personas.grid_a)] == ["feed_back"]
    a = directives.move(a, "feed_back", actor=personas.grid_a, version=a.version, note="巡逻三次，走访12户")
    assert a.status == Status.FED_BACK and a.fed_back_in_time is True and a.feedback.startswith("巡逻")
    assert Notification.objects.filter(recipient=personas.station, kind="directive").exists()
    assert a.workflow.available(a, personas.grid_a) == []
    with pytest.raises(PermissionDenied):
        directives.move(a, "close", actor=personas.grid_a, version=a.version)
    # the station checks and closes it
    assert {s.name for s in a.workflow.available(a, personas.station)} == {"close", "send_back"}
    a = directives.move(a, "close", actor=personas.station, version=a.version)
    assert a.status == Status.CLOSED and a.closed_at is not None and a not in casework.inbox(personas.grid_a)


def test_sent_back_it_is_the_grids_again_and_the_station_may_not_check_its_own_feedback(personas):
    (d,) = directives.issue(order(personas), actor=personas.station)
    d = directives.move(d, "feed_back", actor=personas.grid_a, version=d.version, note="巡逻一次")
    with pytest.raises(ValidationError):  # sending back says why
        directives.move(d, "send_back", actor=personas.station, version=d.version)
    d = directives.move(d, "send_back", actor=personas.station, version=d.version, note="走访不够")
    assert d.status == Status.ISSUED and d.fed_back_at is None and d.due_at >= d.deadline
    assert d in casework.inbox(personas.grid_a)
    # a station that feeds back itself leaves the check to someone else
    d = directives.move(d, "feed_back", actor=personas.station, version=d.version, note="所里补充走访")
    assert "close" not in {s.name for s in d.workflow.available(d, personas.station)}
    d = directives.move(d, "close", actor=personas.city, version=d.version)
    assert d.status == Status.CLOSED


def test_an_overdue_directive_climbs_the_ladder_and_counts_late(personas):
    t = personas.territory
    (d,) = directives.issue(order(personas), actor=personas.station)
    # when the sweep runs after the deadline
    late = d.deadline + dt.timedelta(minutes=1)
    report = casework.sweep(late)
    # then the grid's directive goes to its police district, whose officer now holds it
    d.refresh_from_db()
    assert report.escalated >= 1 and d.holder_path == t.district_a.path and d.level == 1
    assert d in casework.inbox(personas.officer)
    # the grid worker still reports, late
    d = directives.move(d, "feed_back", actor=personas.grid_a, version=d.version, note="补做巡逻", at=late)
    assert d.fed_back_in_time is False


def test_who_may_issue_where_and_what_each_one_sees(personas):
    t = personas.territory
    with pytest.raises(PermissionDenied):
        directives.issue(order(personas), actor=personas.grid_a)
    with pytest.raises(PermissionDenied):  # grid C is another county's
        directives.issue(order(personas, t.grid_a, t.grid_c), actor=personas.station)
    assert not Directive.objects.unscoped(reason="test").exists()  # all or none
    with pytest.raises(ValidationError) as error:
        directives.issue(
            order(personas, deadline=timezone.now() - dt.timedelta(hours=1)), actor=personas.station
        )
    assert "deadline" in error.value.message_dict
    a, b = directives.issue(order(personas, t.grid_a, t.grid_b), actor=personas.station)
    assert set(Directive.objects.visible_to(personas.grid_a)) == {a}
    assert set(Directive.objects.visible_to(personas.station)) == {a, b}
    assert not Directive.objects.visible_to(personas.resident).exists()
    with pytest.raises(PermissionDenied):  # grid B's worker may not report on grid A's
        directives.move(a, "feed_back", actor=personas.grid_b, version=a.version, note="x")


def test_indicators_count_issued_fed_back_in_time_and_closed(personas):
    t = personas.territory
    a, b, _c = directives.issue(order(personas, t.grid_a, t.grid_b, t.grid_c), actor=personas.city)
    a = directives.move(a, "feed_back", actor=personas.grid_a, version=a.version, note="巡逻")
    directives.move(a, "close", actor=personas.station, version=a.version)
    today = timezone.localdate()

    def count(name, user, path):
        return indicators.get(f"analytics.directives_{name}").count(user, path, today, today)

    station = t.station.path
    assert (count("issued", personas.station, station), count("in_time", personas.station, station)) == (2, 1)
    assert count("closed", personas.station, station) == 1
    assert count("issued", personas.city, t.city.path) == 3
    assert "status=closed" in indicators.get("analytics.directives_closed").link(station, today, today)


def test_a_near_repeat_warning_issues_a_patrol_directive_to_each_risky_grid(personas, report):
    from tests.analytics.test_warnings import PERMUTATIONS, burglary_series

    t = personas.territory
    burglary_series.__wrapped__(report, personas)
    # given a new burglary in grid A some 40 m from grid B, when the worker's job looks at it
    event = report("020111", lon=106.1095, lat=37.905, title="入室盗窃", actor=personas.station)
    nearrepeat.warn_recent(permutations=PERMUTATIONS)
    # then grids A and B get a patrol directive about it, due when the risky days end, and C none
    made = Directive.objects.unscoped(reason="test").filter(event=event)
    assert {d.grid_id for d in made} >= {t.grid_a.pk, t.grid_b.pk} and t.grid_c.pk not in {
        d.grid_id for d in made
    }
    assert {(d.source, d.task) for d in made} == {(DirectiveSource.NEAR_REPEAT, Task.PATROL)}
    warned = AuditEntry.objects.get(action=nearrepeat.NEAR_REPEAT_WARNED.name, object_id=str(event.pk))
    assert sorted(warned.after["directives"]) == sorted(d.number for d in made)
    days = warned.after["days"]
    until = timezone.localdate(event.opened_at) + dt.timedelta(days=days + 1)
    assert all(timezone.localdate(d.deadline) == until for d in made)
    assert made.get(grid=t.grid_a) in casework.inbox(personas.grid_a)
    # and a second run issues none again
    nearrepeat.warn_recent(permutations=PERMUTATIONS)
    assert Directive.objects.unscoped(reason="test").filter(event=event).count() == made.count()


def test_the_pages_walk_the_loop_from_a_hot_grid(personas, client):
    t = personas.territory
    # the station opens "create a directive" for a hot grid: the form comes with the grid chosen
    client.force_login(personas.station)
    form = client.get(f"/directives/new/?grid={t.grid_a.code}")
    checked = re.findall(
        r'<input type="checkbox" name="grids" value="(\d+)"[^>]*checked', form.content.decode()
    )
    assert form.status_code == 200 and checked == [str(t.grid_a.pk)]
    deadline = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(
        "/directives/new/",
        {"grids": [t.grid_a.pk], "task": "patrol", "title": "", "deadline": deadline, "source": "hotspot"},
    )
    assert bad.status_code == 400
    data = {
        "grids": [t.grid_a.pk],
        "task": "patrol",
        "title": "热点巡逻",
        "deadline": deadline,
        "source": "hotspot",
    }
    assert client.post("/directives/new/", data).status_code == 302
    d = Directive.objects.visible_to(personas.station).get(title="热点巡逻")
    # the grid worker finds it in the inbox and reports what was done on its page
    client.force_login(personas.grid_a)
    assert d.number in client.get("/inbox/").content.decode()
    page = client.get(f"/directives/{d.number}/").content.decode()
    assert 'data-move="feed_back"' in page and 'data-move="close"' not in page
    client.post(
        f"/directives/{d.number}/move/feed_back/",
        {"feed_back-version": d.version, "feed_back-note": "巡逻两次"},
    )
    d.refresh_from_db()
    assert d.status == Status.FED_BACK
    # the station checks and closes it
    client.force_login(personas.station)
    page = client.get(f"/directives/{d.number}/").content.decode()
    assert 'data-move="close"' in page and 'data-move="send_back"' in page and "巡逻两次" in page
    client.post(f"/directives/{d.number}/move/close/", {"close-version": d.version, "close-note": ""})
    d.refresh_from_db()
    assert d.status == Status.CLOSED
    assert d.number in client.get("/directives/?status=closed").content.decode()
