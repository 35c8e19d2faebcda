"""The ledger in a real Chromium: the officer files the month's screening return, registers the
dispute screening found, starts mediating, types the session minutes on a phone, records the
agreement, prints it (a real PDF whose QR code opens the verification page), records it resolved,
and after a follow-up visit archives it."""

import io

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from fengqiao.disputes.models import Dispute, ScreeningReturn
from tests.fixtures.disputes import APPLICANT_ID, RESPONDENT_ID

pytestmark = pytest.mark.browser


def ledger():
    return Dispute.objects.unscoped(reason="test: what the pages wrote")


def done_serial():
    return ledger().get().agreement.serial


def take_step(page, name, note=None):
    step = page.locator(f"#step-{name}")
    if step.get_attribute("open") is None:
        step.locator("summary").click()
    if note is not None:
        step.locator("textarea[name=note]").fill(note)
    with page.expect_navigation():
        step.locator("button[type=submit]").click()


def test_from_screening_to_agreement_pdf_to_follow_up(visit, phone, personas):
    page = visit.page
    visit.login("officer_a")
    # the month's screening return
    visit.goto("/disputes/screening/")
    page.fill("#id_found", "1")
    with page.expect_navigation():
        page.locator("#screening-form button[type=submit]").click()
    assert ScreeningReturn.objects.unscoped(reason="test").get().found == 1
    # register what screening found
    visit.goto("/disputes/new/")
    page.fill("#id_title", "宅基地边界争执")
    page.select_option("#id_grid", str(personas.territory.grid_a.pk))
    page.select_option("#id_grade", "orange")
    page.select_option("#id_kind", "joint")  # 警调联动: the village committee with the station
    page.fill("#id_parties-0-name", "甲某")
    page.fill("#id_parties-0-id_number", APPLICANT_ID)
    page.fill("#id_parties-1-name", "乙某")
    page.fill("#id_parties-1-id_number", RESPONDENT_ID)
    page.fill("#id_facts", "两户因院墙位置发生争执。")
    page.fill("#id_points", "院墙是否越界。")
    page.fill("#id_amount", "2000")
    with page.expect_navigation():
        page.locator("#register-form button[type=submit]").click()
    dispute = ledger().get()
    assert page.url.endswith(f"/disputes/{dispute.number}/")
    assert "1101************2X" in page.content()
    take_step(page, "start")
    assert ledger().get().status == "mediating"

    # the session minutes, typed on a phone
    phone.login("officer_a")
    phone.goto(f"/disputes/{dispute.number}/")
    with phone.page.expect_navigation():
        phone.page.locator("a[href$='/sessions/new/']").click()
    assert phone.no_horizontal_scroll()
    assert phone.page.locator("#id_held_on").get_attribute("type") == "date"
    phone.page.fill("#id_place", "金积村调解室")
    phone.page.fill("#id_participants", "王五（民警）、张三（网格员）、村支书")
    phone.page.fill("#id_minutes", "双方同意以现状院墙为界，乙方拆除越界部分。")
    assert phone.page.locator("#id_minutes").bounding_box()["width"] <= 375
    with phone.page.expect_navigation():
        phone.page.locator("form.form button[type=submit]").click()
    assert "金积村调解室" in phone.page.content()

    # the agreement, printed
    visit.goto(f"/disputes/{dispute.number}/agreement/")
    page.fill("#id_terms", "乙方于十日内拆除越界院墙。")
    page.fill("#id_performance_method", "乙方自行拆除，甲方配合。")
    page.fill("#id_perform_by", f"{timezone.localdate():%Y-%m-%d}")
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    take_step(page, "resolve")
    assert ledger().get().outcome == "resolved"
    response = page.request.get(visit.url(f"/disputes/{dispute.number}/agreement.pdf"))
    pdf = response.body()
    assert response.headers["content-type"] == "application/pdf" and pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    first = reader.pages[0].extract_text()
    assert "人民调解协议书" in first
    assert "金积村人民调解委员会" in first and "金积派出所" in first
    [qr] = [
        code.text
        for image in reader.pages[0].images
        for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    ]
    assert qr.startswith(visit.base_url + "/verify/agreement/")
    # anyone can open the QR code's page: genuine, nothing personal
    stranger = page.context.browser.new_context()
    check = stranger.new_page()
    check.goto(qr)
    assert check.locator("#verification .badge.ok").count() == 1
    assert check.locator("#serial").inner_text() == done_serial()
    assert "甲某" not in check.content()
    stranger.close()

    # the follow-up visit, then the archive
    visit.goto(f"/disputes/{dispute.number}/")
    page.select_option("#step-follow_up select[name=performance]", "performed")
    take_step(page, "follow_up", note="回访：院墙已拆除，双方无新矛盾。")
    assert "回访：院墙已拆除" in page.locator("#follow-ups").inner_text()
    take_step(page, "archive")
    done = ledger().get()
    assert done.status == "archived" and done.agreement.performance == "performed"
    assert page.locator("#status").inner_text().strip() in ("archived", "已归档")
