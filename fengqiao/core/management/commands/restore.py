"""``fengqiao restore FILE``: restore an encrypted backup into an empty database and data
directory, check it against its manifest and verify the audit chain (core.backup)."""

import os

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fengqiao.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    # The database is empty until the restore is done: no check may touch it before.
    requires_system_checks = []
    help = (
        "Restore a backup made by `fengqiao backup` into the configured database and data directory, "
        "which must be empty; the files are checked against the manifest and the audit chain is verified "
        "before it is done. A wrong key or a damaged file leaves them empty."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--actor",
            default=os.environ.get("FENGQIAO_ACTOR", ""),
            help="username the restore is recorded under, if the backup has that account (default: 'system')",
        )

    def handle(self, *args, file, actor, **options):
        try:
            result = restore_backup(file, actor_name=actor)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Restored %(file)s (made %(made)s): %(tables)d tables, %(rows)d rows, %(files)d files; "
                    "audit chain verified, %(checked)d entries"
                )
                % {
                    "file": file,
                    "made": result.manifest["created_at"],
                    "tables": len(result.manifest["tables"]),
                    "rows": result.rows,
                    "files": result.files,
                    "checked": result.audit_checked,
                }
            )
        )
