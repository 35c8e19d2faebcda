from fengqiao.core.commands import ActingCommand
from fengqiao.geo.actions import import_grids
from fengqiao.geo.management.commands._importing import add_datum_argument, run_import


class Command(ActingCommand):
    help = (
        "Import grids from a GeoJSON FeatureCollection whose features carry code, name, community "
        "and district. Re-importing updates in place; bad features are reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the GeoJSON file")
        add_datum_argument(parser)

    def act(self, actor, *args, file, datum, **options):
        run_import(self, import_grids, file, actor=actor, datum=datum)
