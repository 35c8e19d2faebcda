import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.events import actions
from fengqiao.events.actions import CATEGORIES_FILE, Report, load_categories
from fengqiao.events.choices import Channel
from fengqiao.events.models import Category


@pytest.fixture
def categories(personas):
    import json

    load_categories(json.loads(CATEGORIES_FILE.read_text(encoding="utf-8")), actor=personas.admin)
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def report(personas, categories):
    """Report an event in grid A (or elsewhere) the way staff would."""

    def make(code="0401", *, lon=106.105, lat=37.905, actor=None, channel=Channel.STAFF, at=None, **extra):
        r = Report(category=categories[code], title=extra.pop("title", "楼道堵塞"), lon=lon, lat=lat, **extra)
        return actions.report_event(r, actor=actor or personas.grid_a, channel=channel, at=at)

    return make


@pytest.fixture
def monday_morning():
    """A Monday at 09:00 in the project's time zone: working hours run from here."""
    return timezone.make_aware(dt.datetime(2026, 11, 23, 9, 0))


@pytest.fixture(autouse=True)
def english():
    """These tests read messages in their English source form; zh-hans is the site default."""
    from django.utils import translation

    with translation.override("en"):
        yield
