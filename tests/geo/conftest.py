"""Helpers for the territory tests: GeoJSON files written to a temporary directory."""

import json

import pytest
from django.utils import translation

from fengqiao.core.models import AuditEntry
from fengqiao.geo import locator
from fengqiao.geo.data import WUZHONG

DATA = str(WUZHONG)
DIVISIONS_CSV = f"{DATA}/divisions_2016.csv"
BOUNDARIES = f"{DATA}/boundaries"


def feature(code, name, community, district, geometry, **extra) -> dict:
    props = {"code": code, "name": name, "community": community, "district": district, **extra}
    return {"type": "Feature", "properties": props, "geometry": geometry}


@pytest.fixture
def write_json(tmp_path):
    def write(document, name="grids.geojson"):
        path = tmp_path / name
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def audit_entries():
    """The audit entries written since the fixture was taken, oldest first."""

    class Since:
        def __init__(self):
            last = AuditEntry.objects.order_by("-id").first()
            self.start = last.pk if last else 0

        def __call__(self, **filters):
            return list(AuditEntry.objects.filter(pk__gt=self.start, **filters).order_by("id"))

    return Since


@pytest.fixture(autouse=True)
def fresh_locator():
    locator.reset()
    yield
    locator.reset()


@pytest.fixture(autouse=True)
def english():
    """These tests read messages in their English source form; zh-hans is the site default."""
    with translation.override("en"):
        yield
