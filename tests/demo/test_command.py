"""`fengqiao demo` from the command line: first run, re-run, --reset, --accounts-only, bad input."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from fengqiao.core.models import AuditEntry
from fengqiao.geo.choices import DivisionLevel
from fengqiao.geo.models import Division, Grid, PoliceUnit
from tests.demo.conftest import SCALE, SEED

pytestmark = pytest.mark.django_db

ACCOUNTS = ["admin", "city", "station", "officer", "grid", "grid2", "volunteer", "resident"]


def demo(*args) -> str:
    """Run `fengqiao demo` in English (the messages are translated) and return what it printed."""
    out = StringIO()
    with translation.override("en"):
        call_command("demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def account_lines(output: str) -> list[str]:
    """The usernames in the printed accounts table, in order."""
    names = []
    for line in output.splitlines():
        first = line.split(" ", 1)[0]
        if first in ACCOUNTS:
            names.append(first)
    return names


def test_first_run_imports_the_divisions_generates_the_city_and_prints_the_accounts(db):
    # given an empty database
    # when `fengqiao demo` runs
    output = demo("--scale", str(SCALE), "--seed", str(SEED))
    # then the real divisions and outlines were imported
    assert Division.objects.filter(level=DivisionLevel.VILLAGE).count() == 617
    assert not Division.objects.filter(level=DivisionLevel.COUNTY, outline__isnull=True).exists()
    # the city was generated
    assert Grid.objects.unscoped(reason="test: count the generated grids").count() == 174
    assert "5 police stations" in output and "174 grids" in output
    # and the eight accounts are listed, in order, with the demo password
    assert account_lines(output) == ACCOUNTS
    assert "fengqiao-demo" in output
    grid_line = next(line for line in output.splitlines() if line.startswith("grid "))
    assert "网格" in grid_line


def test_rerun_reuses_the_city_and_still_prints_the_accounts(db):
    # given a generated city
    demo("--scale", str(SCALE), "--seed", str(SEED))
    units = list(PoliceUnit.objects.order_by("id").values_list("id", "path"))
    entries = AuditEntry.objects.count()
    # when `fengqiao demo` runs again
    output = demo()
    # then it says the territory exists and is reused, changes nothing, audits nothing
    assert "already exists" in output and f"seed {SEED}" in output
    assert list(PoliceUnit.objects.order_by("id").values_list("id", "path")) == units
    assert AuditEntry.objects.count() == entries
    # and prints the accounts again
    assert account_lines(output) == ACCOUNTS


def test_reset_generates_again_with_the_new_scale(db):
    # given a generated city
    demo("--scale", str(SCALE), "--seed", str(SEED))
    # when it is reset at another scale
    output = demo("--reset", "--scale", "0.1", "--seed", str(SEED))
    # then the city has the new size
    assert Grid.objects.unscoped(reason="test: count the generated grids").count() == round(3475 * 0.1)
    assert "348 grids" in output
    assert account_lines(output) == ACCOUNTS


def test_accounts_only_prints_and_changes_nothing(db):
    # given an empty database
    # when only the accounts are asked for
    output = demo("--accounts-only")
    # then nothing is generated and the output says how to get them
    assert not PoliceUnit.objects.exists()
    assert "fengqiao demo" in output
    # and once the city exists, the same flag lists them
    demo("--scale", str(SCALE))
    assert account_lines(demo("--accounts-only")) == ACCOUNTS


@pytest.mark.parametrize("scale", ["0", "1.5", "lots"])
def test_a_bad_scale_is_refused_naming_the_option(db, scale):
    with pytest.raises(CommandError, match="--scale"):
        demo("--scale", scale)
    assert not PoliceUnit.objects.exists()


def test_a_missing_data_directory_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="divisions_2016.csv is missing"):
        demo("--scale", str(SCALE), "--data", str(tmp_path))
    assert not PoliceUnit.objects.exists()
