"""Dispute parties' ID numbers and phones encrypted at rest, with keyed hashes for exact look-ups
(the registry's fields and keys, docs/adr/0010). The rows already there are encrypted here, chunk
by chunk, with the function the key rotation uses."""

from django.db import migrations

import fengqiao.core.crypto


def encrypt_existing(apps, schema_editor):
    from fengqiao.core.crypto import reseal_chunk

    model = apps.get_model("disputes", "DisputeParty")
    last = 0
    while last is not None:
        last, _count = reseal_chunk(model, after_pk=last)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0002_mediation_kind"),
        ("registry", "0010_encrypted_personal_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="disputeparty",
            name="id_number_hash",
            field=fengqiao.core.crypto.BlindIndexField(
                blank=True, db_index=True, label="id_number", source="id_number"
            ),
        ),
        migrations.AddField(
            model_name="disputeparty",
            name="phone_hash",
            field=fengqiao.core.crypto.BlindIndexField(
                blank=True, db_index=True, label="phone", source="phone"
            ),
        ),
        migrations.AlterField(
            model_name="disputeparty",
            name="id_number",
            field=fengqiao.core.crypto.EncryptedCharField(
                blank=True, indexed_by="id_number_hash", max_length=18, verbose_name="ID number"
            ),
        ),
        migrations.AlterField(
            model_name="disputeparty",
            name="phone",
            field=fengqiao.core.crypto.EncryptedCharField(
                blank=True, indexed_by="phone_hash", max_length=20, verbose_name="phone"
            ),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=True),
    ]
