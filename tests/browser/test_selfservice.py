"""The no-criminal-record certificate in a real Chromium: a resident applies at the kiosk page
(portrait 1080×1920, the phone confirmed by the code an SMS gateway — a local HTTP server —
received), the station issues it, the QR code of its PDF opens the verification page on a phone
(valid, the holder's name masked), then the station revokes it and the same page says revoked.
The kiosk clears what was typed when it is left alone."""

import datetime as dt
import io
import re

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from fengqiao.core.notifications.choices import ChannelKind
from fengqiao.core.notifications.models import Channel
from fengqiao.registry.validators import make_id_number
from fengqiao.selfservice.models import Certificate, Kiosk, Office
from tests.browser.conftest import DESKTOP, PHONE, _open
from tests.core.test_notifications import HttpEndpoint, run_worker

pytestmark = pytest.mark.browser

KIOSK = {"width": 1080, "height": 1920}
ID_NUMBER = make_id_number("640302", dt.date(1991, 3, 4), "F", 12)
MOBILE = "13912345678"


@pytest.fixture
def gateway(db):
    endpoint = HttpEndpoint()
    endpoint.answer((200, {"id": "m"}))
    Channel.objects.create(kind=ChannelKind.SMS, name="sms", url=f"{endpoint.url}/sms", token="t")
    yield endpoint
    endpoint.stop()


def certificates():
    return Certificate.objects.unscoped(reason="test: what the pages wrote")


def test_applied_at_the_kiosk_issued_verified_on_a_phone_then_revoked(
    browser, live_server, personas, gateway
):
    t = personas.territory
    office = Office.objects.create(kind="office", code="JWS0001", name="金积第一警务室", unit=t.district_a)
    Kiosk.objects.create(office=office, code="K0001")
    kiosk_context, kiosk = _open(browser, live_server, KIOSK)
    staff_context, staff = _open(browser, live_server, DESKTOP)
    phone_context, phone = _open(browser, live_server, PHONE)
    try:
        # given the kiosk's start page, full-screen portrait with large touch targets
        kiosk.goto("/kiosk/K0001/")
        page = kiosk.page
        tile = page.locator("#tile-certificate")
        assert tile.bounding_box()["height"] >= 96 and kiosk.no_horizontal_scroll()
        with page.expect_navigation():
            tile.click()
        # when the resident types who they are and asks for the code
        page.fill("#id_name", "马小红")
        page.fill("#id_id_number", ID_NUMBER)
        page.fill("#id_phone", MOBILE)
        assert page.locator("#send-code").bounding_box()["height"] >= 96
        with page.expect_navigation():
            page.locator("#send-code").click()
        assert page.locator("#code-sent").is_visible()
        run_worker()
        (sms,) = [r["json"] for r in gateway.requests]
        assert sms["phone"] == MOBILE
        code = re.search(r"\b(\d{6})\b", sms["text"]).group(1)
        page.fill("#id_code", code)
        page.select_option("#id_purpose", "employment")
        with page.expect_navigation():
            page.locator("#submit-application").click()
        certificate = certificates().get()
        assert page.locator("#application-number").inner_text() == certificate.number
        # nothing personal is left on the screen: no name, no ID number
        assert ID_NUMBER not in page.content() and "马小红" not in page.content()
        assert certificate.channel == "kiosk" and certificate.kiosk.code == "K0001"

        # the station issues it
        staff.login("station")
        staff.goto(f"/certificates/{certificate.number}/")
        assert staff.page.locator("#no-record").is_visible()
        with staff.page.expect_navigation():
            staff.page.locator("form[data-move=issue] button[type=submit]").click()
        assert staff.page.locator("#certificate-status").get_attribute("data-status") == "issued"
        response = staff.page.request.get(staff.url(f"/certificates/{certificate.number}/document.pdf"))
        reader = PdfReader(io.BytesIO(response.body()))
        assert "无犯罪记录证明" in reader.pages[0].extract_text()
        [qr] = [
            found.text
            for image in reader.pages[0].images
            for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
        ]
        serial = certificates().get().serial
        assert qr == staff.url(f"/verify/certificate/{serial}/")  # an address, no personal data

        # the QR code opened on a phone: valid, the holder's name masked
        phone.page.goto(qr)
        assert phone.page.locator("#verdict").get_attribute("data-validity") == "valid"
        assert phone.page.locator("#holder").inner_text() == "马**"
        assert "马小红" not in phone.page.content() and phone.no_horizontal_scroll()

        # the station revokes it; the same page now says so
        staff.goto(f"/certificates/{certificate.number}/")
        form = staff.page.locator("form[data-move=revoke]")
        form.locator("textarea").fill("申请人冒用他人身份")
        with staff.page.expect_navigation():
            form.locator("button[type=submit]").click()
        phone.page.reload()
        assert phone.page.locator("#verdict").get_attribute("data-validity") == "revoked"
        assert certificates().get().verifications.count() == 2
    finally:
        for context in (kiosk_context, staff_context, phone_context):
            context.close()
    for visit in (kiosk, staff, phone):
        assert visit.outside == [] and visit.failed == [] and visit.errors == []


def test_the_kiosk_clears_what_was_typed_when_left_alone(browser, live_server, personas):
    office = Office.objects.create(
        kind="office", code="JWS0002", name="金积第二警务室", unit=personas.territory.district_b
    )
    Kiosk.objects.create(office=office, code="K0002")
    context, kiosk = _open(browser, live_server, KIOSK)
    try:
        page = kiosk.page
        page.clock.install()
        kiosk.goto("/kiosk/K0002/certificate/")
        page.fill("#id_name", "李某")
        page.fill("#id_id_number", ID_NUMBER)
        # a minute and a half untouched: a warning, then back to the start, nothing typed kept
        page.clock.run_for(80_000)
        assert page.locator("#kiosk-idle").is_visible()
        with page.expect_navigation():
            page.clock.run_for(15_000)
        assert page.url == kiosk.url("/kiosk/K0002/")
        # the filled page was replaced in the history: going back does not bring it again
        page.go_back()
        assert page.url != kiosk.url("/kiosk/K0002/certificate/")
    finally:
        context.close()
    assert kiosk.outside == [] and kiosk.failed == [] and kiosk.errors == []
