import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fengqiao.core import audit
from fengqiao.core.models import AuditEntry
from fengqiao.geo.models import Division, Grid
from tests.conftest import square
from tests.geo.conftest import BOUNDARIES, DIVISIONS_CSV, feature

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_divisions_and_outlines_from_the_cli():
    # given an empty database
    # when the divisions and the shipped GCJ-02 outlines are imported as the system user
    out, err = run("import_divisions", DIVISIONS_CSV)
    out2, err2 = run(
        "import_outlines", f"{BOUNDARIES}/640300.json", f"{BOUNDARIES}/640302.json", "--datum", "gcj02"
    )
    # then the summaries are printed and the rows are there
    assert "divisions_2016.csv: 676 read, 675 inserted, 0 updated, 0 unchanged, 1 skipped, 0 rejected" in out
    assert err == "" and err2 == ""
    assert "640300.json: 1 read, 1 inserted" in out2 and "640302.json: 1 read, 1 inserted" in out2
    assert Division.objects.filter(level="village").count() == 617
    assert Division.objects.get(code="640302000000").outline["type"] == "Polygon"
    entries = AuditEntry.objects.filter(action=audit.IMPORT.name)
    assert entries.count() == 3 and {e.actor_label for e in entries} == {"system"}
    assert {e.source for e in entries} == {"cli"}


def test_import_grids_prints_every_error_and_exits_zero(personas, tmp_path):
    # given a file with one good and one bad feature
    path = tmp_path / "grids.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    feature(
                        "640302100201002", "金积村第二网格", "640302100201", "d02", square(106.10, 37.91)
                    ),
                    feature("640302100201003", "坏", "640302100299", "d02", square(106.10, 37.92)),
                ],
            }
        ),
        encoding="utf-8",
    )
    # when the station chief imports it
    out, err = run("import_grids", str(path), "--actor", "station")
    # then
    assert "grids.geojson: 2 read, 1 inserted, 0 updated, 0 unchanged, 0 skipped, 1 rejected" in out
    assert "grids.geojson features[1]: unknown community 640302100299" in err
    assert Grid.objects.unscoped(reason="test").filter(code="640302100201002").exists()


def test_an_unreadable_file_exits_non_zero(tmp_path, personas):
    # given
    path = tmp_path / "x.geojson"
    path.write_text("not json", encoding="utf-8")
    # when / then
    with pytest.raises(CommandError, match="not valid JSON"):
        run("import_grids", str(path))
    with pytest.raises(CommandError, match="cannot be read"):
        run("import_divisions", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="1 of 1 file"):
        run("import_outlines", str(path))
    with pytest.raises(CommandError, match="no active user named 'nobody'"):
        run("import_grids", str(path), "--actor", "nobody")


def test_export_grids_shows_only_what_the_actor_sees(personas, tmp_path):
    # given
    target = tmp_path / "out.geojson"
    # when the officer of district A and the city export
    out, _ = run("export_grids", "--actor", "officer_a", "--output", str(target))
    city_out, _ = run("export_grids", "--actor", "city")
    # then
    assert "1 grid(s) written" in out
    officer = json.loads(target.read_text(encoding="utf-8"))
    assert [f["properties"]["code"] for f in officer["features"]] == ["640302100201001"]
    assert len(json.loads(city_out)["features"]) == 3
    exports = AuditEntry.objects.filter(action=audit.EXPORT.name).order_by("id")
    assert [(e.actor_label, e.after["count"]) for e in exports] == [("officer_a", 1), ("city", 3)]
