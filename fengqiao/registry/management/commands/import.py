"""``fengqiao import <kind> FILE``: bulk import of registry records from CSV or XLSX."""

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from fengqiao.core.commands import ActingCommand
from fengqiao.core.importing import ImportFileError
from fengqiao.registry.importing.columns import KINDS
from fengqiao.registry.importing.runner import CHUNK_SIZE, ImportInterrupted, run_import


class Command(ActingCommand):
    # A data command, run often and by scripts: the project's checks run at deployment (migrate,
    # check), not before every file (they cost a third of a second).
    requires_system_checks = []
    help = (
        "Import registry records from a CSV (UTF-8 with or without BOM, or GBK/GB18030) or XLSX file "
        "whose columns carry the Chinese or English headers of the kind's template. Bad rows are "
        "reported (line, column, reason) in an error file of the same format; the good ones go in. "
        "Re-running the same file resumes an interrupted import and changes nothing otherwise. "
        "Exit status 0 when the file was processed (even with rejected rows), 1 when it could not be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS), help="what the file holds")
        parser.add_argument("file", help="the CSV or XLSX file")
        parser.add_argument(
            "--errors", metavar="FILE", help="where the rejected rows go (default: under the data directory)"
        )
        parser.add_argument(
            "--report",
            metavar="FILE",
            help="write the summary as JSON: read, inserted, updated, unchanged, rejected",
        )
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help="rows per transaction")
        parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")

    def act(self, actor, *args, kind, file, errors, report, chunk_size, no_progress, **options):
        if chunk_size < 1:
            raise CommandError(_("--chunk-size must be at least 1"))
        if report:
            _check_writable(Path(report), "--report")
        bar = None
        if not no_progress:
            from tqdm import tqdm

            bar = tqdm(desc=kind, unit=" rows", total=0, file=self.stderr._out, dynamic_ncols=True)

        def progress(done: int, total: int) -> None:
            if bar is None:
                return
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            batch = run_import(
                kind, file, actor=actor, errors_path=errors, chunk_size=chunk_size, progress=progress
            )
        except (ImportFileError, PermissionDenied, ImportInterrupted) as exc:
            raise CommandError(str(exc)) from None
        finally:
            if bar is not None:
                bar.close()
        style = self.style.SUCCESS if not batch.rejected else self.style.WARNING
        self.stdout.write(style(batch.message))
        if batch.errors_file:
            self.stdout.write(
                _("%(n)d rejected row(s), with line, column and reason, are in %(path)s")
                % {"n": batch.rejected, "path": batch.errors_file}
            )
        if report:
            Path(report).write_text(
                json.dumps({**batch.counts(), **batch.address_counts()}, indent=2) + "\n", encoding="utf-8"
            )


def _check_writable(path: Path, option: str) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise CommandError(
            _("%(option)s: the directory %(dir)s does not exist") % {"option": option, "dir": directory}
        )
