import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_token_expiry"),
    ]

    operations = [
        migrations.CreateModel(
            name="PasswordRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("password", models.CharField(editable=False, max_length=128)),
                (
                    "set_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="set at"),
                ),
                ("must_change", models.BooleanField(default=False, verbose_name="must be changed")),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="password_records",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "password record",
                "verbose_name_plural": "password records",
                "indexes": [
                    models.Index(fields=["user", "-set_at", "-id"], name="password_record_newest")
                ],
            },
        ),
    ]
