"""Fixtures of this folder's tests alone; the shared ones are in tests/fixtures/."""

import pytest

from fengqiao.geo import locator


@pytest.fixture(autouse=True)
def fresh_locator():
    """Each test's grids, not a previous test's index (ids are reused after a rollback)."""
    locator.reset()
    yield
    locator.reset()
