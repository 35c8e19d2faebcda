"""Fixtures of this folder's tests alone; the shared ones are in tests/fixtures/."""

import pytest


@pytest.fixture(autouse=True)
def english():
    """These tests read messages in their English source form; zh-hans is the site default."""
    from django.utils import translation

    with translation.override("en"):
        yield
