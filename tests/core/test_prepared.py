"""Prepared queries and inserts give what the ORM gives, and refuse what they cannot do."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import signals
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengqiao.core.models import AuditEntry, CalendarDay, TimelineEntry
from fengqiao.core.prepared import PreparedQuery, insert
from fengqiao.core.scoping import ScopeNotApplied
from fengqiao.geo.models import Grid

pytestmark = pytest.mark.django_db


@pytest.fixture
def days():
    return [
        CalendarDay.objects.create(date=dt.date(2026, 10, 1), working=False, name="国庆节"),
        CalendarDay.objects.create(date=dt.date(2026, 10, 2), working=False, name="国庆节"),
        CalendarDay.objects.create(date=dt.date(2026, 10, 11), working=True, name="调休"),
    ]


def test_model_rows_match_the_orm_with_each_call_s_values(days):
    named = PreparedQuery(lambda name: CalendarDay.objects.filter(name=name).order_by("date"), name=str)
    for name in ("国庆节", "调休", "春节"):
        got = named(name=name)
        want = list(CalendarDay.objects.filter(name=name).order_by("date"))
        assert [(d.pk, d.date, d.working) for d in got] == [(d.pk, d.date, d.working) for d in want]
    assert len(named(name="国庆节")) == 2
    assert isinstance(named(name="调休")[0].date, dt.date)  # converted as Django converts


def test_list_parameters_compile_once_per_length(days):
    working = PreparedQuery(
        lambda ids: CalendarDay.objects.filter(pk__in=ids).values_list("date", "working").order_by("date"),
        ids=(list, int),
    )
    assert working(ids=[days[2].pk]) == [(dt.date(2026, 10, 11), True)]
    assert working(ids=[days[0].pk, days[2].pk]) == [
        (dt.date(2026, 10, 1), False),
        (dt.date(2026, 10, 11), True),
    ]
    assert working(ids=[days[1].pk]) == [(dt.date(2026, 10, 2), False)]
    assert sorted(working._compiled) == [(1,), (2,)]


def test_datetime_and_constant_parameters(days):
    entry = TimelineEntry.objects.create(
        case_type="event", case_id=1, at=timezone.now(), transition="open", to_status="reported"
    )
    since = PreparedQuery(
        lambda at: TimelineEntry.objects.filter(at__gte=at, transition="open").values_list("pk"),
        at=dt.datetime,
    )
    assert since(at=entry.at - dt.timedelta(seconds=1)) == [(entry.pk,)]
    assert since(at=entry.at + dt.timedelta(seconds=1)) == []


def test_a_statement_runs_through_the_connection_so_it_is_logged(days):
    query = PreparedQuery(lambda pk: CalendarDay.objects.filter(pk=pk), pk=int)
    query.first(pk=days[0].pk)  # compiled
    with CaptureQueriesContext(connection) as captured:
        assert query.first(pk=days[1].pk).date == dt.date(2026, 10, 2)
        assert query.first(pk=-1) is None
    assert len(captured) == 2


def test_scoped_models_still_need_a_scope():
    query = PreparedQuery(lambda pk: Grid.objects.filter(pk=pk), pk=int)
    with pytest.raises(ScopeNotApplied):
        query(pk=1)


def test_what_cannot_be_prepared_fails_when_compiled(days):
    with pytest.raises(ValueError, match="did not reach the SQL"):
        PreparedQuery(lambda name: CalendarDay.objects.filter(name__icontains=name), name=str)(name="x")
    with pytest.raises(ValueError, match="are supported"):
        PreparedQuery(lambda: CalendarDay.objects.values("date"))()
    with pytest.raises(TypeError):
        PreparedQuery(lambda pk: CalendarDay.objects.filter(pk=pk), pk=int)(id=1)
    # A constant that happens to equal a marker is caught, not taken for the parameter.
    marker = 2_000_000_001
    with pytest.raises(ValueError, match="depends on"):
        PreparedQuery(lambda pk: CalendarDay.objects.filter(pk__in=[pk, marker]), pk=int)(pk=1)


def test_insert_writes_the_row_save_would(days):
    entry = insert(
        TimelineEntry(case_type="event", case_id=7, at=timezone.now(), transition="open", data={"a": 1})
    )
    stored = TimelineEntry.objects.get(pk=entry.pk)
    assert (stored.case_id, stored.transition, stored.data, stored.note) == (7, "open", {"a": 1}, "")
    assert not entry._state.adding


def test_insert_honours_save_receivers():
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.case_id)

    signals.post_save.connect(receiver, sender=TimelineEntry)
    try:
        insert(TimelineEntry(case_type="event", case_id=8, at=timezone.now(), transition="open"))
    finally:
        signals.post_save.disconnect(receiver, sender=TimelineEntry)
    assert seen == [8]


def test_audit_entries_stay_append_only_after_a_direct_insert():
    from fengqiao.core import audit
    from fengqiao.events.actions import REPORT  # an action residents take, without an account

    entry = audit.record(REPORT, None, object_type="events.event", object_id="1")
    assert AuditEntry.objects.get(pk=entry.pk).entry_hash == entry.entry_hash
    assert audit.verify_chain().ok
    with pytest.raises(PermissionError):
        entry.save()


def test_insert_leaves_a_model_s_own_save_to_it():
    from fengqiao.geo.choices import UnitKind
    from fengqiao.geo.models import PoliceUnit

    city = insert(PoliceUnit(kind=UnitKind.CITY, code="640300", name="吴忠市公安局"))
    county = insert(PoliceUnit(kind=UnitKind.COUNTY, code="640302", name="利通区分局", parent=city))
    assert PoliceUnit.objects.get(pk=county.pk).path == "640300/640302"  # set by PoliceUnit.save
