"""fengqiao import_judgements FILE [--actor USER]: the register of court judgements, read-only."""

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from fengqiao.core.commands import ActingCommand
from fengqiao.core.importing import ImportFileError
from fengqiao.selfservice.importing import import_records


class Command(ActingCommand):
    help = (
        "Import court judgements (CSV UTF-8/GBK or XLSX) into the register certificates are decided against."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--errors", default=None, help="where to write the rejected rows")

    def act(self, actor, *args, file, errors, **options):
        try:
            result = import_records(file, actor=actor, errors_path=errors)
        except (ImportFileError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result.message)
        if result.errors_file:
            self.stdout.write(f"errors: {result.errors_file}")
