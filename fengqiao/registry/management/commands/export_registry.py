"""``fengqiao export_registry <kind> FILE``: the records the actor may see, as CSV or XLSX."""

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from fengqiao.core.commands import ActingCommand
from fengqiao.registry.exporting import FORMATS, export_records
from fengqiao.registry.importing.columns import KINDS


class Command(ActingCommand):
    help = (
        "Export the registry records the actor may see to CSV (UTF-8 with BOM) or XLSX, with the "
        "import template's columns. ID numbers and phones are masked unless the actor's role sees "
        "them whole. The export is audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("file", help="the file to write; its suffix (.csv or .xlsx) picks the format")
        parser.add_argument("--format", choices=FORMATS, help="csv or xlsx (default: from the file's suffix)")
        parser.add_argument(
            "--grid", action="append", default=[], metavar="CODE", help="only this grid (repeatable)"
        )
        parser.add_argument(
            "--include-retired", action="store_true", help="also retired records and ended relations"
        )

    def act(self, actor, *args, kind, file, format, grid, include_retired, **options):
        path = Path(file)
        fmt = format or path.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            raise CommandError(_("give --format csv or xlsx, or a file ending in .csv or .xlsx"))
        if not path.parent.is_dir():
            raise CommandError(_("the directory %(dir)s does not exist") % {"dir": path.parent})
        try:
            count = export_records(
                actor=actor, kind=kind, fmt=fmt, path=path, grids=grid, include_retired=include_retired
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except OSError as exc:
            raise CommandError(
                _("%(path)s cannot be written: %(error)s") % {"path": path, "error": exc.strerror}
            ) from None
        self.stdout.write(
            self.style.SUCCESS(_("%(n)d row(s) written to %(path)s") % {"n": count, "path": path})
        )
