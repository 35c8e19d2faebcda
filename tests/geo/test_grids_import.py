import json

import pytest
from django.core.exceptions import PermissionDenied

from fengqiao.core import audit
from fengqiao.core.importing import ImportFileError
from fengqiao.geo.actions import export_grids, import_grids
from fengqiao.geo.datum import wgs84_to_gcj02
from fengqiao.geo.models import Grid
from tests.conftest import square
from tests.geo.conftest import feature

pytestmark = pytest.mark.django_db

UNSCOPED = "test: inspect every grid"


def all_grids():
    return Grid.objects.unscoped(reason=UNSCOPED)


@pytest.fixture
def collection(territory):
    """Two new good grids, one changed existing grid, and one bad feature of every kind."""
    t = territory
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[106.2, 37.9], [106.21, 37.91], [106.21, 37.9], [106.2, 37.91], [106.2, 37.9]]],
    }
    unclosed = {"type": "Polygon", "coordinates": [square(106.2, 37.9)["coordinates"][0][:-1]]}
    features = [
        feature(
            "640302100201002",
            "金积村第二网格",
            "640302100201",
            "640300/640302/ps01/d01",
            square(106.10, 37.91),
        ),
        feature("640302100202002", "关渠村第二网格", "640302100202", "d02", square(106.11, 37.91)),
        feature(
            "640302100201001", "金积村一格(改名)", "640302100201", "640300/640302/ps01/d01", t.grid_a.geometry
        ),
        feature("640302100201003", "坏网格", "640302100201", "d02", unclosed),  # 3
        feature("640302100201004", "坏网格", "640302100201", "d02", bowtie),  # 4
        feature("640302100299001", "坏网格", "640302100299", "d02", square(106.3, 37.9)),  # 5
        feature("640302100201005", "坏网格", "640302100201", "d09", square(106.3, 37.9)),  # 6
        feature("640302100201006", "坏网格", "640302100201", "d01", square(106.3, 37.9)),  # 7
        {
            "type": "Feature",
            "properties": {"code": "640302100201007", "name": "x", "community": "640302100201"},
            "geometry": square(106.3, 37.9),
        },  # 8
        feature("640302100202008", "坏网格", "640302100201", "d02", square(106.3, 37.9)),  # 9
        feature("640302100000001", "坏网格", "640302100000", "d02", square(106.3, 37.9)),  # 10
        feature("640302100201002", "重复", "640302100201", "d02", square(106.3, 37.9)),  # 11
        feature("640302100201009", "坏网格", "640302100201", "d02", None),  # 12
    ]
    return {"type": "FeatureCollection", "features": features}


def test_good_features_go_in_and_bad_ones_are_named(personas, collection, write_json, audit_entries):
    # given a collection with 3 good and 10 bad features, imported by the station chief
    path = write_json(collection)
    since = audit_entries()
    # when
    report = import_grids(path, actor=personas.station)
    # then the good ones are in, the changed one updated in place
    assert (report.read, report.inserted, report.updated, report.rejected) == (13, 2, 1, 10)
    new = all_grids().select_related("district").get(code="640302100202002")
    assert new.district == personas.territory.district_b
    assert new.scope_path == "640300/640302/ps01/d02/640302100202002"
    assert new.area_km2 == pytest.approx(0.976, rel=1e-2)
    assert new.centroid_lon == pytest.approx(106.115)
    grid_a = all_grids().get(code="640302100201001")
    assert (grid_a.pk, grid_a.name) == (personas.territory.grid_a.pk, "金积村一格(改名)")
    # and each bad one is named by its index with its reason
    reasons = {e.position: e.reason for e in report.errors}
    assert "outer ring is not closed" in reasons[3]
    assert "self-intersection" in reasons[4]
    assert reasons[5] == "unknown community 640302100299"
    assert reasons[6] == "unknown police district d09"
    assert "d01 is ambiguous" in reasons[7] and "640300/640381/ps01/d01" in reasons[7]
    assert reasons[8] == "missing property 'district'"
    assert "does not start with its community's code 640302100201" in reasons[9]
    assert "not a village or community" in reasons[10]
    assert "already appeared in features[0]" in reasons[11]
    assert reasons[12] == "the feature has no geometry"
    assert str(report.errors[0]).startswith("features[3]: ")
    assert all_grids().count() == 5
    # and the import is one audit entry
    (entry,) = since()
    assert entry.action == audit.IMPORT.name
    assert entry.after["inserted"] == 2 and entry.after["rejected"] == 10 and len(entry.after["sha256"]) == 64


def test_reimport_is_idempotent(personas, collection, write_json):
    # given the collection imported once
    path = write_json(collection)
    import_grids(path, actor=personas.station)
    stamps = dict(all_grids().values_list("code", "updated_at"))
    # when imported again
    report = import_grids(path, actor=personas.station)
    # then the three good features are unchanged and nothing was written
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (0, 0, 3, 10)
    assert dict(all_grids().values_list("code", "updated_at")) == stamps


def test_grids_outside_the_importers_scope_are_rejected(personas, write_json):
    # given a station chief importing a grid of another county's station and a change to grid C
    t = personas.territory
    path = write_json(
        {
            "type": "FeatureCollection",
            "features": [
                feature(
                    "640381100201002",
                    "小坝村第二网格",
                    "640381100201",
                    "640300/640381/ps01/d01",
                    square(106.0, 38.01),
                ),
                feature(
                    "640381100201001", "改名", "640381100201", "640300/640381/ps01/d01", t.grid_c.geometry
                ),
                feature("640302100201002", "金积村第二网格", "640302100201", "d02", square(106.10, 37.91)),
            ],
        }
    )
    # when
    report = import_grids(path, actor=personas.station)
    # then only the grid inside the station goes in
    assert report.inserted == 1
    assert [(e.position, e.reason) for e in report.errors] == [
        (0, "grid 640381100201002 would lie outside your scope"),
        (1, "grid 640381100201001 would lie outside your scope"),
    ]
    assert not all_grids().filter(code="640381100201002").exists()
    assert all_grids().get(code="640381100201001").name == "小坝村第一网格"


def test_gcj02_grids_are_converted(personas, write_json):
    # given a grid drawn on a GCJ-02 map
    wgs = square(106.10, 37.92)
    path = write_json(
        {
            "type": "FeatureCollection",
            "features": [
                feature("640302100201002", "金积村第二网格", "640302100201", "d02", wgs84_to_gcj02(wgs)),
            ],
        }
    )
    # when
    import_grids(path, actor=personas.city, datum="gcj02")
    # then it is stored where it lies in WGS-84
    stored = all_grids().get(code="640302100201002").geometry["coordinates"][0]
    for (x0, y0), (x1, y1) in zip(wgs["coordinates"][0], stored, strict=True):
        assert x1 == pytest.approx(x0, abs=2e-7) and y1 == pytest.approx(y0, abs=2e-7)


def test_grid_workers_may_not_import(personas, collection, write_json):
    # given / when / then
    with pytest.raises(PermissionDenied):
        import_grids(write_json(collection), actor=personas.grid_a)


def test_an_unreadable_file_is_refused_whole(personas, write_json, tmp_path):
    # given
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    # when / then
    with pytest.raises(ImportFileError, match="not valid JSON"):
        import_grids(broken, actor=personas.city)
    with pytest.raises(ImportFileError, match="not a GeoJSON FeatureCollection"):
        import_grids(write_json(square(0, 0)), actor=personas.city)


def test_export_round_trips(personas, write_json, audit_entries):
    # given the city's export of every grid
    since = audit_entries()
    exported = export_grids(actor=personas.city, queryset=Grid.objects.visible_to(personas.city))
    assert [f["properties"]["code"] for f in exported["features"]] == [
        "640302100201001",
        "640302100202001",
        "640381100201001",
    ]
    (entry,) = since(action=audit.EXPORT.name)
    assert entry.after == {"count": 3}
    # when the file is imported back
    report = import_grids(write_json(json.loads(json.dumps(exported))), actor=personas.city)
    # then every grid is unchanged (the district travels as its full path: d01 alone is ambiguous)
    assert (report.unchanged, report.rejected) == (3, 0)
    assert exported["features"][2]["properties"]["district"] == "640300/640381/ps01/d01"


def test_export_holds_only_what_the_actor_sees(personas):
    # given the officer of district A, handed an unscoped queryset
    queryset = Grid.objects.unscoped(reason="test: the export must narrow it")
    # when
    exported = export_grids(actor=personas.officer, queryset=queryset)
    # then only grid A is in it
    assert [f["properties"]["code"] for f in exported["features"]] == ["640302100201001"]
