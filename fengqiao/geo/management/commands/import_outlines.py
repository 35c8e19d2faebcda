from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from fengqiao.core.commands import ActingCommand
from fengqiao.geo.actions import import_outlines
from fengqiao.geo.management.commands._importing import add_datum_argument, run_import


class Command(ActingCommand):
    help = (
        "Set division outlines from GeoJSON files (Polygon, Feature or FeatureCollection). A bare "
        "polygon belongs to the division named by the file's stem, e.g. 640302.json → 640302000000."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="GeoJSON files")
        add_datum_argument(parser)
        parser.add_argument("--code", help="the division of a bare polygon (only with one file)")

    def act(self, actor, *args, files, datum, code, **options):
        if code and len(files) > 1:
            raise CommandError(_("--code names the division of one file; give one file with it"))
        unreadable = []
        for path in files:
            try:
                run_import(self, import_outlines, path, actor=actor, datum=datum, code=code)
            except CommandError as exc:
                self.stderr.write(str(exc))
                unreadable.append(path)
        if unreadable:
            raise CommandError(
                _("%(n)d of %(total)d file(s) could not be read")
                % {"n": len(unreadable), "total": len(files)}
            )
