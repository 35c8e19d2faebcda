"""A title is at most 100 characters now (events.rules.TITLE_MAX; it was 200). Before the column
shrinks (0005), every longer title is cut to 99 characters and an ellipsis, so no row is refused by
PostgreSQL and none is cut mid-way silently by SQLite; the whole text a reporter wrote stays in the
description. Only the rows that are too long are read and written."""

from django.db import migrations
from django.db.models.functions import Length

TITLE_MAX = 100  # as it is now: a migration does not follow later changes of the constant
BATCH = 500


def shorten(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    long_ones = Event.objects.annotate(n=Length("title")).filter(n__gt=TITLE_MAX).order_by("pk")
    last = 0
    while True:
        batch = list(long_ones.filter(pk__gt=last).only("pk", "title")[:BATCH])
        if not batch:
            break
        for event in batch:
            event.title = event.title[: TITLE_MAX - 1] + "…"
        Event.objects.bulk_update(batch, ["title"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_event_scope_time_idx"),
    ]

    operations = [
        migrations.RunPython(shorten, migrations.RunPython.noop, elidable=False),
    ]
