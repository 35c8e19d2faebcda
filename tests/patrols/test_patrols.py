"""Teams, plans and patrols through their actions and the API: what a phone sends is kept once
however often it is sent, the track's coverage names the grids and times it passed, GPX goes out
and comes back the same, a finding enters the closed loop, and a volunteer sees only their team."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fengqiao.core import casework
from fengqiao.core.models import AuditEntry
from fengqiao.events.models import Event
from fengqiao.patrols import actions, selectors, tracks
from fengqiao.patrols.indicators import BY_MEMBER, BY_TEAM, patrol_figures
from fengqiao.patrols.models import Finding, Passage, Patrol, Scan, TrackPoint
from tests.patrols.conftest import walk

# From the middle of grid A (106.10–106.11) east into grid B (106.11–106.12), at latitude 37.905.
ACROSS = [(106.104 + 0.001 * i, 37.905) for i in range(12)]


def unscoped():
    return Patrol.objects.unscoped(reason="test")


# --- teams and members -------------------------------------------------------------------------


def test_a_member_is_entered_with_a_checked_id_number(world, personas):
    # given team A, when staff add someone with a mistyped ID number
    with pytest.raises(ValidationError) as refused:
        actions.add_member(
            world.teams["A"], actor=personas.officer, name="李某", id_number="640302199001011234"
        )
    # then the ID number field is named, and nobody was added
    assert "id_number" in refused.value.message_dict
    assert world.teams["A"].members.count() == 1
    # the numbers kept are ciphertext in the table, the page's reads decrypt them
    from django.db import connection

    from fengqiao.core.crypto import is_sealed

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM patrols_member WHERE id = %s", [world.member_a.pk])
        stored = cursor.fetchone()
    assert all(is_sealed(value) for value in stored)
    assert world.teams["A"].members.get(pk=world.member_a.pk).phone == "13900001111"
    # and the same person twice is refused too
    with pytest.raises(ValidationError):
        actions.add_member(
            world.teams["A"], actor=personas.officer, id_number=world.member_a.id_number, name="王兰花"
        )


def test_a_volunteer_sees_only_their_own_team_plans_and_patrols(world, personas, started, client):
    # given a patrol by each volunteer
    mine, theirs = started(world.vol_a), started(world.vol_b)
    # then volunteer A's reads hold team A, its plan and their own patrol only
    assert list(selectors.teams_for(world.vol_a)) == [world.teams["A"]]
    assert list(selectors.plans_for(world.vol_a)) == [world.plan]
    assert list(selectors.patrols_for(world.vol_a)) == [mine]
    # and through the pages: their team and plan open, the others' are 404
    client.force_login(world.vol_a)
    assert client.get(f"/patrols/teams/{world.teams['A'].pk}/").status_code == 200
    assert client.get(f"/patrols/teams/{world.teams['B'].pk}/").status_code == 404
    assert client.get(f"/patrols/plans/{world.plan.pk}/").status_code == 200
    assert client.get(f"/patrols/{mine.pk}/").status_code == 200
    assert client.get(f"/patrols/{theirs.pk}/").status_code == 404
    # the staff overview is not theirs; their own record is
    assert client.get("/patrols/").status_code == 403
    record = client.get("/patrols/me/")
    assert record.status_code == 200 and "金积村日间巡逻" in record.content.decode()
    assert "关渠村红袖标" not in record.content.decode()
    # the member's phone shows masked on the team page
    team_page = client.get(f"/patrols/teams/{world.teams['A'].pk}/").content.decode()
    assert "13900001111" not in team_page and "139****1111" in team_page


def test_a_resident_and_an_inactive_member_do_not_patrol(world, personas):
    assert not actions.may_patrol(personas.resident)
    actions.set_member_active(world.member_b, False, actor=personas.station)
    assert not actions.may_patrol(world.vol_b)
    with pytest.raises(PermissionDenied):
        actions.start_patrol(actor=world.vol_b, id=uuid.uuid4())


# --- what the phone sends, sent twice ----------------------------------------------------------


def test_positions_scans_and_findings_sent_twice_are_kept_once(world, personas, started, categories):
    # given a volunteer's patrol
    patrol = started()
    points = walk(patrol.started_at + dt.timedelta(seconds=5), ACROSS)
    # when the phone sends its positions, loses the answer and sends them again with more
    assert actions.add_points(patrol, points[:8], actor=world.vol_a) == 8
    assert actions.add_points(patrol, points, actor=world.vol_a) == 4
    # and scans a checkpoint and reports a hazard, each sent twice
    scan_id, finding_id = uuid.uuid4(), uuid.uuid4()
    at = timezone.now() - dt.timedelta(minutes=1)
    for _ in range(2):
        actions.record_scan(patrol, actor=world.vol_a, id=scan_id, code=world.gate.code.lower(), at=at)
        actions.report_finding(
            patrol, actor=world.vol_a, id=finding_id, kind="hazard", description="电线裸露"
        )
    # then each is there once
    assert TrackPoint.objects.filter(patrol=patrol).count() == 12
    assert Scan.objects.filter(patrol=patrol).count() == 1
    assert Finding.objects.filter(patrol=patrol).count() == 1
    events = Event.objects.unscoped(reason="test").filter(description__contains="电线裸露")
    assert events.count() == 1
    # and the hazard entered the loop in the grid of the patrol's last position (B), held by it
    event = events.get()
    assert event.grid == personas.territory.grid_b and event.status == "reported"
    assert event in casework.inbox(personas.grid_b)
    assert event not in casework.inbox(personas.grid_a)
    # the patrol's record was written once per thing that happened
    actions_written = list(
        AuditEntry.objects.filter(object_id=str(patrol.pk)).values_list("action", flat=True).order_by("id")
    )
    assert actions_written == [
        "patrol_start",
        "patrol_points",
        "patrol_points",
        "patrol_scan",
        "patrol_finding",
    ]


def test_the_api_takes_a_whole_patrol_and_refuses_another_patroller(world, personas, api, categories):
    # given volunteer A's phone
    pid = str(uuid.uuid4())
    started_at = timezone.now() - dt.timedelta(minutes=30)
    start = {"id": pid, "started_at": started_at.isoformat(), "plan": world.plan.pk}
    assert api.post("/api/v1/patrols", start, as_=world.vol_a).status_code == 201
    assert api.post("/api/v1/patrols", start, as_=world.vol_a).status_code == 200  # sent again
    points = [
        {**p, "at": p["at"].isoformat()} for p in walk(started_at + dt.timedelta(seconds=5), ACROSS[:5])
    ]
    for _ in range(2):
        answer = api.post(f"/api/v1/patrols/{pid}/points", {"points": points}, as_=world.vol_a)
        assert answer.status_code == 200, answer.content
    assert answer.json() == {"added": 0, "points": 5}
    scan = {"id": str(uuid.uuid4()), "code": world.school.code, "at": timezone.now().isoformat()}
    assert api.post(f"/api/v1/patrols/{pid}/scans", scan, as_=world.vol_a).json()["in_window"] is True
    # a code of no plan of theirs is refused by name
    bad = api.post(
        f"/api/v1/patrols/{pid}/scans", {**scan, "id": str(uuid.uuid4()), "code": "ZZZZ2345"}, as_=world.vol_a
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "code"
    # when another volunteer or staff out of the patrol's scope write to it: 404
    assert api.post(f"/api/v1/patrols/{pid}/points", {"points": points}, as_=world.vol_b).status_code == 404
    assert api.post(f"/api/v1/patrols/{pid}/end", {}, as_=personas.grid_b).status_code == 404
    # staff of grid A read it but do not write to it
    assert api.get(f"/api/v1/patrols/{pid}", as_=personas.grid_a).status_code == 200
    assert api.post(f"/api/v1/patrols/{pid}/end", {}, as_=personas.grid_a).status_code == 404
    ended = api.post(f"/api/v1/patrols/{pid}/end", {}, as_=world.vol_a)
    assert ended.status_code == 200 and ended.json()["ended_at"]
    # a position in the future is refused, naming it
    late = [
        {"seq": 99, "at": (timezone.now() + dt.timedelta(hours=2)).isoformat(), "lon": 106.1, "lat": 37.9}
    ]
    refused = api.post(f"/api/v1/patrols/{pid}/points", {"points": late}, as_=world.vol_a)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "points.0.at"


def test_a_photo_is_checked_and_kept_once(world, started, api):
    from tests.web.test_events_pages import png_bytes

    patrol = started()
    photo_id = str(uuid.uuid4())
    headers = api.headers(world.vol_a)
    for _ in range(2):
        answer = api.client.post(
            f"/api/v1/patrols/{patrol.pk}/photos",
            {"id": photo_id, "file": _file("p.png", png_bytes())},
            headers=headers,
        )
        assert answer.status_code == 200, answer.content
    assert patrol.photos.count() == 1
    script = api.client.post(
        f"/api/v1/patrols/{patrol.pk}/photos",
        {"id": str(uuid.uuid4()), "file": _file("x.png", b"<script>alert(1)</script>")},
        headers=headers,
    )
    assert script.status_code == 422 and patrol.photos.count() == 1


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


# --- coverage, completion, GPX, figures --------------------------------------------------------


def test_coverage_names_the_grids_passed_and_when(world, personas, started):
    # given a walk from grid A into grid B, one position every 5 s
    patrol = started()
    points = walk(patrol.started_at, ACROSS)
    actions.add_points(patrol, points, actor=world.vol_a)
    t = personas.territory
    passed = {p.grid_id: p for p in Passage.objects.filter(patrol=patrol)}
    # then both grids, each with the times of its first and last segment
    assert set(passed) == {t.grid_a.pk, t.grid_b.pk}
    a, b = passed[t.grid_a.pk], passed[t.grid_b.pk]
    assert a.first_at == points[0]["at"]
    assert b.last_at == points[-1]["at"]
    assert a.last_at <= b.last_at and b.first_at < a.last_at + dt.timedelta(seconds=6)
    # and grid C is the one in the city's sight nobody patrolled lately; A and B are not stale
    stale = set(selectors.stale_grids(personas.city, now=timezone.now()))
    assert stale == {t.grid_c}
    assert set(selectors.stale_grids(personas.grid_a, now=timezone.now())) == set()
    # the track is GeoJSON, its length about 11 steps of ~88 m
    patrol.refresh_from_db()
    assert patrol.track["geometry"]["type"] == "LineString"
    assert len(patrol.track["geometry"]["coordinates"]) == 12
    assert 900 < patrol.distance_m < 1050


def test_the_many_tracks_query_agrees_with_one_at_a_time(world, personas):
    from fengqiao.geo.locator import current_locator

    base = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    many = [
        tracks.Track.of(
            [
                (base + dt.timedelta(seconds=5 * i), lon, lat + 0.001 * k)
                for i, (lon, lat) in enumerate(ACROSS)
            ]
        )
        for k in range(3)
    ] + [tracks.Track.of([(base, 106.005, 38.005)]), tracks.Track.of([])]
    locator = current_locator()
    assert tracks.passages_many(many, locator) == [tracks.passages(t, locator) for t in many]
    assert set(tracks.passages_many(many, locator)[3]) == {personas.territory.grid_c.pk}


def test_completion_counts_checkpoints_scanned_in_their_windows(world, personas, started):
    patrol = started()
    now = timezone.now()
    actions.record_scan(patrol, actor=world.vol_a, id=uuid.uuid4(), code=world.gate.code, at=now)
    states, percent = selectors.completion(world.plan, timezone.localdate(now))
    assert percent == 50
    assert [s.scanned_at is not None for s in states] == [True, False]
    # a plan whose window is not now: the scan is kept but does not count
    other = actions.create_plan(
        actor=personas.city, name="夜巡", windows="03:00-03:01", team=world.teams["A"]
    )
    cp = actions.add_checkpoint(other, actor=personas.city, name="桥头", lon=106.103, lat=37.903)
    local = timezone.localtime(now)
    if not (local.hour == 3 and local.minute <= 1):
        scan = actions.record_scan(patrol, actor=world.vol_a, id=uuid.uuid4(), code=cp.code, at=now)
        assert scan.in_window is False
        assert selectors.completion(other, timezone.localdate(now))[1] == 0


def test_windows_are_parsed_and_named_when_wrong():
    from fengqiao.patrols import rules

    assert rules.parse_windows("8:00-10:00，20:00~22:00") == [["08:00", "10:00"], ["20:00", "22:00"]]
    with pytest.raises(ValidationError) as bad:
        rules.parse_windows("08:00-10:00, 25:00-26:00")
    assert "2" in bad.value.message_dict["windows"][0]
    assert rules.in_window([["22:00", "02:00"]], dt.datetime(2026, 1, 1, 1, 30))
    assert not rules.in_window([["22:00", "02:00"]], dt.datetime(2026, 1, 1, 12, 0))


def test_gpx_goes_out_and_comes_back_the_same(world, personas, started, client):
    # given a recorded patrol
    patrol = started()
    actions.add_points(patrol, walk(patrol.started_at, ACROSS), actor=world.vol_a)
    client.force_login(world.vol_a)
    # when its GPX is downloaded and imported again
    gpx = client.get(f"/patrols/{patrol.pk}/track.gpx")
    assert gpx.status_code == 200 and gpx["Content-Type"] == "application/gpx+xml"
    imported = actions.import_gpx(gpx.content, actor=world.vol_a)
    # then the same positions at the same times, the same length and grids
    original = list(patrol.points.order_by("at").values_list("at", "lon", "lat"))
    again = list(imported.points.order_by("at").values_list("at", "lon", "lat"))
    assert again == original
    patrol.refresh_from_db()
    assert imported.source == "gpx" and imported.distance_m == pytest.approx(patrol.distance_m)
    assert set(imported.passages.values_list("grid", flat=True)) == set(
        patrol.passages.values_list("grid", flat=True)
    )
    assert imported.ended_at == original[-1][0]


def test_a_gpx_file_is_refused_by_what_is_wrong_with_it(world):
    with pytest.raises(ValidationError, match="not a GPX"):
        actions.import_gpx(b"GPS: 37.9, 106.1", actor=world.vol_a)
    with pytest.raises(ValidationError, match="no track points"):
        actions.import_gpx(b"<html></html>", actor=world.vol_a)
    untimed = (
        b'<gpx version="1.1" creator="x"><trk><trkseg>'
        b'<trkpt lat="37.9" lon="106.1"></trkpt></trkseg></trk></gpx>'
    )
    with pytest.raises(ValidationError, match="no time"):
        actions.import_gpx(untimed, actor=world.vol_a)
    assert not Patrol.objects.unscoped(reason="test").exists()


def test_hours_and_findings_per_team_and_member(world, personas, started, categories):
    patrol = started(minutes_ago=90)
    actions.add_points(patrol, walk(patrol.started_at, ACROSS[:3]), actor=world.vol_a)
    actions.end_patrol(patrol, actor=world.vol_a, ended_at=patrol.started_at + dt.timedelta(hours=1))
    other = started(world.vol_b, minutes_ago=40)
    actions.report_finding(
        other, actor=world.vol_b, id=uuid.uuid4(), kind="suspicious", lon=106.115, lat=37.905
    )
    actions.end_patrol(other, actor=world.vol_b, ended_at=other.started_at + dt.timedelta(minutes=30))
    patrols = selectors.patrols_for(personas.station)
    by_team = {row.label: row for row in patrol_figures(patrols, by=BY_TEAM)}
    assert by_team["金积村红袖标"].hours == 1.0 and by_team["金积村红袖标"].findings == 0
    assert by_team["关渠村红袖标"].hours == 0.5 and by_team["关渠村红袖标"].findings == 1
    by_member = {row.label: row for row in patrol_figures(patrols, by=BY_MEMBER)}
    assert by_member["王兰花"].patrols == 1 and by_member["马志强"].findings == 1
    # grid worker A's scope holds team A's patrol only
    assert [r.label for r in patrol_figures(selectors.patrols_for(personas.grid_a))] == ["金积村红袖标"]


def test_a_grid_crossed_between_two_positions_counts_with_their_times(world, personas):
    from fengqiao.geo.locator import current_locator

    # given two positions, one in grid A and one north-east of B, whose straight line cuts B
    t0 = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    track = tracks.Track.of([(t0, 106.105, 37.905), (t0 + dt.timedelta(seconds=5), 106.125, 37.912)])
    passed = tracks.passages(track, current_locator())
    # then B is passed, from the first position's time to the second's
    t = personas.territory
    micros = (track.times[0], track.times[1])
    assert passed == {t.grid_a.pk: micros, t.grid_b.pk: micros}
