"""Which categories' reports the public Open311 list may show (``Category.shown_publicly``).

Anonymous ``GET /open311/v2/requests`` used to list every report of a category open to residents,
tips (0504 举报) included, with the room-level address, the exact point and the time: who reported
whom, where. Now a category's reports are listed only when it is about a public space, and then
with the point rounded to about 100 m and the address reduced to its community.

Chosen by what the bundled codes (events/data/categories.json) mean:

- shown: 0401 安全隐患 (hazards in public places: a broken manhole cover, a dark stairwell), 0403
  环境卫生 (rubbish, sanitation, a broken street lamp): what a neighbour may see on the street.
- not shown, because they are police matters: 01 警情 and its children (crimes, public order,
  traffic, fraud), 02 案情, 03 舆情.
- not shown, because they are about a person: 0402 矛盾纠纷 (a dispute names its parties), 0404
  流动人口与出租房屋, 0501 咨询, 0502 求助, 0503 投诉 (a complaint is about someone), 0504 举报 (a
  tip about someone: never public), 0505 建议 (what a resident writes to the police for themselves).
- the branch nodes 04 and 05 hold both kinds: not shown.

Categories added later start hidden (the field's default); the admin can show them.
"""

import uuid

from django.db import migrations

SHOWN = ("0401", "0403")


def choose(apps, schema_editor):
    Category = apps.get_model("events", "Category")
    Category.objects.filter(code__in=SHOWN).update(shown_publicly=True)
    # The category cache (core.refcache "event_categories") reloads on its version: move it.
    ReferenceVersion = apps.get_model("core", "ReferenceVersion")
    ReferenceVersion.objects.update_or_create(name="event_categories", defaults={"token": uuid.uuid4().hex})


def unchoose(apps, schema_editor):
    apps.get_model("events", "Category").objects.update(shown_publicly=False)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_report_limits_shown_publicly"),
        ("core", "0005_reference_version"),
    ]

    operations = [
        migrations.RunPython(choose, unchoose, elidable=False),
    ]
