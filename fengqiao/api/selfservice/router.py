"""The selfservice API."""

from ninja import Router

router = Router(tags=["selfservice"])
