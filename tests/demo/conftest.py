"""The demo city's fixtures: the real divisions of Wuzhong, and a small city generated from them."""

import pytest

from fengqiao.core.commands import system_user
from fengqiao.core.models import AuditEntry
from fengqiao.demo.actions import generate_demo_city, load_wuzhong_divisions

SCALE = 0.05
SEED = 7


@pytest.fixture
def runner(db):
    """Who runs the generator: the built-in system account, as the CLI does."""
    return system_user()


@pytest.fixture
def wuzhong(runner):
    """The real counties, townships and villages, with the county outlines in WGS-84."""
    load_wuzhong_divisions(actor=runner)
    return runner


@pytest.fixture
def small_city(wuzhong, runner):
    return generate_demo_city(actor=runner, scale=SCALE, seed=SEED)


@pytest.fixture
def audit_since():
    """Audit entries written after the fixture was taken, oldest first."""

    def take():
        last = AuditEntry.objects.order_by("-id").first()
        start = last.pk if last else 0
        return lambda: list(AuditEntry.objects.filter(pk__gt=start).order_by("id"))

    return take
