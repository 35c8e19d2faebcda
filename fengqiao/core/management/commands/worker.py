"""`fengqiao worker`: the background process. Runs queued tasks (django-tasks' database backend:
notification deliveries, uploads) and, once a minute, the deadline sweep of every case type."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from fengqiao.core import casework
from fengqiao.core.commands import system_user
from fengqiao.core.context import Source, acting_as
from fengqiao.core.notifications.tasks import requeue_stale


class Command(BaseCommand):
    help = "Run background tasks and the deadline sweep (reminders, escalation) every minute."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="one sweep and one pass over the queue, then exit"
        )
        parser.add_argument(
            "--sweep-every", type=float, default=60.0, help="seconds between sweeps (default 60)"
        )
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between looks at the task queue")

    def handle(self, *args, once=False, sweep_every=60.0, poll=1.0, **options):
        next_sweep = 0.0
        while True:
            if time.monotonic() >= next_sweep:
                self.sweep()
                next_sweep = time.monotonic() + sweep_every
            call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
            if once:
                return
            time.sleep(poll)

    def sweep(self):
        with acting_as(system_user(), Source.WORKER):
            report = casework.sweep()
            requeue_stale()  # deliveries whose task was lost with a dead worker
        if report.reminded or report.escalated:
            self.stdout.write(f"sweep: {report.reminded} reminded, {report.escalated} escalated")
