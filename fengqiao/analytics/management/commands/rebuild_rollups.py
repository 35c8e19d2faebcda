"""``fengqiao rebuild_rollups``: count the command room's daily figures again from the records
(after a bulk load or grids moved to another station, which write without ``save()``)."""

from django.core.management.base import BaseCommand

from fengqiao.analytics import rollups


class Command(BaseCommand):
    help = "Count the command room's daily figures (rollups) again from the records."

    def handle(self, *args, **options):
        rows = rollups.rebuild()
        self.stdout.write(f"{rows} daily counts written")
