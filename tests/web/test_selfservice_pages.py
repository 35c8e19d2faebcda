"""The self-service pages as residents, verifiers and staff use them: applying on the portal with
the SMS code (a local gateway), following the application by number and phone digits, asking
for a review, the documents, the verification page, the kiosk, and the staff's decision with its
audited read."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from fengqiao.core.models import AuditEntry
from fengqiao.selfservice import actions
from fengqiao.selfservice.choices import Status
from fengqiao.selfservice.models import Certificate, Kiosk, Office
from tests.selfservice import conftest as fixtures
from tests.selfservice.conftest import ID_A, PHONE, last_code

# The self-service fixtures (a local SMS gateway, applying as a resident), shared with tests/selfservice.
gateway, applied = fixtures.gateway, fixtures.applied

pytestmark = pytest.mark.django_db


def everything():
    return Certificate.objects.unscoped(reason="test: what the pages did")


def form(territory, **extra):
    return {
        "name": "马小明",
        "id_number": ID_A,
        "phone": PHONE,
        "purpose": "employment",
        "purpose_detail": "",
        "station": territory.station.pk,
        **extra,
    }


def test_a_resident_applies_on_the_portal_with_the_code_from_the_sms(
    client, territory, gateway, django_capture_on_commit_callbacks
):
    # when they ask for a code, what they typed stays in the form and the code goes by SMS
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/certificates/apply/", form(territory, send_code="1"))
    assert response.status_code == 200 and "code-sent" in response.content.decode()
    assert 'value="马小明"' in response.content.decode()
    code = last_code(gateway)
    # a wrong code is named on its field and nothing is made
    response = client.post("/certificates/apply/", form(territory, code="000000", submit="1"))
    assert response.status_code == 400 and not everything().exists()
    # with the right one the application is made and its number shown
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/certificates/apply/", form(territory, code=code, submit="1"))
    assert response.status_code == 302
    certificate = everything().get()
    page = client.get(response["Location"]).content.decode()
    assert certificate.number in page
    # the applied page shows the number once: reloading it shows nothing personal
    assert client.get("/certificates/applied/").status_code == 302


def test_bad_input_is_named_in_chinese(client, territory):
    response = client.post("/certificates/apply/", form(territory, id_number="123", phone="1", submit="1"))
    body = response.content.decode()
    assert response.status_code == 400
    assert "身份" in body and "手机" in body or "电话" in body


def test_the_applicant_follows_asks_for_a_review_and_downloads_the_refusal(client, applied, personas):
    certificate = applied()
    certificate = actions.move(
        certificate, "refuse", actor=personas.station, version=certificate.version, note="材料不符"
    )
    digits = {"number": certificate.number, "phone_digits": PHONE[-4:]}
    # wrong digits: the same answer as a wrong number
    assert client.post("/certificates/track/", {**digits, "phone_digits": "0000"}).status_code == 404
    page = client.post("/certificates/track/", digits)
    body = page.content.decode()
    assert page.status_code == 200 and "材料不符" in body and "马*" in body and ID_A not in body
    # the refusal notice
    pdf = client.post("/certificates/track/document.pdf", digits)
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "不予出具" in text and "材料不符" in text
    # the review goes up
    response = client.post("/certificates/track/review/", {**digits, "note": "请复查"})
    assert response.status_code == 200
    assert everything().get().status == Status.IN_REVIEW


def test_the_certificate_pdf_names_the_jurisdiction_and_its_qr_opens_the_verification_page(
    client, applied, personas, logged_in
):
    certificate = applied()
    certificate = actions.move(certificate, "issue", actor=personas.station, version=certificate.version)
    pdf = logged_in(personas.station).get(f"/certificates/{certificate.number}/document.pdf")
    reader = PdfReader(io.BytesIO(pdf.content))
    text = reader.pages[0].extract_text().replace("\n", "")
    assert "无犯罪记录证明" in text and certificate.serial in text and certificate.jurisdiction in text
    assert "未发现" in text and "不是对持有人品行的评价" in text
    assert f"/verify/certificate/{certificate.serial}/" in text
    client.logout()
    page = client.get(f"/verify/certificate/{certificate.serial}/").content.decode()
    assert 'data-validity="valid"' in page and "马*" in page and "马小明" not in page


def test_an_unknown_serial_is_404_on_the_verification_page(client, db):
    assert client.get("/verify/certificate/WFZ2026AAAAAAAAAA/").status_code == 404


def test_staff_see_the_register_and_their_read_is_audited_with_its_purpose(applied, personas, logged_in):
    certificate = applied()
    page = logged_in(personas.station).get(f"/certificates/{certificate.number}/").content.decode()
    assert 'id="no-record"' in page and 'data-move="issue"' in page
    entry = AuditEntry.objects.filter(action="certificate_read").get()
    assert entry.after["purpose"] == "certificate decision" and entry.actor == personas.station


def test_staff_issue_on_the_page(applied, personas, logged_in):
    certificate = applied()
    client = logged_in(personas.station)
    response = client.post(
        f"/certificates/{certificate.number}/move/issue/",
        {"issue-version": certificate.version, "issue-note": ""},
    )
    assert response.status_code == 302
    assert everything().get().status == Status.ISSUED
    # the applicant's own step is not a staff door
    response = client.post(f"/certificates/{certificate.number}/move/request_review/", {})
    assert response.status_code == 404


def test_the_kiosk_pages_are_large_private_and_reset(client, territory):
    office = Office.objects.create(kind="office", code="JW001", name="金积警务室", unit=territory.district_a)
    Kiosk.objects.create(office=office, code="K001")
    home = client.get("/kiosk/K001/").content.decode()
    assert 'class="kiosk"' in home and "data-idle-seconds" in home and "kiosk.js" in home
    apply = client.get("/kiosk/K001/certificate/").content.decode()
    assert 'autocomplete="off"' in apply
    # the station is the office's: not asked for
    assert 'type="hidden" name="station"' in apply
    assert client.get("/kiosk/NOPE/").status_code == 404


def test_the_staff_list_is_for_stations_and_above(applied, personas, logged_in):
    certificate = applied()
    assert logged_in(personas.grid_a).get("/certificates/").status_code == 403
    body = logged_in(personas.station).get("/certificates/").content.decode()
    assert certificate.number in body and "马小明" not in body


def test_the_anonymous_doors_are_rate_limited(client, db, settings):
    # the verification page counts with the public reads under /verify/
    settings.ANONYMOUS_READS_PER_MINUTE = 2
    for _ in range(2):
        assert client.get("/verify/certificate/WFZ2026AAAAAAAAAA/").status_code == 404
    assert client.get("/verify/certificate/WFZ2026AAAAAAAAAA/").status_code == 429
    # what is posted here (applications, codes, look-ups) with the reports
    settings.ANONYMOUS_REPORTS_PER_MINUTE = 2
    look_up = {"number": "C-640302-20260101-0001", "phone_digits": "1234"}
    for _ in range(2):
        assert client.post("/certificates/track/", look_up).status_code == 404
    assert client.post("/certificates/track/", look_up).status_code == 429
    assert client.post("/certificates/apply/", {"send_code": "1", "phone": PHONE}).status_code == 429


def test_a_seal_uploaded_in_the_admin_is_reencoded_and_printed(applied, personas, logged_in, territory):
    from fengqiao.selfservice import pdf
    from fengqiao.selfservice.models import Seal

    out = io.BytesIO()
    Image.new("RGB", (120, 120), "red").save(out, "PNG", pnginfo=_with_text())
    upload = SimpleUploadedFile("seal.png", out.getvalue(), content_type="image/png")
    client = logged_in(personas.admin)
    response = client.post("/admin/selfservice/seal/add/", {"station": territory.station.pk, "image": upload})
    assert response.status_code == 302, response.content.decode()[:500]
    stored = Seal.objects.get().image.read()
    assert stored.startswith(b"\x89PNG") and b"secret" not in stored  # the text chunk is gone
    assert pdf.seal_png(territory.station) == stored


def _with_text():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret")
    return info


def test_the_admin_lists_offices_and_the_register_read_only(personas, logged_in, territory):
    Office.objects.create(kind="office", code="JWS0009", name="金积第九警务室", unit=territory.district_a)
    client = logged_in(personas.admin)
    assert "金积第九警务室" in client.get("/admin/selfservice/office/").content.decode()
    assert client.get("/admin/selfservice/criminalrecord/").status_code == 200
    assert client.get("/admin/selfservice/criminalrecord/add/").status_code == 403
    assert client.get("/admin/selfservice/employerauthorisation/add/").status_code == 200
