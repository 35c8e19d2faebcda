import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.disputes import actions
from fengqiao.disputes.actions import PartyData, Registration

# Valid GB 11643 numbers: the standard's own examples and two more with their check characters.
APPLICANT_ID = "11010519491231002X"
RESPONDENT_ID = "440524188001010014"
THIRD_ID = "640302199001011238"


@pytest.fixture
def register(personas):
    """Register a dispute in grid A (or elsewhere) as the district's community officer."""

    def make(
        *,
        actor=None,
        grid=None,
        grade="yellow",
        category="neighbours",
        source="screening",
        applicant=APPLICANT_ID,
        respondent=RESPONDENT_ID,
        at=None,
        **extra,
    ):
        parties = extra.pop(
            "parties",
            [
                PartyData(role="applicant", name="甲某", id_number=applicant, phone="13912345678"),
                PartyData(role="respondent", name="乙某", id_number=respondent),
            ],
        )
        reg = Registration(
            title=extra.pop("title", "宅基地边界争执"),
            source=source,
            category=category,
            grade=grade,
            grid=grid or personas.territory.grid_a,
            facts=extra.pop("facts", "两户因院墙位置发生争执。"),
            points=extra.pop("points", "院墙是否越过宅基地边界。"),
            parties=parties,
            **extra,
        )
        return actions.register_dispute(reg, actor=actor or personas.officer, at=at)

    return make


@pytest.fixture
def today():
    return timezone.localdate()


def days_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def english():
    """These tests read messages in their English source form; zh-hans is the site default."""
    from django.utils import translation

    with translation.override("en"):
        yield
