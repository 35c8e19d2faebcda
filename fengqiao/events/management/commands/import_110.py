"""``fengqiao import_110 FILE``: incidents from an export of the 110 dispatch system."""

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from fengqiao.core.commands import ActingCommand
from fengqiao.core.importing import ImportFileError
from fengqiao.events.importing import CHUNK_SIZE, import_110
from fengqiao.geo.datum import DATUMS


class Command(ActingCommand):
    help = (
        "Import incidents from a 110 dispatch system export (CSV in UTF-8, with or without BOM, or "
        "GBK/GB18030; or XLSX) with the columns 接警单编号, 报警时间, 报警人, 联系电话, 案发地址, 经度, "
        "纬度, 警情类别, 警情内容 (or 简要案情) and 处理结果. Each incident becomes an event of channel "
        "110; incident numbers already on file are left unchanged, so a file can be imported again. "
        "Bad rows are reported (line, column, reason) in an error file of the same format. Exit "
        "status 0 when the file was processed (even with rejected rows), 1 when it could not be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV or XLSX export")
        parser.add_argument(
            "--datum",
            choices=DATUMS,
            default="wgs84",
            help="datum of the 经度/纬度 columns: wgs84 (default) or gcj02 (common in Chinese exports)",
        )
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

    def act(self, actor, *args, file, datum, errors, report, chunk_size, no_progress, **options):
        if chunk_size < 1:
            raise CommandError(_("--chunk-size must be at least 1"))
        if report:
            directory = Path(report).parent
            if not directory.is_dir():
                raise CommandError(
                    _("%(option)s: the directory %(dir)s does not exist")
                    % {"option": "--report", "dir": directory}
                )
        bar = None
        if not no_progress:
            from tqdm import tqdm

            bar = tqdm(desc="110", unit=" rows", file=self.stderr._out, dynamic_ncols=True)

        def progress(done: int) -> None:
            if bar is not None:
                bar.n = done
                bar.refresh()

        try:
            result = import_110(
                file, actor=actor, datum=datum, errors_path=errors, chunk_size=chunk_size, progress=progress
            )
        except (ImportFileError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        finally:
            if bar is not None:
                bar.close()
        style = self.style.SUCCESS if not result.rejected else self.style.WARNING
        self.stdout.write(style(result.message))
        if result.errors_file:
            self.stdout.write(
                _("%(n)d rejected row(s), with line, column and reason, are in %(path)s")
                % {"n": result.rejected, "path": result.errors_file}
            )
        if report:
            Path(report).write_text(json.dumps(result.counts(), indent=2) + "\n", encoding="utf-8")
