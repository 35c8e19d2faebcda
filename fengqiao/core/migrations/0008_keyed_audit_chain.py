"""The keyed audit chain (docs/adr/0007): each entry names its hash scheme (the entries before
this one keep plain "sha256"), the chain head is signed, and archive cuts are recorded.

The append-only triggers keep their names and still refuse every UPDATE. A DELETE now passes
for one kind of row only: an entry that a recorded archive cut (core_auditarchive) covers and that
is older than 183 days, the six months MLPS asks audit records be kept, whatever the settings say.
The archive command inserts the cut and deletes its entries in one transaction
(core.audit.archive); nothing else inserts cuts.
"""

import importlib

from django.db import migrations, models

_BEFORE = importlib.import_module("fengqiao.core.migrations.0002_audit_append_only")

# Lifted and put back by the suite's flushable_audit fixture (tests/conftest.py), too.
SQLITE = [
    """CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    """CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
       WHEN OLD.created_at > datetime('now', '-183 days')
         OR NOT EXISTS (SELECT 1 FROM core_auditarchive a WHERE OLD.id BETWEEN a.first_id AND a.last_id)
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
]
SQLITE_REVERSE = _BEFORE.SQLITE_REVERSE
POSTGRES = [
    """CREATE OR REPLACE FUNCTION core_auditentry_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' AND OLD.created_at < now() - interval '183 days' AND EXISTS (
              SELECT 1 FROM core_auditarchive a WHERE OLD.id BETWEEN a.first_id AND a.last_id) THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'audit entries are append-only';
       END; $$ LANGUAGE plpgsql""",
]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0007_rate_window'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditArchive',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('archived_at', models.DateTimeField(verbose_name='archived at')),
                ('before', models.DateTimeField(verbose_name='entries before')),
                ('first_id', models.BigIntegerField(verbose_name='first entry')),
                ('last_id', models.BigIntegerField(unique=True, verbose_name='last entry')),
                ('count', models.BigIntegerField(verbose_name='entries')),
                ('total', models.BigIntegerField(verbose_name='entries archived in all')),
                ('first_prev_hash', models.CharField(max_length=64)),
                ('last_hash', models.CharField(max_length=64)),
                ('file_name', models.CharField(max_length=255, verbose_name='file')),
                ('file_hmac', models.CharField(max_length=64)),
                ('scheme', models.CharField(max_length=16, verbose_name='hash scheme')),
                ('mac', models.CharField(max_length=64)),
            ],
            options={
                'verbose_name': 'audit archive',
                'verbose_name_plural': 'audit archives',
                'ordering': ['last_id'],
            },
        ),
        migrations.AddField(
            model_name='auditchainhead',
            name='mac',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='scheme',
            field=models.CharField(default='sha256', max_length=16, verbose_name='hash scheme'),
            preserve_default=False,
        ),
        migrations.RunPython(
            run({"sqlite": SQLITE_REVERSE + SQLITE, "postgresql": POSTGRES}),
            run({"sqlite": SQLITE_REVERSE + _BEFORE.SQLITE, "postgresql": _BEFORE.POSTGRES[:1]}),
        ),
    ]
