"""`fengqiao audit`: verify the keyed audit chain, anchor its head outside the database, archive
what is older than the retention period (docs/adr/0007)."""

import datetime as dt
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fengqiao.core import audit
from fengqiao.core.commands import SYSTEM_USERNAME, system_user
from fengqiao.core.context import Source, acting_as


def a_date(text: str) -> dt.datetime:
    """YYYY-MM-DD, the start of that day in the project's time zone."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--before must be a date like 2024-01-31, got {text!r}") from None
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


class Command(BaseCommand):
    help = (
        "Work with the audit log. `audit verify` checks the keyed hash chain (and anchors, archives) and "
        "names the first broken link; `audit anchor` writes the head to the anchor file; `audit archive "
        "--before DATE` moves entries older than the retention period into a signed file."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="check every entry's hash and its link to the one before")
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="FILE",
            help="an anchor file (or a copy of its lines): every anchored head must still be in the chain",
        )
        verify.add_argument(
            "--archive",
            action="append",
            default=[],
            metavar="FILE",
            help="an archive file to check against its .sig and the key, and its inner chain",
        )
        anchor = sub.add_parser("anchor", help="append the chain's head, count and time to the anchor file")
        anchor.add_argument("--file", help=f"the anchor file (default: {settings.AUDIT_ANCHOR_FILE})")
        anchor.add_argument(
            "--print-only", action="store_true", help="print the anchor line to keep elsewhere; write no file"
        )
        archive = sub.add_parser(
            "archive", help="move entries older than the retention period into a signed, compressed file"
        )
        archive.add_argument("--before", required=True, type=a_date, help="archive entries before this date")
        archive.add_argument(
            "--actor",
            default=os.environ.get("FENGQIAO_ACTOR", ""),
            help="username the archive is recorded under (default: FENGQIAO_ACTOR, else 'system')",
        )

    def handle(self, *args, subcommand, **options):
        return getattr(self, subcommand)(**options)

    def verify(self, *, anchor, archive, **options):
        for path in archive:
            checked = audit.verify_archive(path)
            if not checked.ok:
                where = f" at entry #{checked.broken_at}" if checked.broken_at else ""
                raise CommandError(f"audit archive {path} broken{where}: {checked.problem}")
            known = "recorded in this database" if checked.in_database else "not recorded in this database"
            self.stdout.write(
                self.style.SUCCESS(
                    f"audit archive {path} intact: {checked.checked} entries #{checked.first_id}-"
                    f"#{checked.last_id} verified ({known})"
                )
            )
        try:
            anchors = [line for path in anchor for line in audit.read_anchors(path)]
            report = audit.verify_chain(anchors=anchors)
        except (audit.AnchorError, audit.NoAuditKey) as exc:
            raise CommandError(str(exc)) from None
        if not report.ok:
            raise CommandError(
                f"audit chain broken at entry #{report.broken_at}: {report.problem} "
                f"({report.checked} entries before it are intact)"
            )
        archived = f", {report.archived} more archived before them" if report.archived else ""
        anchored = f"; {report.anchors} of {len(anchors)} anchors hold" if anchor else ""
        self.stdout.write(
            self.style.SUCCESS(f"audit chain intact: {report.checked} entries verified{archived}{anchored}")
        )

    def anchor(self, *, file, print_only, **options):
        line = audit.take_anchor().line if print_only else audit.write_anchor(file)
        self.stdout.write(line)

    def archive(self, *, before, actor, **options):
        with acting_as(self.resolve_actor(actor), Source.CLI):
            try:
                cut = audit.archive(before)
            except audit.ArchiveRefused as exc:
                raise CommandError(str(exc)) from None
        if cut is None:
            self.stdout.write(f"no audit entries before {before:%Y-%m-%d}: nothing archived")
            return
        path = settings.AUDIT_ARCHIVE_DIR / cut.file_name
        self.stdout.write(
            self.style.SUCCESS(
                f"archived {cut.count} audit entries #{cut.first_id}-#{cut.last_id} to {path} (signature: "
                f"{path}.sig); the chain goes on from {cut.last_hash}"
            )
        )

    def resolve_actor(self, username: str):
        if not username or username == SYSTEM_USERNAME:
            return system_user()
        try:
            return get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"--actor: no active user named {username!r}") from None
