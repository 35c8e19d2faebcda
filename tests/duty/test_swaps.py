"""Shift swaps on the casework kernel: asked from "my shifts", agreed by the colleague, approved
by the station chief, who exchanges the two shifts only when every rule of the roster still holds
(judged by the coverage check); a swap that breaks a rule is refused naming it."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fengqiao.core.casework import NotAvailable
from fengqiao.core.models import TimelineEntry
from fengqiao.core.notifications.models import Notification
from fengqiao.core.roles import Role
from fengqiao.duty import actions, selectors
from fengqiao.duty.models import Assignment, Roster, ShiftTemplate, SwapRequest
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

SHIFTS = (("夜", 0), ("早", 8), ("中", 16))  # three shifts of 8 hours cover the day


def next_month() -> dt.date:
    first = timezone.localdate().replace(day=1)
    return (first + dt.timedelta(days=32)).replace(day=1)


@pytest.fixture
def rota(personas):
    """Four at the station on a four-day rota: on day d, person p works SHIFTS[(d + p) % 4], the
    fourth value being a day off; every hour has one on duty and 24 hours of rest or more."""
    t, chief = personas.territory, personas.station
    staff = [make_user(f"aux{p}", Role.AUXILIARY, unit=t.station, full_name=f"辅警{p}") for p in range(4)]
    shifts = [
        actions.save_shift(actor=chief, unit=t.station, code=code, name=code, start=dt.time(start), hours=8)
        for code, start in SHIFTS
    ]
    actions.save_rule(actor=chief, unit=t.station, kind="coverage", value=1, area=t.station)
    actions.save_rule(actor=chief, unit=t.station, kind="rest", value=12)
    month = next_month()
    roster = actions.create_roster(actor=chief, unit=t.station, month=month)
    problem = selectors.problem_for(roster)
    Assignment.objects.bulk_create(
        Assignment(
            roster=roster,
            user=person,
            day=month + dt.timedelta(days=d),
            shift=shifts[(d + p) % 4],
            area=t.station,
        )
        for d in range(problem.days)
        for p, person in enumerate(staff)
        if (d + p) % 4 < 3
    )
    assert selectors.check_roster(roster)[2] == []
    t.staff, t.roster, t.month = staff, roster, month
    return t


D = 4  # the day (0-based) the tests swap on


def on(t, p: int, d: int) -> Assignment:
    return Assignment.objects.get(roster=t.roster, user=t.staff[p], day=t.month + dt.timedelta(days=d))


def working(t, d: int, slot: int) -> int:
    """Who works SHIFTS[slot] (3: is off) on day d."""
    return next(p for p in range(4) if (d + p) % 4 == slot)


def test_a_swap_goes_from_the_colleague_to_the_chief_and_exchanges_the_shifts(client, personas, rota):
    t = rota
    a, b = working(t, D, 0), working(t, D, 3)  # a works the night shift on D, b is off
    mine, theirs = on(t, a, D), on(t, b, D - 1)  # b's late shift on D - 1, when a is off
    # given A on "my shifts", with a button per coming shift
    client.force_login(t.staff[a])
    page = client.get("/duty/mine/").content.decode()
    assert f'href="/duty/swaps/new/{mine.pk}/"' in page
    # when A asks B to swap
    form = client.get(f"/duty/swaps/new/{mine.pk}/").content.decode()
    assert f'value="a{theirs.pk}"' in form and f'value="u{t.staff[b].pk}"' in form
    response = client.post(f"/duty/swaps/new/{mine.pk}/", {"choice": f"a{theirs.pk}", "note": "家里有事"})
    swap = SwapRequest.objects.unscoped(reason="test").get()
    assert response.status_code == 302 and response.url == f"/duty/swaps/{swap.number}/"
    assert swap.status == "asked" and swap.assignee == t.staff[b]
    # then it is in B's inbox, and B was told
    client.force_login(t.staff[b])
    assert swap.number in client.get("/inbox/").content.decode()
    assert Notification.objects.filter(recipient=t.staff[b], title__contains=swap.number).exists()
    # when B agrees, the chief sees that every rule still holds after the swap
    moved = client.post(f"/duty/swaps/{swap.number}/agree/", {"agree-version": swap.version})
    assert moved.status_code == 302
    client.force_login(personas.station)
    assert swap.number in client.get("/inbox/").content.decode()
    page = client.get(f"/duty/swaps/{swap.number}/").content.decode()
    assert 'id="swap-keeps-rules"' in page and 'data-move="approve"' in page
    # and approves it
    swap.refresh_from_db()
    assert (
        client.post(f"/duty/swaps/{swap.number}/approve/", {"approve-version": swap.version}).status_code
        == 302
    )
    # then the two shifts are exchanged and the roster still meets every rule
    swap.refresh_from_db()
    assert swap.status == "approved" and not swap.is_open
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.user, mine.day, mine.shift.code) == (t.staff[a], t.month + dt.timedelta(days=D - 1), "中")
    assert (theirs.user, theirs.day, theirs.shift.code) == (t.staff[b], t.month + dt.timedelta(days=D), "夜")
    assert selectors.check_roster(t.roster)[2] == []
    steps = TimelineEntry.objects.filter(case_type="duty_swap", case_id=swap.pk).order_by("id")
    assert list(steps.values_list("transition", flat=True)) == ["open", "agree", "approve"]
    assert Notification.objects.filter(recipient=t.staff[a], title__contains=swap.number).exists()


def test_a_swap_that_breaks_a_rule_is_refused_naming_the_rule_and_nothing_moves(personas, rota):
    t = rota
    a, c = working(t, D, 0), working(t, D, 2)  # the night and the late shift of the same day
    mine, theirs = on(t, a, D), on(t, c, D)
    swap = actions.request_swap(
        actor=t.staff[a], assignment=mine, partner=t.staff[c], partner_assignment=theirs
    )
    swap = actions.move_swap(swap, "agree", actor=t.staff[c], version=swap.version)
    # a would end the late shift at 24:00 and start the early one at 08:00: 8 hours of rest, 12 asked
    with pytest.raises(ValidationError) as refused:
        actions.move_swap(swap, "approve", actor=personas.station, version=swap.version)
    said = " ".join(refused.value.messages)
    assert "班次间休息" in said and "辅警" in said and "8" in said, said
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.user_id, mine.shift.code, theirs.user_id, theirs.shift.code) == (
        t.staff[a].pk,
        "夜",
        t.staff[c].pk,
        "中",
    )
    assert SwapRequest.objects.unscoped(reason="test").get().status == "agreed"
    # the chief may still refuse it, with a reason
    refused = actions.move_swap(swap, "refuse", actor=personas.station, version=swap.version, note="休息不足")
    assert refused.status == "refused"


def test_who_may_take_which_step(client, personas, rota):
    t = rota
    a, b = working(t, D, 0), working(t, D, 3)
    swap = actions.request_swap(actor=t.staff[a], assignment=on(t, a, D), partner=t.staff[b])  # a hand-over
    # the one who asked cannot agree for the colleague, nor the chief approve before the colleague agrees
    with pytest.raises(PermissionDenied):
        actions.move_swap(swap, "agree", actor=t.staff[a], version=swap.version)
    with pytest.raises((PermissionDenied, NotAvailable)):
        actions.move_swap(swap, "approve", actor=personas.station, version=swap.version)
    # one's own shift only, a colleague on the same roster only, one open request per shift
    with pytest.raises(ValidationError):
        actions.request_swap(actor=t.staff[b], assignment=on(t, a, D + 1), partner=t.staff[a])
    with pytest.raises(ValidationError) as outsider:
        actions.request_swap(actor=t.staff[a], assignment=on(t, a, D + 1), partner=personas.grid_a)
    assert "partner" in outsider.value.message_dict
    with pytest.raises(ValidationError):
        actions.request_swap(actor=t.staff[a], assignment=on(t, a, D), partner=t.staff[b])
    # a community officer of a district below the station is a party: they see it and act on it
    officer_swap = actions.request_swap(
        actor=t.staff[a], assignment=on(t, a, D + 1), partner=personas.officer
    )
    client.force_login(personas.officer)
    assert client.get(f"/duty/swaps/{officer_swap.number}/").status_code == 200
    assert officer_swap.number in client.get("/inbox/").content.decode()
    assert client.get(f"/duty/swaps/{swap.number}/").status_code == 404  # not theirs, above their post
    # the colleague declines: closed, and the one who asked hears of it
    declined = actions.move_swap(
        officer_swap, "decline", actor=personas.officer, version=officer_swap.version
    )
    assert declined.status == "declined" and not declined.is_open
    # the one who asked withdraws the other
    assert actions.move_swap(swap, "withdraw", actor=t.staff[a], version=swap.version).status == "withdrawn"


def test_a_shift_past_its_day_cannot_be_swapped(personas, rota):
    t = rota
    past = actions.create_roster(actor=personas.station, unit=t.station, month=dt.date(2026, 2, 1))
    shift = ShiftTemplate.objects.visible_to(personas.station).first()
    old = Assignment.objects.create(roster=past, user=t.staff[0], day=past.month, shift=shift, area=t.station)
    with pytest.raises(ValidationError) as late:
        actions.request_swap(actor=t.staff[0], assignment=old, partner=t.staff[1])
    assert "assignment" in late.value.message_dict
    assert Roster.objects.unscoped(reason="test").count() == 2


def test_the_api_asks_agrees_and_approves(api, personas, rota):
    t = rota
    a, b = working(t, D, 0), working(t, D, 3)
    day, their_day = t.month + dt.timedelta(days=D), t.month + dt.timedelta(days=D - 1)
    asked = api.post(
        "/api/v1/duty/swaps",
        {"day": day.isoformat(), "partner": f"aux{b}", "partner_day": their_day.isoformat()},
        as_=t.staff[a],
    )
    assert asked.status_code == 201, asked.content
    number = asked.json()["number"]
    bad = api.post("/api/v1/duty/swaps", {"day": "2020-01-01", "partner": f"aux{b}"}, as_=t.staff[a])
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "day"
    seen = api.get(f"/api/v1/duty/swaps/{number}", as_=t.staff[b]).json()
    assert [s["name"] for s in seen["steps"]] == ["agree", "decline"]
    url = f"/api/v1/duty/swaps/{number}/transitions"
    agreed = api.post(url, {"transition": "agree", "version": seen["version"]}, as_=t.staff[b])
    assert agreed.status_code == 200 and agreed.json()["status"] == "agreed"
    approved = api.post(
        url, {"transition": "approve", "version": agreed.json()["version"]}, as_=personas.station
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.content
    assert on(t, a, D - 1).shift.code == "中" and on(t, b, D).shift.code == "夜"
    # someone outside the roster's unit gets the same 404 as for a missing request
    assert api.get(f"/api/v1/duty/swaps/{number}", as_=personas.grid_b).status_code == 404
