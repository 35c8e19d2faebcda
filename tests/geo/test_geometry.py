import math

import pytest

from fengqiao.geo.datum import gcj02_to_wgs84, wgs84_to_gcj02
from fengqiao.geo.geometry import GeometryError, measures, parse_area, to_geojson
from tests.conftest import square


def ring(*points):
    return [list(p) for p in points]


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "Point", "coordinates": [106.1, 37.9]}, "is a Point, not a Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": [ring((0, 0), (1, 0), (1, 1), (0, 1))]}, "is not closed"),
        ({"type": "Polygon", "coordinates": [ring((0, 0), (1, 1), (0, 0))]}, "has 3 points"),
        (
            {"type": "Polygon", "coordinates": [ring((0, 0), (1, 1), (1, 0), (0, 1), (0, 0))]},
            "self-intersection at (0.5, 0.5)",
        ),
        ({"type": "Polygon", "coordinates": [ring((0, 0), (181, 0), (1, 1), (0, 0))]}, "point 1 (181, 0)"),
        ({"type": "Polygon", "coordinates": [ring((0, 0), (1, 0), (1, "x"), (0, 0))]}, "point 2 is not a"),
        ({"type": "Polygon", "coordinates": []}, "has no coordinates"),
        (
            {"type": "Polygon", "coordinates": [ring((0, 0), (1, 0), (2, 0), (0, 0))]},
            "the outline is invalid",
        ),
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", "not a GeoJSON object"),
    ],
)
def test_parse_area_rejects_with_a_reason(geometry, reason):
    # given a geometry that cannot be an area
    # when it is parsed
    with pytest.raises(GeometryError) as caught:
        parse_area(geometry)
    # then the reason says what is wrong
    assert reason in caught.value.reason


def test_parse_area_names_the_polygon_of_a_multipolygon():
    # given a multipolygon whose second polygon is unclosed
    good = square(106.1, 37.9)["coordinates"]
    bad = [ring((106.2, 37.9), (106.3, 37.9), (106.3, 38.0))[:3] + [[106.2, 38.0]]]
    # when / then
    with pytest.raises(GeometryError, match="polygon 1, outer ring is not closed"):
        parse_area({"type": "MultiPolygon", "coordinates": [good, bad]})


def test_measures_a_square_of_a_hundredth_of_a_degree():
    # given a 0.01° square at latitude ~37.9° (about 0.879 km by 1.110 km on WGS-84)
    geom = parse_area(square(106.10, 37.90))
    # when
    lon, lat, area = measures(geom)
    # then the centre is the middle, and the area matches the ellipsoid to 0.1 %
    assert lon == pytest.approx(106.105, abs=1e-9)
    assert lat == pytest.approx(37.905, abs=1e-5)
    a, e2 = 6378137.0, 0.00669437999014
    phi = math.radians(37.905)
    w = 1 - e2 * math.sin(phi) ** 2
    m, n = a * (1 - e2) / w**1.5, a / math.sqrt(w)
    expected_km2 = (m * math.radians(0.01)) * (n * math.cos(phi) * math.radians(0.01)) / 1e6
    assert area == pytest.approx(expected_km2, rel=1e-3)


def test_to_geojson_round_trips_as_lists():
    # given a polygon with a hole
    outer = ring((0, 0), (4, 0), (4, 4), (0, 4), (0, 0))
    hole = ring((1, 1), (2, 1), (2, 2), (1, 2), (1, 1))
    source = {"type": "Polygon", "coordinates": [outer, hole]}
    # when
    written = to_geojson(parse_area(source))
    # then it equals the source as a JSON column would return it
    assert written == {
        "type": "Polygon",
        "coordinates": [[[float(x), float(y)] for x, y in r] for r in (outer, hole)],
    }


def test_gcj02_round_trip_within_a_centimetre():
    # given a WGS-84 polygon in Wuzhong
    wgs = square(106.20, 37.98)
    # when it goes to GCJ-02 and back
    gcj = wgs84_to_gcj02(wgs)
    back = gcj02_to_wgs84(gcj)
    # then GCJ-02 is a few hundred metres off, and the way back lands within 1e-7° (~1 cm)
    shift_lon = gcj["coordinates"][0][0][0] - wgs["coordinates"][0][0][0]
    assert 0.002 < abs(shift_lon) < 0.01
    for (x0, y0), (x1, y1) in zip(wgs["coordinates"][0], back["coordinates"][0], strict=True):
        assert x1 == pytest.approx(x0, abs=1.1e-7)
        assert y1 == pytest.approx(y0, abs=1.1e-7)


def test_datum_conversion_keeps_the_structure_of_a_multipolygon():
    # given
    multi = {"type": "MultiPolygon", "coordinates": [square(106.1, 37.9)["coordinates"]] * 2}
    # when
    converted = gcj02_to_wgs84(multi)
    # then
    assert converted["type"] == "MultiPolygon"
    assert len(converted["coordinates"]) == 2
    assert len(converted["coordinates"][0][0]) == 5
    assert converted["coordinates"][0][0][0] == converted["coordinates"][0][0][-1]
