"""Seal the audit entries written before the chain was keyed (docs/adr/0007).

They keep their plain SHA-256 hashes (re-hashing them would rewrite the record this table exists
to keep); one keyed entry is appended after them, whose HMAC covers the last of their hashes, so
nobody without the audit key can rewrite them any more. The key is read (or its file made) as the
application does: set FENGQIAO_AUDIT_KEY or FENGQIAO_AUDIT_KEY_FILE before migrating.
"""

from django.db import migrations


def seal(apps, schema_editor):
    from fengqiao.core import audit

    audit.seal_legacy_chain(apps.get_model("core", "AuditEntry"), apps.get_model("core", "AuditChainHead"))


class Migration(migrations.Migration):
    dependencies = [("core", "0008_keyed_audit_chain")]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
