"""Integrity flags for the station chief: credited unusually often; points given by a member of
staff to someone at their own address; earning just under the cap month after month. Each is
raised once, and its resolution is recorded with who gave it."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from fengqiao.core.models import AuditEntry
from fengqiao.patrols.models import Member
from fengqiao.points import actions
from fengqiao.points.models import Flag
from tests.fixtures.registry import make_address, make_person

pytestmark = pytest.mark.django_db


def flags(kind):
    return Flag.objects.unscoped(reason="test").filter(kind=kind)


def test_credits_unusually_often_raise_one_flag_and_the_chief_resolves_it(world, client):
    world.rule.monthly_cap = 0
    world.rule.save()
    for n in range(actions.OFTEN_PER_WEEK):
        actions.award_points(world.member_a, actor=world.clerk, points=5, reason=f"巡逻{n}")
    assert not flags("often").exists()
    for n in range(3):
        actions.award_points(world.member_a, actor=world.clerk, points=5, reason=f"再巡逻{n}")
    flag = flags("often").get()
    assert flag.member == world.member_a and "11" in flag.detail
    # the station chief records what they found, on the flags page
    client.force_login(world.clerk)
    assert world.member_a.name in client.get("/points/flags/").content.decode()
    assert (
        client.post("/points/flags/", {"flag": flag.pk, "resolution": "汛期加密巡逻，属实"}).status_code
        == 302
    )
    flag.refresh_from_db()
    assert flag.resolved_by == world.clerk and flag.resolution == "汛期加密巡逻，属实"
    assert AuditEntry.objects.filter(action="points_flag_resolve", object_id=str(flag.pk)).exists()
    with pytest.raises(ValidationError):  # resolved once: a second resolution is refused
        actions.resolve_flag(flag, actor=world.clerk, resolution="again")
    flag.refresh_from_db()
    assert flag.resolution == "汛期加密巡逻，属实"


def test_points_given_to_someone_at_the_givers_own_address_are_flagged(world, personas):
    home = make_address(personas.territory.grid_a)
    Member.objects.create(
        team=world.teams["A"],
        user=world.clerk,
        person=make_person(home),
        name="赵六",
        joined_on=dt.date.today(),
    )
    # a volunteer living elsewhere: no flag
    world.member_b.person = make_person(make_address(personas.territory.grid_b), name="马志强")
    world.member_b.save()
    actions.award_points(world.member_b, actor=world.clerk, points=10, reason="协助寻人")
    assert not flags("own_household").exists()
    # the clerk's own housemate: flagged, naming the transaction
    world.member_a.person = make_person(home, name="王兰花")
    world.member_a.save()
    txn = actions.award_points(world.member_a, actor=world.clerk, points=10, reason="协助寻人")
    assert flags("own_household").get().transaction == txn


def test_earning_just_under_the_cap_three_months_running_is_flagged(world):
    world.rule.monthly_cap = 100
    world.rule.save()
    start = actions.month_start(timezone.now())
    for months_ago in (2, 1):
        day = start
        for _n in range(months_ago):
            day = actions.month_start(day - dt.timedelta(days=1))
        txn = actions.award_points(world.member_a, actor=world.clerk, points=95, reason="巡逻")
        # dated into that month, as if earned then (the ledger's own queryset refuses the update)
        QuerySet(type(txn)).filter(pk=txn.pk).update(created_at=day + dt.timedelta(days=3))
    assert not flags("under_cap").exists()
    actions.award_points(world.member_a, actor=world.clerk, points=92, reason="巡逻")
    assert "95 / 95 / 92" in flags("under_cap").get().detail
