"""The solver's proposal runs in the worker (django-tasks' database backend, run by its own worker
code as ``fengqiao db_worker`` runs it): the roster says "being proposed" until the worker has
answered, then shows the roster or the rules that made it infeasible."""

import pytest
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from fengqiao.duty import actions
from fengqiao.duty.models import Assignment, Roster
from tests.duty.conftest import MONTH

pytestmark = pytest.mark.django_db
NOBODY = "还没有人员"  # the pages are in Chinese by default


def run_worker() -> int:
    """Run every task that is due, as the database backend's worker does; returns how many."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while (result := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    assert not DBTaskResult.objects.failed().exists(), DBTaskResult.objects.failed().first().traceback
    return ran


def roster_of(pk) -> Roster:
    return Roster.objects.unscoped(reason="test").get(pk=pk)


def test_the_page_says_being_proposed_until_the_worker_has_proposed(
    client, personas, small_unit, django_capture_on_commit_callbacks
):
    roster = actions.create_roster(actor=personas.station, unit=small_unit.station, month=MONTH)
    client.force_login(personas.station)
    # when the chief asks for a proposal, the request only queues it
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/duty/rosters/{roster.pk}/propose/")
    assert response.status_code == 302
    assert roster_of(roster.pk).proposal_status == "queued"
    assert not Assignment.objects.filter(roster=roster).exists()
    page = client.get(f"/duty/rosters/{roster.pk}/").content.decode()
    assert 'id="proposing"' in page and 'id="propose"' not in page  # no second request meanwhile
    assert client.get(f"/duty/rosters/{roster.pk}/proposal/").status_code == 200  # still polling
    # a second ask while it runs is refused, and queues nothing
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/duty/rosters/{roster.pk}/propose/")
    assert DBTaskResult.objects.ready().count() == 1
    # when the worker runs
    assert run_worker() == 1
    # then the roster holds the proposal, the poll tells the page to reload, and it shows it
    done = roster_of(roster.pk)
    assert done.proposal_status == "feasible" and done.proposal["shifts"] > 0
    assert Assignment.objects.filter(roster=roster).count() == done.proposal["shifts"]
    poll = client.get(f"/duty/rosters/{roster.pk}/proposal/")
    assert poll.status_code == 204 and poll["HX-Refresh"] == "true"
    page = client.get(f"/duty/rosters/{roster.pk}/").content.decode()
    assert 'id="proposing"' not in page and 'id="all-met"' in page


def test_an_infeasible_roster_names_the_rule_after_the_worker(
    client, personas, small_unit, django_capture_on_commit_callbacks
):
    t = small_unit
    actions.save_rule(
        actor=personas.station,
        unit=t.station,
        kind="reception",
        value=2,
        area=t.district_a,
        weekdays=[2],
        start_hour=9,
        end_hour=17,
    )  # two at d01's office on Wednesdays; d01 has one officer
    roster = actions.create_roster(actor=personas.station, unit=t.station, month=MONTH)
    client.force_login(personas.station)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/duty/rosters/{roster.pk}/propose/")
    run_worker()
    assert roster_of(roster.pk).proposal_status == "infeasible"
    page = client.get(f"/duty/rosters/{roster.pk}/").content.decode()
    assert 'id="conflicts"' in page and "警务室接待时间" in page and "2026-02-04" in page
    assert not Assignment.objects.filter(roster=roster).exists()


def test_a_unit_without_staff_or_shifts_is_told_at_once_not_by_the_worker(client, personas):
    roster = actions.create_roster(actor=personas.station, unit=personas.territory.district_b, month=MONTH)
    client.force_login(personas.station)
    response = client.post(f"/duty/rosters/{roster.pk}/propose/", follow=True)
    assert NOBODY in response.content.decode()
    assert roster_of(roster.pk).proposal_status == ""
    assert not DBTaskResult.objects.exists()
