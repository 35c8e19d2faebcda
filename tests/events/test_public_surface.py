"""The public surface of events (issue 12, item 5): a report's size limits written once, uploads
cleaned before they are kept, which categories the public may read, and ratings that belong to
the reporter."""

import importlib
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader
from django.utils import translation
from PIL import Image

from fengqiao.core import ratelimit
from fengqiao.core.models import AuditEntry, RateWindow, ReferenceVersion
from fengqiao.core.uploads import check_upload
from fengqiao.events import rules
from fengqiao.events.actions import (
    CATEGORIES,
    Report,
    build_report,
    move,
    move_by_tracking_code,
    report_event,
    report_with_files,
)
from fengqiao.events.choices import Channel, Status
from fengqiao.events.importing import import_110
from fengqiao.events.models import Attachment, Category, Event
from tests.events.test_import_110 import HEADER, read_csv, row, write_csv

pytestmark = pytest.mark.django_db

GPS = 0x8825
PAYLOAD = b"<html><script>fetch('/api/v1/me').then(r=>r.text()).then(alert)</script></html>"


def events():
    return Event.objects.unscoped(reason="test: what is in the database")


# ---------------------------------------------------------------------------------------------
# 1. size limits


def test_a_title_over_100_and_a_description_over_2000_are_refused_naming_the_field(categories):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        build_report(category="0401", public_only=False, title="井" * 101, description="很" * 2001)
    errors = caught.value.message_dict
    assert set(errors) == {"title", "description"}
    title, description = errors["title"][0], errors["description"][0]
    assert title.startswith("标题") and "100" in title and "101" in title
    assert description.startswith("描述") and "2000" in description
    # at the limit is fine
    report = build_report(category="0401", public_only=False, title="井" * 100, description="很" * 2000)
    assert len(report.title) == 100


def test_the_intake_action_holds_the_limits_for_reports_built_elsewhere(personas, categories):
    report = Report(category=categories["0401"], title="井" * 101, lon=106.105, lat=37.905)
    with pytest.raises(ValidationError) as caught:
        report_event(report, actor=personas.grid_a, channel=Channel.STAFF)
    assert "title" in caught.value.message_dict and not events().exists()


def test_the_model_field_and_the_limits_agree():
    assert Event._meta.get_field("title").max_length == rules.TITLE_MAX == 100
    description = Event._meta.get_field("description")
    assert description.max_length == rules.DESCRIPTION_MAX == 2000
    with pytest.raises(ValidationError):
        for validator in description.validators:
            validator("很" * 2001)


def test_a_too_long_110_row_is_a_row_error_and_the_others_go_in(personas, categories, tmp_path, settings):
    settings.DATA_DIR = tmp_path / "data"
    path = write_csv(
        tmp_path / "110.csv",
        HEADER,
        [row("J1", text="打架" * 1001), row("J2", text="电动车被盗")],
    )
    result = import_110(path, actor=personas.station)
    assert result.counts()["inserted"] == 1 and result.counts()["rejected"] == 1
    assert list(events().values_list("external_id", flat=True)) == ["J2"]
    (rejected,) = read_csv(result.errors_file)[1:]
    line, column, reason = rejected[-3:]
    assert line == "2" and column == "警情内容" and "2000" in reason


def test_too_many_photos_or_too_many_megabytes_refuse_the_report(personas, categories, settings):
    report = Report(category=categories["0401"], title="井盖缺失", lon=106.105, lat=37.905)
    photos = [SimpleUploadedFile(f"p{n}.jpg", jpeg_bytes()) for n in range(6)]
    with pytest.raises(ValidationError) as caught:
        report_with_files(report, photos, actor=personas.grid_a, channel=Channel.STAFF)
    assert "file" in caught.value.message_dict and "5" in caught.value.message_dict["file"][0]
    settings.FENGQIAO_REPORT_MAX_MB = 1
    big = [SimpleUploadedFile(f"p{n}.jpg", jpeg_bytes() + b"\0" * 600_000) for n in range(2)]
    with pytest.raises(ValidationError):
        report_with_files(report, big, actor=personas.grid_a, channel=Channel.STAFF)
    assert not events().exists() and not Attachment.objects.exists()
    report_with_files(report, photos[:5], actor=personas.grid_a, channel=Channel.STAFF)
    assert Attachment.objects.count() == 5


def test_existing_long_titles_are_cut_by_the_migration(personas, categories, report):
    # given: an event whose title was written when the column held 200 characters (PostgreSQL keeps
    # to a column's width, so there it is widened again inside the test's transaction, which undoes
    # it; migrating the whole project back and forth to get there took a minute and grew with it)
    event = report(title="井盖缺失")
    if connection.vendor == "postgresql":
        narrow = Event._meta.get_field("title")
        wide = models.CharField(max_length=200)
        wide.set_attributes_from_name("title")
        wide.model = Event
        connection.check_constraints()  # the event's deferred checks run now: none may be pending
        with connection.schema_editor() as editor:
            editor.alter_field(Event, narrow, wide)
    events().filter(pk=event.pk).update(title="长" * 150)
    # when the migration's step runs, on the models as they were then
    then = MigrationLoader(connection).project_state([("events", "0003_event_scope_time_idx")]).apps
    importlib.import_module("fengqiao.events.migrations.0004_shorten_long_titles").shorten(then, None)
    # then
    title = events().get(pk=event.pk).title
    assert title == "长" * 99 + "…" and len(title) == 100


# ---------------------------------------------------------------------------------------------
# 2. uploads


def jpeg_bytes(*, gps: bool = True, orientation: int = 6, size=(40, 20)) -> bytes:
    """A real JPEG from Pillow, with an EXIF block holding a GPS position and an orientation."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation
    if gps:
        exif[GPS] = {1: "N", 2: (37.0, 54.0, 18.0), 3: "E", 4: (106.0, 6.0, 18.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def pdf_bytes() -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Mediation agreement")
    page.save()
    return out.getvalue()


def test_a_photo_is_kept_without_its_gps_and_without_what_follows_it(personas, categories):
    # given: a phone photo with its GPS position, and a page hidden after the image's end
    data = jpeg_bytes() + PAYLOAD
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS)
    # when
    (attachment,) = report_with_files(
        Report(category=categories["0401"], title="井盖", lon=106.105, lat=37.905),
        [SimpleUploadedFile("DSC0001.jpg", data)],
        actor=personas.grid_a,
        channel=Channel.STAFF,
    ).attachments.all()
    # then: what is stored is an upright image with no EXIF and no payload
    with attachment.file.open("rb") as fh:
        stored = fh.read()
    assert b"<script" not in stored and b"fetch(" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and image.size == (20, 40)  # orientation 6: turned upright
    assert not image.getexif().get_ifd(GPS) and not dict(image.getexif())
    assert attachment.size == len(stored) and attachment.original_name == "DSC0001.jpg"


def test_a_png_loses_its_text_chunks_and_trailing_bytes():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "住址：利民巷12号")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", pnginfo=info)
    checked = check_upload(SimpleUploadedFile("scan.png", out.getvalue() + PAYLOAD))
    stored = checked.file.read()
    assert PAYLOAD not in stored and "利民巷".encode() not in stored
    assert Image.open(io.BytesIO(stored)).info.get("Comment") is None
    assert checked.content_type == "image/png" and checked.extension == ".png"


def test_a_corrupt_image_is_refused_naming_the_file():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("broken.jpg", jpeg_bytes()[:120]))
    (message,) = caught.value.message_dict["file"]
    assert "broken.jpg" in message and "图片" in message


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 megapixels in a few kilobytes
    assert len(out.getvalue()) < 100_000
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("bomb.png", out.getvalue()))
    assert "bomb.png" in caught.value.message_dict["file"][0]


def test_a_text_file_named_pdf_is_refused_and_a_real_pdf_is_kept():
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("agreement.pdf", b"just some text\n"))
    assert "agreement.pdf" in caught.value.message_dict["file"][0]
    # a file that starts like a PDF and is none is refused too
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile("fake.pdf", b"%PDF-1.7\n" + PAYLOAD))
    assert "fake.pdf" in caught.value.message_dict["file"][0]
    real = pdf_bytes()
    checked = check_upload(SimpleUploadedFile("agreement.pdf", real))
    assert checked.content_type == "application/pdf" and checked.file.read() == real


# ---------------------------------------------------------------------------------------------
# 3. which categories the public may read


def test_only_public_space_categories_are_shown_publicly(categories):
    shown = set(Category.objects.filter(shown_publicly=True).values_list("code", flat=True))
    assert shown == {"0401", "0403"}
    assert "0504" not in shown  # a tip (举报) is never public, though residents may send one
    assert categories["0504"].public


def test_a_change_of_the_flag_moves_the_category_cache(categories):
    CATEGORIES.get()
    before = ReferenceVersion.objects.get(name="event_categories").token
    assert CATEGORIES.get()["0502"].shown_publicly is False
    category = Category.objects.get(code="0502")
    category.shown_publicly = True
    category.save()  # what the admin's change form does
    assert ReferenceVersion.objects.get(name="event_categories").token != before
    assert CATEGORIES.get()["0502"].shown_publicly is True


# ---------------------------------------------------------------------------------------------
# 4. ratings belong to the reporter


def closed(personas, report, **extra):
    event = report(channel=Channel.PHONE, reporter_name="刘一", reporter_phone="138 0000 1234", **extra)
    for name, note in (("file", ""), ("dispatch", ""), ("accept", ""), ("report_back", "已修好")):
        event = move(event, name, actor=personas.grid_a, version=event.version, note=note)
    return move(event, "pass", actor=personas.officer, version=event.version)


def test_the_tracking_code_alone_does_not_rate_when_a_phone_was_given(personas, report):
    event = closed(personas, report)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        move_by_tracking_code(event.tracking_code, "rate", data={"rating": 5})
    assert (
        "phone_digits" in caught.value.message_dict
        and "后四位" in caught.value.message_dict["phone_digits"][0]
    )
    with pytest.raises(ValidationError):
        move_by_tracking_code(event.tracking_code, "rate", data={"rating": 5}, phone_digits="9999")
    assert events().get(pk=event.pk).rating is None
    rated = move_by_tracking_code(event.tracking_code, "rate", data={"rating": 2}, phone_digits="1234")
    assert rated.rating == 2
    entry = AuditEntry.objects.filter(action="case_transition_public", object_id=str(event.pk)).get()
    assert entry.actor is None
    assert entry.after["by"] == "reporter" and entry.after["proof"] == "tracking code and phone digits"


def test_staff_cannot_rate_or_reopen(personas, report):
    event = closed(personas, report)
    for user in (personas.officer, personas.grid_a, personas.admin):
        with pytest.raises(PermissionDenied):
            move_by_tracking_code(
                event.tracking_code, "rate", data={"rating": 5}, actor=user, phone_digits="1234"
            )
        with pytest.raises(PermissionDenied):
            move_by_tracking_code(
                event.tracking_code, "reopen", note="再看看", actor=user, phone_digits="1234"
            )
    event = events().get(pk=event.pk)
    assert event.rating is None and event.status == Status.CLOSED


def test_guessing_the_digits_is_slowed_and_spends_the_addresses_budget(personas, report, settings):
    settings.ANONYMOUS_READS_PER_MINUTE = 60
    event = closed(personas, report)
    from fengqiao.core.context import Source, acting_as

    with acting_as(None, Source.WEB, ip="198.51.100.7"):
        for guess in ("0000", "0001", "0002"):
            with pytest.raises(ValidationError):
                move_by_tracking_code(event.tracking_code, "rate", data={"rating": 5}, phone_digits=guess)
        # the fourth try within the minute is refused, even with the right digits
        with pytest.raises(ValidationError) as caught:
            move_by_tracking_code(event.tracking_code, "rate", data={"rating": 5}, phone_digits="1234")
    assert "Too many tries" in caught.value.message_dict["phone_digits"][0]
    assert events().get(pk=event.pk).rating is None
    spent = RateWindow.objects.get(key=ratelimit.address_key("public", "198.51.100.7")).hits
    assert spent == 3 * 10


def test_a_report_without_a_phone_is_rated_with_its_code(personas, report):
    event = report(channel=Channel.PHONE)
    for name, note in (("file", ""), ("dispatch", ""), ("accept", ""), ("report_back", "好了")):
        event = move(event, name, actor=personas.grid_a, version=event.version, note=note)
    event = move(event, "pass", actor=personas.officer, version=event.version)
    assert move_by_tracking_code(event.tracking_code, "rate", data={"rating": 4}).rating == 4
