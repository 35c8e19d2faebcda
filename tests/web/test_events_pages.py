"""The event pages and the resident portal through Django's test client: the list and its filters,
the event page and its moves (with the conflict of a stale version), staff intake, the inbox and
the board; reporting without an account, tracking, rating and reopening."""

import datetime as dt
import io
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fengqiao.core.models import TimelineEntry
from fengqiao.events.actions import move
from fengqiao.events.choices import Channel, Status
from fengqiao.events.models import Attachment, Event
from tests.fixtures.registry import make_address

pytestmark = pytest.mark.django_db


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real PNG image (grey pixels), built the way the format says."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def png(name="photo.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def exe_as_jpg():
    # A Windows executable's first bytes ("MZ" and the DOS stub), named and typed as a photo.
    body = (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
        + b"This program cannot be run in DOS mode."
    )
    return SimpleUploadedFile("holiday.jpg", body, content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def english(client):
    client.cookies.load({"django_language": "en"})
    return client


def events():
    return Event.objects.unscoped(reason="test: what the pages did")


def fresh(event):
    return events().get(pk=event.pk)


def html(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------------------
# the list, the map, the inbox and the board


def test_the_list_shows_the_events_in_scope_with_their_facts(logged_in, personas, report, english):
    # given an event in grid A and one in grid B, the one in A past its limit
    late = report(at=timezone.now() - dt.timedelta(days=3), title="路灯不亮")
    other = report(lon=106.115, lat=37.905, actor=personas.grid_b, title="垃圾堆放")
    # when the station opens the list
    page = html(logged_in(personas.station).get("/events/"))
    # then both are there with number, title, category, status, holder level and due time
    assert late.number in page and other.number in page
    assert "路灯不亮" in page and "Safety hazard" in page and "reported" in page
    assert "grid · 金积村第一网格" in page
    assert page.count('class="late-mark"') == 1 and 'class="late"' in page
    # and grid worker A sees only A's
    page = html(logged_in(personas.grid_a).get("/events/"))
    assert late.number in page and other.number not in page


def test_the_list_filters_with_the_shared_vocabulary(logged_in, personas, report, english):
    t = personas.territory
    a = report(title="楼道堵塞")
    b = report(lon=106.115, lat=37.905, actor=personas.grid_b, title="噪音扰民")
    move(b, "escalate", actor=personas.grid_b, version=b.version, note="需要民警到场")
    station = logged_in(personas.station)

    def shown(query):
        response = station.get("/events/" + query)
        return response, {e.number for e in (a, b) if e.number in html(response)}

    assert shown(f"?grid={t.grid_b.code}")[1] == {b.number}
    assert shown("?escalated=1")[1] == {b.number}
    assert shown("?q=楼道")[1] == {a.number}
    assert shown(f"?unit={t.district_a.path}")[1] == {a.number}  # an indicator's link
    response, found = shown("?status=sleeping")
    assert response.status_code == 400 and found == set()
    assert "Status: Unknown value: sleeping." in html(response)
    # the form keeps what was asked, the pass-through parameters included
    page = html(station.get(f"/events/?escalated=1&unit={t.district_a.path}"))
    assert 'name="escalated" value="1"' in page and "checked" in page
    assert f'<input type="hidden" name="unit" value="{t.district_a.path}">' in page


def test_the_list_is_paginated(logged_in, personas, report):
    numbers = [report(title=f"事件{n}").number for n in range(31)]
    client = logged_in(personas.grid_a)
    first, second = html(client.get("/events/")), html(client.get("/events/?page=2"))
    assert numbers[-1] in first and numbers[0] not in first
    assert numbers[0] in second and 'rel="prev"' in second


def test_the_map_serves_open_events_in_scope_as_points(logged_in, personas, report):
    a, done = report(), report(title="已处理")
    move(done, "reject", actor=personas.grid_a, version=done.version, note="重复")
    report(lon=106.115, lat=37.905, actor=personas.grid_b)
    client = logged_in(personas.grid_a)
    assert client.get("/events/map/").status_code == 200
    data = client.get("/events/map.geojson").json()
    assert [f["properties"]["number"] for f in data["features"]] == [a.number]
    assert data["features"][0]["geometry"] == {"type": "Point", "coordinates": [106.105, 37.905]}
    everything = client.get("/events/map.geojson?status=done").json()
    assert [f["id"] for f in everything["features"]] == [done.number]


def test_inbox_and_board(logged_in, personas, report, english):
    mine = report(title="我的事件")
    climbed = report(title="上报事件")
    climbed = move(climbed, "escalate", actor=personas.grid_a, version=climbed.version, note="需要民警")
    # the grid worker's inbox has what their grid holds; the escalated one went to the officer
    inbox = html(logged_in(personas.grid_a).get("/inbox/"))
    assert mine.number in inbox and climbed.number not in inbox
    officer = logged_in(personas.officer)
    assert climbed.number in html(officer.get("/inbox/"))
    # the board shows the escalated one, not the one on time
    board = html(officer.get("/events/board/"))
    assert climbed.number in board and mine.number not in board
    # and the menu leads to both
    assert 'href="/inbox/"' in board and 'href="/events/board/"' in board


# ---------------------------------------------------------------------------------------------
# the event page and its moves


def test_the_event_page_shows_facts_timeline_and_a_form_per_available_step(
    logged_in,
    personas,
    report,
    english,
):
    event = report(reporter_name="马丽", reporter_phone="13912345678", address_text="金积村三组")
    page = html(logged_in(personas.grid_a).get(f"/events/{event.number}/"))
    assert "金积村三组" in page and "马丽" in page and "106.10500" in page
    # the timeline says who did what
    assert 'id="timeline"' in page and "张三" in page
    # one form per step the user may take, each carrying the version seen
    for name in ("file", "reject", "reassign", "escalate", "merge", "recategorise", "request_extension"):
        assert f'action="/events/{event.number}/move/{name}/"' in page, name
    assert "/move/pass/" not in page and "/move/approve_extension/" not in page
    assert f'name="file-version" value="{event.version}"' in page
    # the officer above the grid is offered approving an extension only once one was asked for
    officer = logged_in(personas.officer)
    officer_page = html(officer.get(f"/events/{event.number}/"))
    assert "/move/approve_extension/" not in officer_page and "/move/refuse_extension/" not in officer_page
    move(
        event,
        "request_extension",
        actor=personas.grid_a,
        version=event.version,
        note="需协调",
        data={"hours": 4},
    )
    officer_page = html(officer.get(f"/events/{event.number}/"))
    assert "/move/approve_extension/" in officer_page and "/move/refuse_extension/" in officer_page


def test_moves_through_the_page_and_dispatch_offers_the_holders_staff(logged_in, personas, report):
    event = report()
    client = logged_in(personas.grid_a)
    response = client.post(f"/events/{event.number}/move/file/", {"file-version": event.version})
    assert response.status_code == 302 and response.url == f"/events/{event.number}/"
    event = fresh(event)
    assert event.status == Status.FILED
    # the dispatch form offers the staff posted where the event is held
    page = html(client.get(f"/events/{event.number}/"))
    form = page[page.index('id="move-dispatch"') :]
    form = form[: form.index("</details>")]
    assert f'<option value="{personas.grid_a.pk}">张三' in form
    assert "李四" not in form  # grid B's worker
    response = client.post(
        f"/events/{event.number}/move/dispatch/",
        {"dispatch-version": event.version, "dispatch-assignee": personas.grid_a.pk},
    )
    assert response.status_code == 302
    event = fresh(event)
    assert event.status == Status.DISPATCHED and event.assignee == personas.grid_a


def test_a_stale_version_says_so_and_applies_nothing(logged_in, personas, report, english):
    event = report()
    seen = event.version
    # given the officer files the event while the grid worker still has version 1 open
    move(event, "file", actor=personas.officer, version=seen)
    # when the grid worker rejects it from their stale page
    response = logged_in(personas.grid_a).post(
        f"/events/{event.number}/move/reject/", {"reject-version": seen, "reject-note": "不属实"}
    )
    # then they are told someone else changed it, and nothing is applied
    assert response.status_code == 409
    page = html(response)
    assert "Someone else changed this event" in page and 'id="conflict"' in page
    assert fresh(event).status == Status.FILED
    assert not TimelineEntry.objects.filter(case_id=event.pk, transition="reject").exists()
    # the page shows the event as it is now, with the current version in its forms
    assert f'name="dispatch-version" value="{seen + 1}"' in page


def test_validation_errors_show_on_the_form(logged_in, personas, report, english):
    event = report()
    client = logged_in(personas.grid_a)
    response = client.post(f"/events/{event.number}/move/reject/", {"reject-version": event.version})
    assert response.status_code == 400
    page = html(response)
    form = page[page.index('id="move-reject"') :]
    assert "Say why: a note is required for this step." in form[: form.index("</details>")]
    assert fresh(event).status == Status.REPORTED
    # a bad merge target is named on its field
    response = client.post(
        f"/events/{event.number}/move/merge/",
        {"merge-version": event.version, "merge-into": "E-000000-20000101-0001"},
    )
    assert response.status_code == 400 and "No event E-000000-20000101-0001 in your area." in html(response)
    # a step the user may not take is refused
    response = client.post(
        f"/events/{event.number}/move/approve_extension/", {"approve_extension-version": 1}
    )
    assert response.status_code == 403
    assert client.post(f"/events/{event.number}/move/fly/", {}).status_code == 404


def test_merge_from_the_page_and_the_duplicate_points_to_the_original(logged_in, personas, report):
    original, duplicate = report(title="原始"), report(title="重复")
    client = logged_in(personas.grid_a)
    page = html(client.get(f"/events/{duplicate.number}/"))
    assert f'<option value="{original.number}">' in page  # offered as a candidate
    response = client.post(
        f"/events/{duplicate.number}/move/merge/",
        {"merge-version": duplicate.version, "merge-into": original.number},
    )
    assert response.status_code == 302
    assert fresh(duplicate).duplicate_of == original
    assert duplicate.number in html(client.get(f"/events/{original.number}/"))


# ---------------------------------------------------------------------------------------------
# staff intake


def test_staff_take_in_a_call_with_a_photo(logged_in, personas, categories, media):
    client = logged_in(personas.grid_a)
    assert client.get("/events/new/").status_code == 200
    response = client.post(
        "/events/new/",
        {
            "category": "0401",
            "title": "井盖缺失",
            "description": "路口井盖丢失",
            "lon": "106.105",
            "lat": "37.905",
            "channel": Channel.PHONE,
            "reporter_name": "马丽",
            "reporter_phone": "139 1234 5678",
            "photos": [png()],
        },
    )
    event = events().get(title="井盖缺失")
    assert response.status_code == 302 and response.url == f"/events/{event.number}/"
    assert event.channel == Channel.PHONE and event.reporter_name == "马丽" and event.reporter is None
    assert event.grid == personas.territory.grid_a
    [attachment] = event.attachments.all()
    kept = Path(attachment.file.path).read_bytes()
    assert attachment.content_type == "image/png" and same_pixels(kept, png_bytes())
    # the tracking code is shown once, to read out to the caller; the event's page never shows it
    page = html(client.get(response.url))
    assert event.tracking_code in page
    assert event.tracking_code not in html(client.get(response.url))
    # the page links the photo, which is served to those who see the event, sandboxed
    served = client.get(f"/events/{event.number}/files/{attachment.pk}/")
    assert served.status_code == 200 and b"".join(served.streaming_content) == kept
    assert served["Content-Security-Policy"] == "sandbox" and served["X-Content-Type-Options"] == "nosniff"
    assert not served.get("Content-Disposition", "").startswith("attachment")  # a photo shows inline


def same_pixels(a: bytes, b: bytes) -> bool:
    from PIL import Image

    first, second = Image.open(io.BytesIO(a)), Image.open(io.BytesIO(b))
    return first.size == second.size and first.convert("L").tobytes() == second.convert("L").tobytes()


def test_intake_suggests_duplicates_and_finds_registry_addresses(logged_in, personas, report, english):
    earlier = report(title="楼道堵塞")
    client = logged_in(personas.grid_a)
    # the duplicate suggestions for a point 30 m away in the same category
    found = html(client.get("/events/new/duplicates/?category=0401&lon=106.1053&lat=37.905"))
    assert earlier.number in found and 'data-duplicates="1"' in found
    assert 'data-duplicates="0"' in html(
        client.get("/events/new/duplicates/?category=0403&lon=106.1053&lat=37.905")
    )
    # the address field's place search offers registry addresses in the user's area
    address = make_address(personas.territory.grid_a, street="滨河路")
    options = html(client.get("/places/?kinds=address&q=滨河"))
    assert address.code in options and "data-place-picker" in html(client.get("/events/new/"))
    assert address.code not in html(logged_in(personas.grid_b).get("/places/?kinds=address&q=滨河"))
    # and an event taken in by address alone is placed in the address's grid
    response = logged_in(personas.grid_a).post(
        "/events/new/", {"category": "0403", "title": "垃圾未清", "address": address.code, "channel": "staff"}
    )
    assert response.status_code == 302
    event = events().get(title="垃圾未清")
    assert event.address == address and event.grid == personas.territory.grid_a


def test_intake_errors_keep_the_form_and_save_nothing(logged_in, personas, categories, english, media):
    client = logged_in(personas.grid_a)
    response = client.post("/events/new/", {"category": "0401", "title": "无处可去", "channel": "staff"})
    assert response.status_code == 400 and "Give a point on the map or an address." in html(response)
    response = client.post(
        "/events/new/",
        {
            "category": "0401",
            "title": "带病毒",
            "lon": "106.105",
            "lat": "37.905",
            "channel": "staff",
            "photos": [exe_as_jpg()],
        },
    )
    assert response.status_code == 400
    assert "holiday.jpg is not a JPEG, PNG or PDF file." in html(response)
    assert 'value="带病毒"' in html(response)
    assert not events().exists() and not Attachment.objects.exists()
    assert not any(p.is_file() for p in Path(media).rglob("*"))


def test_residents_may_not_take_in_events(logged_in, personas, categories):
    assert logged_in(personas.resident).get("/events/new/").status_code == 403


# ---------------------------------------------------------------------------------------------
# the resident portal


def portal_report(client, **extra):
    data = {
        "category": "0401",
        "description": "小区门口路灯坏了\n晚上很黑",
        "lon": "106.105",
        "lat": "37.905",
        "reporter_name": "刘一",
        "reporter_phone": "13800001111",
    }
    data.update(extra)
    return client.post("/report/", data)


def test_a_resident_reports_with_a_photo_and_gets_a_tracking_code(client, personas, categories, english):
    assert client.get("/report/").status_code == 200
    response = portal_report(client, photos=[png()])
    assert response.status_code == 302 and response.url == "/report/sent/"
    event = events().get()
    assert event.channel == Channel.PORTAL and event.reporter is None and event.reporter_name == "刘一"
    assert event.title == "小区门口路灯坏了" and event.grid == personas.territory.grid_a
    assert event.attachments.get().content_type == "image/png"
    page = html(client.get("/report/sent/"))
    assert f'data-code="{event.tracking_code}"' in page
    assert f"/track/{event.tracking_code}/" in page


def test_the_portal_refuses_a_program_dressed_as_a_photo(client, personas, categories, english, media):
    response = portal_report(client, photos=[exe_as_jpg()])
    assert response.status_code == 400
    page = html(response)
    assert "holiday.jpg is not a JPEG, PNG or PDF file." in page
    assert "小区门口路灯坏了" in page  # what they wrote is still there
    assert not events().exists() and not Attachment.objects.exists()
    assert not any(p.is_file() for p in Path(media).rglob("*"))


def test_the_portal_wants_a_place(client, personas, categories, english):
    response = portal_report(client, lon="", lat="", address_text="不存在的地方")
    assert response.status_code == 400
    assert "We could not find this address: tap the place on the map instead." in html(response)
    # an address the registry knows places the report without a point
    address = make_address(personas.territory.grid_a, street="利民巷", door_plate="12")
    response = portal_report(client, lon="", lat="", address_text=address.full_text)
    assert response.status_code == 302
    assert events().get().address == address
    # and a category closed to the public is refused
    assert portal_report(client, category="0101").status_code == 400


def test_tracking_shows_progress_without_names_or_notes(client, personas, categories, english):
    portal_report(client)
    event = events().get()
    event = move(event, "file", actor=personas.grid_a, version=event.version, note="内部备注：联系物业王经理")
    # codes are found however they are typed
    response = client.get("/track/", {"code": event.tracking_code.lower()})
    assert response.status_code == 302 and response.url == f"/track/{event.tracking_code}/"
    missing = client.get("/track/", {"code": "ZZZZZZZZZZ"})
    assert missing.status_code == 404 and "No report has this tracking code" in html(missing)
    page = html(client.get(f"/track/{event.tracking_code}/"))
    # the statuses in residents' words: no 立案, no step names
    assert 'data-status="filed"' in page and ">Accepted<" in page
    assert [
        row.split("</strong>")[0] for row in page.split('id="public-timeline"')[1].split("<strong>")[1:]
    ] == [
        "Received",
        "Accepted",
    ]
    assert "张三" not in page and "王经理" not in page and "grid_a" not in page
    assert 'id="rate"' not in page and 'id="reopen"' not in page  # not closed yet
    assert client.get("/track/ZZZZZZZZZZ/").status_code == 404


def close(event, personas):
    for name, note in (("file", ""), ("dispatch", ""), ("accept", ""), ("report_back", "已修好")):
        event = move(event, name, actor=personas.grid_a, version=event.version, note=note)
    return move(event, "pass", actor=personas.officer, version=event.version)


def test_rate_and_reopen_by_tracking_code(client, personas, categories, english):
    portal_report(client)
    event = close(events().get(), personas)
    url = f"/track/{event.tracking_code}/"
    page = html(client.get(url))
    assert 'id="rate"' in page and 'id="reopen"' in page
    assert client.post(url + "rate/", {"rating": "9", "phone_digits": "1111"}).status_code == 400
    response = client.post(url + "rate/", {"rating": "4", "phone_digits": "1111"})
    assert response.status_code == 302 and fresh(event).rating == 4
    page = html(client.get(url))
    assert 'id="public-rating">4 / 5' in page and "Thank you: your rating was recorded." in page
    # reopening needs a reason
    response = client.post(url + "reopen/", {"note": "", "phone_digits": "1111"})
    assert response.status_code == 400 and "Say why: a note is required for this step." in html(response)
    response = client.post(url + "reopen/", {"note": "灯又坏了", "phone_digits": "1111"})
    assert response.status_code == 302
    event = fresh(event)
    assert event.status == Status.HANDLING and event.reopen_count == 1
    assert "Reopened" in html(client.get(url))


def test_reopening_is_offered_only_within_the_allowed_days(client, personas, categories, english, settings):
    settings.FENGQIAO_REOPEN_DAYS = 7
    portal_report(client)
    event = close(events().get(), personas)
    events().filter(pk=event.pk).update(closed_at=timezone.now() - dt.timedelta(days=8))
    url = f"/track/{event.tracking_code}/"
    assert 'id="reopen"' not in html(client.get(url))
    response = client.post(url + "reopen/", {"note": "又坏了", "phone_digits": "1111"})
    assert response.status_code == 400
    assert "An event can be reopened within 7 days of closing." in html(response)
    assert fresh(event).status == Status.CLOSED


def test_a_merged_duplicate_follows_the_original(client, personas, report, english):
    original = report()
    portal_report(client)
    duplicate = events().get(channel=Channel.PORTAL)
    move(duplicate, "merge", actor=personas.grid_a, version=duplicate.version, data={"into": original.number})
    move(original, "file", actor=personas.grid_a, version=original.version)
    page = html(client.get(f"/track/{duplicate.tracking_code}/"))
    assert 'id="merged-notice"' in page
    assert 'data-status="filed"' in page and ">Accepted<" in page
    assert "楼道堵塞" not in page  # the original's own words stay with its reporter


def test_a_logged_in_residents_reports_are_listed(logged_in, client, personas, categories):
    assert client.get("/my-reports/").status_code == 302  # to the log-in page
    resident = logged_in(personas.resident)
    portal_report(resident, reporter_name="", reporter_phone="")
    event = events().get()
    assert event.reporter == personas.resident and event.reporter_name == "孙八"
    page = html(resident.get("/my-reports/"))
    assert f"/track/{event.tracking_code}/" in page and "小区门口路灯坏了" in page
    # the menu offers the portal, not the staff pages
    assert 'href="/report/"' in page and 'href="/inbox/"' not in page
    # and the logged-in reporter rates as themselves
    close(event, personas)
    resident.post(f"/track/{event.tracking_code}/rate/", {"rating": "5"})
    entry = TimelineEntry.objects.get(case_id=event.pk, transition="rate")
    assert entry.actor == personas.resident


def test_the_portals_map_opens_over_the_territory(client, personas):
    data = client.get("/report/places.geojson").json()
    assert data["type"] == "FeatureCollection"
    west, south, east, north = data["bbox"]
    assert west <= 106.005 and east >= 106.115 and south <= 37.905 and north >= 38.005


# ---------------------------------------------------------------------------------------------
# the public surface: limits, files served sandboxed, ratings that are the reporter's


def test_the_portal_holds_a_reports_limits(client, personas, categories, english):
    response = portal_report(client, description="很" * 2001)
    assert response.status_code == 400
    assert "Description: at most 2000 characters (this one has 2001)." in html(response)
    response = portal_report(client, photos=[png(f"p{n}.png") for n in range(6)])
    assert response.status_code == 400
    assert "At most 5 photos or documents per report (6 were sent)." in html(response)
    assert not events().exists()


def test_a_pdf_is_served_as_a_sandboxed_download(logged_in, client, personas, categories, media):
    from reportlab.pdfgen import canvas

    pdf = io.BytesIO()
    drawing = canvas.Canvas(pdf)
    drawing.drawString(72, 720, "井盖位置图")
    drawing.save()
    response = portal_report(client, photos=[SimpleUploadedFile("图纸.pdf", pdf.getvalue())])
    assert response.status_code == 302
    event = events().get()
    attachment = event.attachments.get()
    served = logged_in(personas.grid_a).get(f"/events/{event.number}/files/{attachment.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["Content-Security-Policy"] == "sandbox" and served["X-Content-Type-Options"] == "nosniff"


def test_rating_takes_the_phones_last_digits_and_never_staff(
    logged_in, client, personas, categories, english
):
    portal_report(client)  # the reporter gave 13800001111
    event = close(events().get(), personas)
    url = f"/track/{event.tracking_code}/"
    page = html(client.get(url))
    assert 'name="phone_digits"' in page
    # the code alone, or the code with wrong digits, rates nothing
    assert client.post(url + "rate/", {"rating": "5"}).status_code == 400
    response = client.post(url + "rate/", {"rating": "5", "phone_digits": "2222"})
    assert response.status_code == 400
    assert "These are not the last four digits of the phone number given with the report." in html(response)
    assert fresh(event).rating is None
    # staff, who might read the code somewhere, are refused and offered no form
    staff = logged_in(personas.officer)
    assert 'id="rate"' not in html(staff.get(url))
    response = staff.post(url + "rate/", {"rating": "5", "phone_digits": "1111"})
    assert response.status_code == 403
    assert "Only the reporter may rate or reopen a report, not staff." in html(response)
    assert fresh(event).rating is None
    staff.logout()
    # the reporter, with the digits
    response = client.post(url + "rate/", {"rating": "5", "phone_digits": "1111"})
    assert response.status_code == 302 and fresh(event).rating == 5
    entry = TimelineEntry.objects.get(case_id=event.pk, transition="rate")
    assert entry.actor is None


# ---------------------------------------------------------------------------------------------
# residents hear back; steps offered only when they can succeed (issue 15, items 2 and 6)


def reported_back(event, personas, reply=""):
    for name, note, data in (
        ("file", "", None),
        ("dispatch", "", None),
        ("accept", "", None),
        ("report_back", "内部：找物业王经理借了梯子", {"reply": reply}),
    ):
        event = move(event, name, actor=personas.grid_a, version=event.version, note=note, data=data)
    return event


def test_whoever_reported_back_is_not_offered_the_check_and_a_forced_one_says_why(
    logged_in, personas, report, english
):
    # given an event grid A's worker reported back
    event = reported_back(report(), personas)
    client = logged_in(personas.grid_a)
    page = html(client.get(f"/events/{event.number}/"))
    # then they are not offered the check, and the page says why
    assert "/move/pass/" not in page and "/move/rework/" in page
    assert "data-held-back>You took the step “report back” yourself, so someone else must take" in page
    # and a forced POST is refused with the reason on the page, nothing moved
    response = client.post(f"/events/{event.number}/move/pass/", {"pass-version": event.version})
    assert response.status_code == 403
    assert "so someone else must take “pass the check”" in html(response)
    assert fresh(event).status == Status.REPORTED_BACK
    # while the officer is offered it, with the handler's draft reply to better
    page = html(logged_in(personas.officer).get(f"/events/{event.number}/"))
    assert "/move/pass/" in page and "data-held-back" not in page


def test_the_reporter_reads_the_reply_and_never_the_notes(client, personas, categories, english):
    portal_report(client)
    event = reported_back(events().get(), personas, reply="路灯已修好。")
    url = f"/track/{event.tracking_code}/"
    page = html(client.get(url))
    # a draft reply is not shown before the check, and the notes never are
    assert 'id="public-reply"' not in page and "路灯已修好" not in page and "王经理" not in page
    assert ">Handled, being checked<" in page
    event = move(
        event,
        "pass",
        actor=personas.officer,
        version=event.version,
        note="内部：已电话回访",
        data={"reply": "路灯已更换，感谢您的反映。"},
    )
    page = html(client.get(url))
    assert 'id="public-reply"' in page and "路灯已更换，感谢您的反映。" in page
    assert "王经理" not in page and "回访" not in page
    assert 'data-status="closed"' in page and ">Closed<" in page
    # staff see the reply on the event's page, each step's reply in the timeline
    staff_page = html(logged_in_as(personas.officer).get(f"/events/{event.number}/"))
    assert 'id="event-reply">路灯已更换，感谢您的反映。' in staff_page and "路灯已修好。" in staff_page


def logged_in_as(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other


def test_a_residents_home_and_my_reports_show_each_reports_status_and_reply(
    logged_in, personas, categories, english
):
    resident = logged_in(personas.resident)
    portal_report(resident, reporter_name="", reporter_phone="")
    portal_report(resident, reporter_name="", reporter_phone="", description="楼道里堆满杂物")
    done, waiting = events().order_by("id")
    move(waiting, "file", actor=personas.grid_a, version=waiting.version, note="内部：王经理")
    event = reported_back(done, personas, reply="路灯已修好。")
    move(event, "pass", actor=personas.officer, version=event.version)
    for url in ("/", "/my-reports/"):
        page = html(resident.get(url))
        assert f"/track/{done.tracking_code}/" in page and f"/track/{waiting.tracking_code}/" in page
        assert 'data-status="closed">Closed<' in page and 'data-status="filed">Accepted<' in page
        assert "路灯已修好。" in page and "王经理" not in page
        assert "0401" not in page  # the category by its name, never its code


def test_the_portal_names_categories_without_their_codes(client, categories):
    page = html(client.get("/report/"))
    assert ">0401 " not in page and "0401 " not in page.split('name="category"')[1].split("</select>")[0]
    assert 'value="0401"' in page


def test_a_refusal_says_why_on_its_page_and_to_htmx(client, personas, english):
    from fengqiao.registry import access
    from fengqiao.registry.choices import ReadPurpose
    from tests.fixtures.registry import make_address, make_person

    person = make_person(make_address(personas.territory.grid_a), name="张三", phone="13912345678")
    client.force_login(personas.grid_a)
    session = client.session
    session[access.SESSION_KEY] = {"code": str(ReadPurpose.VISIT), "note": ""}
    session.save()
    url = f"/registry/people/{person.pk}/reveal/phone/"
    # a grid worker opening the reveal URL is told why not, on the page
    response = client.post(url, {"reason": "核实"})
    assert response.status_code == 403
    assert 'id="refusal-reason">Your role sees personal numbers masked only.' in html(response)
    # and through htmx, the reason alone, for the page to show where the answer goes
    response = client.post(url, {"reason": "核实"}, headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert html(response).strip().startswith('<p class="error" role="alert" data-refused>')
    assert "Your role sees personal numbers masked only." in html(response) and "<html" not in html(response)
    assert "13912345678" not in html(response)
