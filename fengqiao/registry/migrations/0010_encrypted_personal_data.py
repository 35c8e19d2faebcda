"""ID numbers, phones, legal representatives' ID numbers and care tags' notes encrypted at rest,
with keyed hashes for exact look-ups and uniqueness; a record's history keeps them encrypted too
(docs/adr/0010). The rows already there are encrypted here, under the data key (made in the data
directory on first use, as the audit key is), chunk by chunk."""

from django.db import migrations

import fengqiao.core.crypto


def encrypt_existing(apps, schema_editor):
    from fengqiao.core.crypto import reseal_chunk

    for name in ("Person", "Organisation", "CareTag", "RecordHistory"):
        model = apps.get_model("registry", name)
        last = 0
        while last is not None:
            last, _count = reseal_chunk(model, after_pk=last)


class Migration(migrations.Migration):
    dependencies = [("registry", "0009_person_code_tables")]

    operations = [
        migrations.AlterField(
            model_name="person",
            name="id_number",
            field=fengqiao.core.crypto.EncryptedCharField(
                blank=True,
                error_messages={"unique": "This ID number is already registered."},
                help_text=(
                    "Citizen ID number (GB 11643); empty only for overseas people, who have a document."
                ),
                indexed_by="id_number_hash",
                max_length=18,
                null=True,
                verbose_name="ID number",
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="id_number_hash",
            field=fengqiao.core.crypto.BlindIndexField(
                label="id_number", null=True, source="id_number", unique=True
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="phone",
            field=fengqiao.core.crypto.EncryptedCharField(
                blank=True, indexed_by="phone_hash", max_length=20, verbose_name="phone"
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="phone_hash",
            field=fengqiao.core.crypto.BlindIndexField(
                blank=True, db_index=True, default="", label="phone", source="phone"
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="organisation",
            name="legal_representative_id",
            field=fengqiao.core.crypto.EncryptedCharField(
                blank=True, max_length=18, null=True, verbose_name="legal representative's ID number"
            ),
        ),
        migrations.AlterField(
            model_name="organisation",
            name="phone",
            field=fengqiao.core.crypto.EncryptedCharField(
                blank=True, indexed_by="phone_hash", max_length=20, verbose_name="phone"
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="phone_hash",
            field=fengqiao.core.crypto.BlindIndexField(
                blank=True, db_index=True, default="", label="phone", source="phone"
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="caretag",
            name="note",
            field=fengqiao.core.crypto.EncryptedTextField(blank=True, verbose_name="note"),
        ),
        migrations.AlterField(
            model_name="recordhistory",
            name="before",
            field=fengqiao.core.crypto.SealedJSONField(
                blank=True,
                default=dict,
                sealed=("id_number", "phone", "legal_representative_id", "note"),
                verbose_name="before",
            ),
        ),
        migrations.AlterField(
            model_name="recordhistory",
            name="after",
            field=fengqiao.core.crypto.SealedJSONField(
                blank=True,
                default=dict,
                sealed=("id_number", "phone", "legal_representative_id", "note"),
                verbose_name="after",
            ),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=True),
    ]
