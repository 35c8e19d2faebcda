"""Resident groups (member counts over time, coverage against the registry), anti-fraud
consultations (a defrauded resident's case opened through the events' intake), stalls and lectures
with their photos, and the monthly figures per station, on the page and as XLSX."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from fengqiao.core.models import AuditEntry
from fengqiao.events.choices import FraudType
from fengqiao.events.models import Event
from fengqiao.outreach import actions, selectors
from fengqiao.outreach.choices import ConsultationChannel, ConsultationOutcome, LectureKind, Platform
from fengqiao.outreach.models import Consultation, ResidentGroup
from tests.fixtures.registry import make_person
from tests.outreach.conftest import build_world


@pytest.fixture
def world(personas):
    return build_world(personas)


# --- groups ----------------------------------------------------------------------------------


def test_member_counts_are_dated_readings_and_the_group_shows_the_latest(personas, world):
    group = world.groups["A"]
    today = timezone.localdate()
    actions.record_member_count(
        group, actor=personas.officer, members=150, counted_on=today - dt.timedelta(days=30)
    )
    assert ResidentGroup.objects.unscoped(reason="test").get(pk=group.pk).members == 180  # an older reading
    actions.record_member_count(group, actor=personas.officer, members=210)
    actions.record_member_count(group, actor=personas.officer, members=212)  # the same day: replaced
    readings = list(group.counts.values_list("counted_on", "members"))
    assert readings == [(today, 212), (today - dt.timedelta(days=30), 150)]
    assert ResidentGroup.objects.unscoped(reason="test").get(pk=group.pk).members == 212
    with pytest.raises(ValidationError):
        actions.record_member_count(group, actor=personas.officer, members=-1)
    with pytest.raises(ValidationError):
        actions.record_member_count(
            group, actor=personas.officer, members=5, counted_on=today + dt.timedelta(days=1)
        )


def test_a_group_outside_the_area_is_neither_registered_nor_counted(personas, world):
    with pytest.raises(ValidationError) as error:
        actions.register_group(
            actor=personas.officer, platform=Platform.WECHAT, name="越界群", grid=personas.territory.grid_b
        )
    assert "grid" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        actions.record_member_count(world.groups["B"], actor=personas.officer, members=3)
    with pytest.raises(PermissionDenied):
        actions.register_group(
            actor=personas.resident, platform=Platform.QQ, name="群", grid=personas.territory.grid_a
        )


def test_only_a_wecom_group_has_a_bot_and_its_address_stays_secret(personas, world):
    with pytest.raises(ValidationError) as error:
        actions.register_group(
            actor=personas.officer,
            platform=Platform.WECHAT,
            name="微信群",
            grid=personas.territory.grid_a,
            webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        )
    assert "webhook_url" in error.value.message_dict
    group = actions.register_group(
        actor=personas.officer,
        platform=Platform.WECOM,
        name="企微群",
        grid=personas.territory.grid_a,
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-key-123",
    )
    assert group.has_bot
    entry = AuditEntry.objects.filter(object_id=str(group.pk), object_type="outreach.residentgroup").get()
    assert "secret-key-123" not in str(entry.after)


def test_coverage_counts_members_against_the_registrys_residents(personas, world):
    t = personas.territory
    for _ in range(4):
        make_person(grid=t.grid_a)
    make_person(grid=t.grid_b)
    rows = {row.community.name: row for row in selectors.coverage(personas.station)}
    assert set(rows) == {"金积村", "关渠村"}  # the station does not see 小坝村
    assert (rows["金积村"].groups, rows["金积村"].members, rows["金积村"].residents) == (1, 180, 4)
    assert rows["金积村"].share == 4500.0
    assert (rows["关渠村"].members, rows["关渠村"].residents) == (95, 1)
    assert [r.community.name for r in selectors.coverage(personas.grid_a)] == ["金积村"]


def test_group_pages_show_the_counts_and_the_coverage(personas, world, client):
    client.force_login(personas.officer)
    page = client.get("/outreach/").content.decode()
    assert "金积村警民群" in page and "关渠村平安群" not in page
    response = client.post(f"/outreach/groups/{world.groups['A'].pk}/", {"members": "199", "counted_on": ""})
    assert response.status_code == 302
    assert "199" in client.get(f"/outreach/groups/{world.groups['A'].pk}/").content.decode()
    response = client.post(
        "/outreach/groups/new/",
        {"name": "金积村QQ群", "platform": "qq", "grid": personas.territory.grid_a.pk, "members": "40"},
    )
    assert response.status_code == 302
    assert ResidentGroup.objects.visible_to(personas.officer).filter(name="金积村QQ群", members=40).exists()


# --- consultations ---------------------------------------------------------------------------


def consult(personas, **extra):
    values = {
        "actor": personas.officer,
        "channel": ConsultationChannel.PHONE,
        "scam_type": FraudType.CUSTOMER_SERVICE,
        "summary": "接到自称淘宝客服电话，称商品质量问题可退款，要求下载会议软件共享屏幕。",
        "outcome": ConsultationOutcome.DISSUADED,
        "grid": personas.territory.grid_a,
        "amount_at_stake": "8000",
    }
    return actions.log_consultation(**{**values, **extra})


def test_a_dissuaded_consultation_opens_no_case(personas, world, categories):
    c = consult(personas)
    assert (c.outcome, c.amount_at_stake, c.amount_lost, c.event) == (
        ConsultationOutcome.DISSUADED,
        Decimal("8000.00"),
        0,
        None,
    )
    assert Event.objects.unscoped(reason="test").count() == 0


def test_an_already_defrauded_resident_gets_a_fraud_case(personas, world, categories):
    c = consult(
        personas,
        outcome=ConsultationOutcome.DEFRAUDED,
        scam_type=FraudType.INVESTMENT,
        amount_lost="52000.5",
        resident_name="马秀英",
        resident_phone="139 0000 1234",
    )
    event = Event.objects.unscoped(reason="test").get()
    assert c.event == event
    assert (event.category.code, event.crime_class, event.fraud_type) == (
        "0104",
        "fraud",
        FraudType.INVESTMENT,
    )
    assert event.grid == personas.territory.grid_a and event.reporter_phone == "13900001234"
    assert "52000.50" in event.description


def test_a_loss_only_with_already_defrauded_and_then_it_is_needed(personas, world, categories):
    with pytest.raises(ValidationError) as error:
        consult(personas, amount_lost="100")
    assert "amount_lost" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        consult(personas, outcome=ConsultationOutcome.DEFRAUDED)
    assert "amount_lost" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        consult(personas, amount_at_stake="一万")
    assert "amount_at_stake" in error.value.message_dict


def test_a_case_that_cannot_be_opened_leaves_no_consultation(personas, world, settings, categories):
    settings.FENGQIAO_OUTREACH_FRAUD_CATEGORY = "9999"  # no such category
    with pytest.raises(ValidationError):
        consult(personas, outcome=ConsultationOutcome.DEFRAUDED, amount_lost="300")
    assert not Consultation.objects.unscoped(reason="test").exists()


def test_consultation_pages(personas, world, categories, client):
    client.force_login(personas.officer)
    response = client.post(
        "/outreach/consultations/new/",
        {
            "channel": "visit",
            "scam_type": "authorities",
            "summary": "自称公安局民警称其涉嫌洗钱，要求转账到安全账户。",
            "amount_at_stake": "30000",
            "outcome": "dissuaded",
            "grid": personas.territory.grid_a.pk,
            "resident_phone": "13900001234",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    detail = client.get(response["Location"]).content.decode()
    assert "1390000" not in detail and "1234" in detail  # the phone is masked
    bad = client.post(
        "/outreach/consultations/new/",
        {
            "channel": "visit",
            "scam_type": "authorities",
            "summary": "x",
            "outcome": "defrauded",
            "grid": personas.territory.grid_a.pk,
        },
    )
    assert bad.status_code == 200  # the form again, with the error on the amount lost
    assert any(
        m in bad.content.decode() for m in ("Give the amount the resident lost.", "请填写群众被骗金额。")
    )
    assert Consultation.objects.unscoped(reason="test").count() == 1


# --- lectures and the monthly figures --------------------------------------------------------


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_lecture_photo_is_encoded_again_without_its_metadata(personas, world):
    lecture = actions.record_lecture(
        actor=personas.officer,
        kind=LectureKind.LECTURE,
        held_on=timezone.localdate(),
        place_text="金积村文化广场",
        topic="防范电信网络诈骗",
        speaker="王五",
        attendance=86,
        grid=personas.territory.grid_a,
    )
    photo = actions.add_lecture_photo(
        lecture, SimpleUploadedFile("p.jpg", _jpeg_with_exif()), actor=personas.officer
    )
    with photo.file.open("rb") as fh, Image.open(fh) as kept:
        assert kept.format == "JPEG" and not kept.getexif()
    with pytest.raises(ValidationError):
        actions.add_lecture_photo(
            lecture, SimpleUploadedFile("x.jpg", b"not an image"), actor=personas.officer
        )
    with pytest.raises(ValidationError):
        actions.record_lecture(
            actor=personas.officer,
            kind=LectureKind.LAW_TIME,
            held_on=timezone.localdate() + dt.timedelta(days=2),
            place_text="村委会",
            topic="普法",
            speaker="王五",
            grid=personas.territory.grid_a,
        )


def test_monthly_figures_per_station_on_the_page_and_as_xlsx(personas, world, categories, client):
    t = personas.territory
    jan = timezone.make_aware(dt.datetime(2026, 1, 10, 10))
    feb = timezone.make_aware(dt.datetime(2026, 2, 3, 15))
    consult(personas, consulted_at=jan, amount_at_stake="1000")
    consult(personas, consulted_at=jan, actor=personas.grid_b, grid=t.grid_b, amount_at_stake="2500")
    consult(personas, consulted_at=feb, outcome=ConsultationOutcome.NOT_FRAUD, amount_at_stake="0")
    consult(personas, consulted_at=jan, actor=personas.city, grid=t.grid_c, amount_at_stake="700")
    actions.record_lecture(
        actor=personas.officer,
        kind=LectureKind.STALL,
        held_on=dt.date(2026, 1, 20),
        place_text="集市",
        topic="反诈宣传",
        speaker="王五",
        attendance=120,
        grid=t.grid_a,
    )
    rows = selectors.monthly_figures(personas.station, 2026)
    assert [
        (
            r.station_name,
            r.month.month,
            r.consultations,
            r.dissuaded,
            r.losses_prevented,
            r.lectures,
            r.attendance,
        )
        for r in rows
    ] == [
        ("金积派出所", 1, 2, 2, Decimal("3500.00"), 1, 120),
        ("金积派出所", 2, 1, 0, Decimal("0"), 0, 0),
    ]
    assert len(selectors.monthly_figures(personas.city, 2026)) == 3  # and 小坝派出所's January
    client.force_login(personas.station)
    assert "金积派出所" in client.get("/outreach/figures/?year=2026").content.decode()
    response = client.get("/outreach/figures/?year=2026&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][:5] == ("金积派出所", "2026-01", 2, 2, 3500.0)
    assert len(values) == 3


def test_the_dashboards_figures_link_to_exactly_their_records(personas, world, categories, client):
    from fengqiao.core import indicators

    t = personas.territory
    long_ago = timezone.now() - dt.timedelta(days=400)
    shown = consult(personas, summary="近期的咨询甲")
    consult(personas, summary="很久以前的咨询乙", consulted_at=long_ago)
    consult(personas, actor=personas.grid_b, grid=t.grid_b, summary="关渠村的咨询丙")
    figure = indicators.get("outreach.dissuaded")
    start, end = timezone.localdate() - dt.timedelta(days=30), timezone.localdate()
    assert figure.count(personas.station, t.district_a.path, start, end) == 1
    client.force_login(personas.station)
    page = client.get(figure.link(t.district_a.path, start, end)).content.decode()
    assert re.findall(r'href="/outreach/consultations/(\d+)/"', page) == [str(shown.pk)]
