from fengqiao.core.commands import ActingCommand
from fengqiao.geo.actions import import_divisions
from fengqiao.geo.management.commands._importing import add_datum_argument, run_import


class Command(ActingCommand):
    help = (
        "Import administrative divisions from a CSV shaped like divisions_2016.csv "
        "(code,parent,name,level,…,ur_code,…,longitude,latitude). Re-importing updates in place."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file")
        add_datum_argument(parser)

    def act(self, actor, *args, file, datum, **options):
        run_import(self, import_divisions, file, actor=actor, datum=datum)
