"""Fixtures of this folder's tests alone; the shared ones are in tests/fixtures/."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """These tests read messages in their English source form; zh-hans is the site default."""
    with translation.override("en"):
        yield
