"""``fengqiao weekly_report [--unit PATH] [--week YYYY-Www]``: make the weekly analysis reports now
(by default last week's, for every station, county and the city), as the worker does on Mondays."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fengqiao.analytics import report


class Command(BaseCommand):
    help = "Make the weekly analysis reports (PDF and XLSX) of a week for the units at or under a path."

    def add_arguments(self, parser):
        parser.add_argument("--unit", default="", help="a unit's path (640300/640302/ps01); default: all")
        parser.add_argument("--week", default="", help="an ISO week, YYYY-Www; default: last week")
        parser.add_argument("--quiet-channels", action="store_true", help="do not announce the reports")

    def handle(self, *args, unit, week, quiet_channels, **options):
        try:
            monday = report.parse_week(week) if week else report.last_week()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if unit and not report.units(unit):
            raise CommandError(f"No station, county or city at or under {unit}.")
        for made in report.make_all(monday, path=unit, notify=not quiet_channels):
            self.stdout.write(f"{made.unit.path}\t{made.week:%G-W%V}\t{made.pdf_name}\t{made.xlsx_name}")
