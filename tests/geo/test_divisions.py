import csv
import hashlib
import json

import pytest
from django.core.exceptions import PermissionDenied
from shapely.geometry import Point, shape

from fengqiao.core import audit
from fengqiao.core.importing import ImportFileError
from fengqiao.geo.actions import import_divisions, import_outlines
from fengqiao.geo.choices import DivisionLevel
from fengqiao.geo.models import Division
from tests.geo.conftest import BOUNDARIES, DIVISIONS_CSV

pytestmark = pytest.mark.django_db


def rows_of(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write_csv(path, rows, fieldnames):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x")


def test_imports_the_real_wuzhong_divisions(admin, audit_entries):
    # given an empty territory
    since = audit_entries()
    # when the 2016 division list is imported
    report = import_divisions(DIVISIONS_CSV, actor=admin)
    # then every level is there, the virtual 市辖区 is skipped, and each village hangs under its township
    assert (report.read, report.inserted, report.skipped, report.rejected) == (676, 675, 1, 0)
    counts = {level: Division.objects.filter(level=level).count() for level in DivisionLevel.values}
    assert counts == {"province": 0, "city": 1, "county": 5, "town": 52, "village": 617}
    assert not Division.objects.filter(code="640301000000").exists()
    village = Division.objects.select_related("parent__parent").get(code="640302100201")
    assert village.parent.level == DivisionLevel.TOWN and village.parent.code == "640302100000"
    assert village.parent.parent.code == "640302000000"
    assert village.urban_rural_code
    town = Division.objects.get(code="640302100000")
    assert (town.lon, town.lat) == (106.127462, 37.933722)
    assert Division.objects.get(code="640300000000").parent is None
    # and the import is one audit entry with the counts and the file's hash
    (entry,) = since()
    assert entry.action == audit.IMPORT.name and entry.actor == admin
    with open(DIVISIONS_CSV, "rb") as f:
        assert entry.after["sha256"] == hashlib.sha256(f.read()).hexdigest()
    assert entry.after["inserted"] == 675


def test_reimport_leaves_everything_unchanged(admin):
    # given the divisions imported once
    import_divisions(DIVISIONS_CSV, actor=admin)
    before = dict(Division.objects.values_list("code", "updated_at"))
    # when imported again
    report = import_divisions(DIVISIONS_CSV, actor=admin)
    # then nothing was written
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (0, 0, 675, 0)
    assert dict(Division.objects.values_list("code", "updated_at")) == before


def test_reimport_updates_in_place_whatever_the_row_order(admin, tmp_path):
    # given the divisions imported once, then a file with villages first and one renamed
    import_divisions(DIVISIONS_CSV, actor=admin)
    village_pk = Division.objects.get(code="640302100201").pk
    rows = rows_of(DIVISIONS_CSV)
    rows.sort(key=lambda r: -len(r["code"].rstrip("0")))
    for row in rows:
        if row["code"] == "640302100201":
            row["name"] = "新名字村"
    path = write_csv(tmp_path / "d.csv", rows, list(rows[0].keys()))
    # when
    report = import_divisions(path, actor=admin)
    # then the one row is updated in place and the rest are unchanged
    assert (report.updated, report.unchanged, report.inserted) == (1, 674, 0)
    village = Division.objects.get(code="640302100201")
    assert (village.pk, village.name) == (village_pk, "新名字村")


def test_reversed_file_creates_parents_first(admin, tmp_path):
    # given the whole file in reverse order (villages before their townships)
    rows = rows_of(DIVISIONS_CSV)[::-1]
    path = write_csv(tmp_path / "rev.csv", rows, list(rows[0].keys()))
    # when
    report = import_divisions(path, actor=admin)
    # then all go in
    assert (report.inserted, report.rejected) == (675, 0)


def test_bad_rows_are_named_by_line_and_the_rest_go_in(admin, tmp_path):
    # given a file with a city, a county, and bad rows on lines 4 to 8
    fields = ["code", "parent", "name", "level", "longitude", "latitude"]
    rows = [
        {"code": "640300000000", "parent": "640000000000", "name": "吴忠市", "level": "city"},  # line 2
        {"code": "640302000000", "parent": "640300000000", "name": "利通区", "level": "county"},  # line 3
        {"code": "64030210000", "parent": "640302000000", "name": "短码镇", "level": "town"},  # line 4
        {"code": "640302100000", "parent": "640399000000", "name": "孤儿镇", "level": "town"},  # line 5
        {"code": "640302101000", "parent": "640302000000", "name": "某镇", "level": "hamlet"},  # line 6
        {"code": "640302102000", "parent": "640302000000", "name": "", "level": "town"},  # line 7
        {
            "code": "640302103000",
            "parent": "640302000000",
            "name": "坐标镇",
            "level": "town",
            "longitude": "106.1",
            "latitude": "95",
        },  # line 8
        {"code": "640302000000", "parent": "640300000000", "name": "重复", "level": "county"},  # line 9
        {"code": "640381100000", "parent": "640302000000", "name": "错县镇", "level": "town"},  # line 10
    ]
    path = write_csv(tmp_path / "bad.csv", rows, fields)
    # when
    report = import_divisions(path, actor=admin)
    # then
    reasons = {e.position: e.reason for e in report.errors}
    assert report.inserted == 2 and report.rejected == 7
    assert "12 digits" in reasons[4]
    assert "unknown parent 640399000000" in reasons[5]
    assert "level 'hamlet'" in reasons[6]
    assert "name is empty" in reasons[7]
    assert "latitude 95" in reasons[8]
    assert "already appeared on line 3" in reasons[9]
    assert "does not start with its parent's 6 digits 640302" in reasons[10]
    assert str(report.errors[0]).startswith("line 4: ")
    assert set(Division.objects.values_list("code", flat=True)) == {"640300000000", "640302000000"}


def test_a_file_without_the_columns_is_refused(admin, tmp_path):
    # given
    path = tmp_path / "x.csv"
    path.write_text("id,title\n1,x\n", encoding="utf-8")
    # when / then
    with pytest.raises(ImportFileError, match="code, parent, name, level"):
        import_divisions(path, actor=admin)
    with pytest.raises(ImportFileError, match="cannot be read"):
        import_divisions(tmp_path / "missing.csv", actor=admin)


def test_only_the_city_may_import_divisions(personas):
    # given a station chief
    # when / then
    with pytest.raises(PermissionDenied):
        import_divisions(DIVISIONS_CSV, actor=personas.station)
    report = import_divisions(DIVISIONS_CSV, actor=personas.city)
    assert report.rejected == 0


def test_gcj02_outlines_are_stored_in_wgs84(admin):
    # given the divisions
    import_divisions(DIVISIONS_CSV, actor=admin)
    with open(f"{BOUNDARIES}/640302.json", encoding="utf-8") as f:
        shipped = json.load(f)
    # when the shipped GCJ-02 outline of 利通区 is imported, its code taken from the file name
    report = import_outlines(f"{BOUNDARIES}/640302.json", actor=admin, datum="gcj02")
    # then it is stored, converted: the first vertex moved a few hundred metres south-west
    assert (report.read, report.inserted, report.rejected) == (1, 1, 0)
    outline = Division.objects.get(code="640302000000").outline
    (lon0, lat0), (lon1, lat1) = shipped["coordinates"][0][0], outline["coordinates"][0][0]
    dx_m = (lon0 - lon1) * 111_320 * 0.79
    dy_m = (lat0 - lat1) * 111_000
    assert 200 < (dx_m**2 + dy_m**2) ** 0.5 < 700
    assert dx_m > 0
    # and the shape is kept (same area to 0.1 %) but moved
    geom, raw = shape(outline), shape(shipped)
    assert geom.area == pytest.approx(raw.area, rel=1e-3)
    assert not geom.equals(raw)


def test_reimporting_an_outline_is_unchanged(admin):
    # given
    import_divisions(DIVISIONS_CSV, actor=admin)
    import_outlines(f"{BOUNDARIES}/640381.json", actor=admin, datum="gcj02")
    # when
    again = import_outlines(f"{BOUNDARIES}/640381.json", actor=admin, datum="gcj02")
    # then
    assert (again.unchanged, again.inserted, again.updated) == (1, 0, 0)


def test_outline_feature_collection_reports_bad_features(admin, write_json):
    # given a county, and a collection with one good and three bad features
    import_divisions(DIVISIONS_CSV, actor=admin)
    good = {"type": "Polygon", "coordinates": [[[106.1, 37.9], [106.2, 37.9], [106.2, 38.0], [106.1, 37.9]]]}
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    path = write_json(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"code": "640302"}, "geometry": good},
                {"type": "Feature", "properties": {"code": "640399"}, "geometry": good},
                {"type": "Feature", "properties": {"code": "640381"}, "geometry": bowtie},
                {"type": "Feature", "properties": {}, "geometry": good},
            ],
        }
    )
    # when
    report = import_outlines(path, actor=admin)
    # then
    assert report.inserted == 1
    assert [(e.position, e.reason) for e in report.errors] == [
        (1, "unknown division 640399000000"),
        (2, "the outline is invalid: self-intersection at (0.5, 0.5)"),
        (3, "missing property 'code'"),
    ]
    assert Division.objects.get(code="640302000000").outline["coordinates"][0][1] == [106.2, 37.9]


def test_city_outline_contains_its_counties_centres(admin):
    # given the city and county outlines imported from GCJ-02
    import_divisions(DIVISIONS_CSV, actor=admin, datum="gcj02")
    for code in ("640300", "640302", "640303", "640323", "640324", "640381"):
        import_outlines(f"{BOUNDARIES}/{code}.json", actor=admin, datum="gcj02")
    # when / then each township centre lies inside the city outline
    city = shape(Division.objects.get(code="640300000000").outline)
    towns = Division.objects.filter(level=DivisionLevel.TOWN, lon__isnull=False)
    inside = sum(city.contains(Point(t.lon, t.lat)) for t in towns)
    assert inside >= 0.9 * towns.count()
