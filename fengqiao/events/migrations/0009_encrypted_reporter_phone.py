"""Reporters' phones encrypted at rest (docs/adr/0010). The rows already there are encrypted here, chunk by chunk,
with the function the key rotation uses."""

from django.db import migrations

import fengqiao.core.crypto


def encrypt_existing(apps, schema_editor):
    from fengqiao.core.crypto import reseal_chunk

    model = apps.get_model("events", "Event")
    last = 0
    while last is not None:
        last, _count = reseal_chunk(model, after_pk=last)


class Migration(migrations.Migration):
    dependencies = [("events", "0008_event_classification"), ("registry", "0010_encrypted_personal_data")]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="reporter_phone",
            field=fengqiao.core.crypto.EncryptedCharField(
                blank=True, max_length=20, verbose_name="reporter phone"
            ),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=True),
    ]
