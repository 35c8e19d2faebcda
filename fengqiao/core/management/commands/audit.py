from django.core.management.base import BaseCommand, CommandError

from fengqiao.core.audit import verify_chain


class Command(BaseCommand):
    help = "Work with the audit log. `audit verify` checks the hash chain and names the first broken link."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="check every entry's hash and its link to the one before")

    def handle(self, *args, subcommand, **options):
        report = verify_chain()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.checked} entries verified"))
            return
        raise CommandError(
            f"audit chain broken at entry #{report.broken_at}: {report.problem} "
            f"({report.checked} entries before it are intact)"
        )
