"""The agreement PDF is really generated, and read back: the text, the QR code, the link."""

import datetime as dt
import io

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from fengqiao.core.models import AuditEntry
from fengqiao.disputes import actions
from fengqiao.disputes.models import Agreement
from tests.disputes.test_workflow import mediate_to_agreement

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreed(register, personas):
    return mediate_to_agreement(register(), personas.officer)


def read(pdf: bytes):
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    text = "".join(p.extract_text() for p in reader.pages)
    codes = [
        code.text
        for image in page.images
        for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    ]
    links = [a.get_object()["/A"]["/URI"] for a in page.get("/Annots", [])]
    return text, codes, links


def test_the_pdf_says_what_the_law_requires_and_its_qr_code_opens_the_check(agreed, personas, client):
    # given
    agreement = agreed.agreement
    # when
    pdf = actions.agreement_document(agreed, actor=personas.officer, base_url="http://testserver/")
    # then
    assert pdf.startswith(b"%PDF")
    text, codes, links = read(pdf)
    for needed in (
        "人民调解协议书",
        agreement.serial,
        "甲某",
        "乙某",
        "院墙",
        "拆除越界部分院墙",
        "自行拆除",
        "申请人（签名）",
        "人民调解员（签名）",
        agreement.content_hash[:16],
    ):
        assert needed in text, needed
    assert agreement.perform_by.strftime("%Y年%m月%d日") in text
    url = f"http://testserver/verify/agreement/{agreement.serial}/{actions.verification_check(agreement)}/"
    assert codes == [url]
    assert url in links
    # the officer sees whole ID numbers, and printing is audited
    assert "11010519491231002X" in text
    assert AuditEntry.objects.filter(action="dispute_agreement_pdf", object_id=str(agreed.pk)).count() == 1
    # and the link really opens the check, which names nothing personal
    page = client.get(url.removeprefix("http://testserver"))
    body = page.content.decode()
    assert page.status_code == 200
    assert agreement.serial in body and agreement.content_hash[:16] in body
    assert "甲某" not in body and "11010519491231002X" not in body


def test_a_grid_worker_prints_masked_id_numbers(register, personas):
    dispute = mediate_to_agreement(register(mediators=[personas.grid_a]), personas.officer)
    text, _codes, _links = read(
        actions.agreement_document(dispute, actor=personas.grid_a, base_url="http://x/")
    )
    assert "11010519491231002X" not in text
    assert "1101************2X" in text


def test_a_forged_or_altered_link_is_not_verified(agreed, client):
    agreement = agreed.agreement
    good = actions.verification_check(agreement)
    assert client.get(f"/verify/agreement/{agreement.serial}/{'0' * len(good)}/").status_code == 404
    assert client.get(f"/verify/agreement/NOPE/{good}/").status_code == 404
    # the check covers the content: a changed agreement no longer matches the old link
    Agreement.objects.filter(pk=agreement.pk).update(content_hash="f" * 64)
    assert client.get(f"/verify/agreement/{agreement.serial}/{good}/").status_code == 404


def test_serials_are_unique_per_county_and_day(register, personas):
    a = mediate_to_agreement(register(), personas.officer).agreement
    b = mediate_to_agreement(register(respondent="640302199001011238"), personas.officer).agreement
    day = timezone.localdate()
    assert a.serial == f"TJXY-640302-{day:%Y%m%d}-0001"
    assert b.serial == f"TJXY-640302-{day:%Y%m%d}-0002"
    assert a.perform_by == day + dt.timedelta(days=10)
