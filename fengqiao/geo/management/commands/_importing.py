"""Shared printing for the import commands: the summary, then every rejected row."""

from django.core.management.base import CommandError

from fengqiao.core.importing import ImportFileError
from fengqiao.geo.datum import DATUMS


def add_datum_argument(parser) -> None:
    parser.add_argument(
        "--datum",
        choices=DATUMS,
        default="wgs84",
        help="datum of the file's coordinates; gcj02 is converted to WGS-84 (default: wgs84)",
    )


def run_import(command, action, path, **kwargs):
    """Run one import action and print its report; CommandError when the file cannot be read."""
    try:
        report = action(path, **kwargs)
    except ImportFileError as exc:
        raise CommandError(str(exc)) from None
    style = command.style.SUCCESS if not report.rejected else command.style.WARNING
    command.stdout.write(style(report.summary()))
    for error in report.errors:
        command.stderr.write(f"{report.source} {error}")
    return report
