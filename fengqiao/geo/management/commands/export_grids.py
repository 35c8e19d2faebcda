import json
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from fengqiao.core.commands import ActingCommand
from fengqiao.geo.actions import export_grids
from fengqiao.geo.models import Grid


class Command(ActingCommand):
    help = "Export the grids the actor may see as a GeoJSON FeatureCollection (WGS-84)."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="write to this file instead of standard output")

    def act(self, actor, *args, output, **options):
        collection = export_grids(actor=actor, queryset=Grid.objects.visible_to(actor))
        text = json.dumps(collection, ensure_ascii=False)
        count = len(collection["features"])
        if not output:
            self.stdout.write(text)
            return
        try:
            Path(output).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                _("%(path)s cannot be written: %(error)s") % {"path": output, "error": exc.strerror}
            ) from None
        self.stdout.write(
            self.style.SUCCESS(_("%(n)d grid(s) written to %(path)s") % {"n": count, "path": output})
        )
