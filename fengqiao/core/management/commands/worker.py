"""`fengqiao worker`: the background process. Runs queued tasks (django-tasks' database backend:
notification deliveries, uploads) and the periodic jobs apps register (core.periodic): the deadline
sweep every minute, the judicial-confirmation reminders of mediation agreements daily, ... Any
number of workers may run: each periodic job runs once a period across all of them."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from fengqiao.core import periodic
from fengqiao.core.commands import system_user
from fengqiao.core.context import Source, acting_as


class Command(BaseCommand):
    help = "Run background tasks and the periodic jobs (deadline sweep every minute, daily reminders)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="the due jobs and one pass over the queue")
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between looks at the task queue")

    def handle(self, *args, once=False, poll=1.0, **options):
        while True:
            with acting_as(system_user(), Source.WORKER):
                for name, result in periodic.run_due():
                    if result:
                        self.stdout.write(f"{name}: {result}")
            call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
            if once:
                return
            time.sleep(poll)
