"""``fengqiao backup --output DIR_OR_FILE``: an encrypted backup of the running system
(core.backup): the database, the uploaded files, the audit archive and anchors, and a manifest."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from fengqiao.core.backup import BackupError, make_backup
from fengqiao.core.commands import ActingCommand


class Command(ActingCommand):
    help = (
        "Write an encrypted backup (AES-256-GCM under FENGQIAO_BACKUP_KEY or the key file) of the "
        "database, the uploaded files and the audit archive, with a manifest, while the system runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            required=True,
            metavar="PATH",
            help="the backup file, or a directory for one named after the time (keep it off the data's disk)",
        )

    def act(self, actor, *args, output, **options):
        try:
            result = make_backup(output, actor=actor)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = result.manifest
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Backup written to %(file)s (%(size)d bytes, SHA-256 %(sha256)s): %(tables)d tables, "
                    "%(rows)d rows, %(files)d files, audit chain of %(count)d entries ending in %(head)s"
                )
                % {
                    "file": result.path,
                    "size": result.size,
                    "sha256": result.sha256,
                    "tables": len(manifest["tables"]),
                    "rows": sum(manifest["tables"].values()),
                    "files": len(manifest["files"]) - 1,
                    "count": manifest["audit"]["count"],
                    "head": manifest["audit"]["head"][:16],
                }
            )
        )
