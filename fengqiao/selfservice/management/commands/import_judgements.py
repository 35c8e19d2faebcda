"""fengqiao import_judgements FILE --as USER: the register of court judgements, read-only."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from fengqiao.core import context
from fengqiao.core.importing import ImportFileError
from fengqiao.selfservice.importing import import_records


class Command(BaseCommand):
    help = (
        "Import court judgements (CSV UTF-8/GBK or XLSX) into the register certificates are decided against."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", required=True, help="a county or city bureau account")
        parser.add_argument("--errors", default=None, help="where to write the rejected rows")

    def handle(self, *args, file, username, errors, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        try:
            with context.acting_as(user, context.Source.CLI):
                result = import_records(file, actor=user, errors_path=errors)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result.message)
        if result.errors_file:
            self.stdout.write(f"errors: {result.errors_file}")
