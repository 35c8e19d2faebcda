"""The agreement PDF is really generated, and read back: the text, the QR code, the link."""

import datetime as dt
import io

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from fengqiao.core.models import AuditEntry
from fengqiao.disputes import actions
from fengqiao.disputes.models import Agreement
from fengqiao.disputes.pdf import FONT, agreement_pdf, break_lines, fonts
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
    # and masked phones: the paper is theirs to print, not a way round the mask
    assert "13912345678" not in text
    assert "139****5678" in text


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


# ---------------------------------------------------------------------------------------------
# each kind of mediation has its own document, naming the organisation that made it

JUDICIAL_SENTENCE = "可以自本协议生效之日起三十日内共同向人民法院申请司法确认"


def agreed_as(register, personas, kind, **extra):
    return mediate_to_agreement(register(kind=kind, **extra), personas.officer)


def pdf_of(dispute, personas):
    return actions.agreement_document(dispute, actor=personas.officer, base_url="http://testserver/")


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def fonts_of(pdf: bytes) -> list:
    """Every font the pages use, with the descriptor that says whether it is embedded."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "/DescendantFonts" in font:
                font = font["/DescendantFonts"][0].get_object()
            found.append(font)
    return found


@pytest.mark.parametrize(
    ("kind", "title", "organisations", "absent"),
    [
        ("people", "人民调解协议书", ["调解组织：金积村人民调解委员会"], ["派出所", "治安管理处罚法"]),
        (
            "joint",
            "人民调解协议书",
            ["调解组织：金积村人民调解委员会", "联动单位：吴忠市公安局利通区分局金积派出所（警调联动）"],
            ["治安管理处罚法"],
        ),
        (
            "public_order",
            "治安调解协议书",
            ["调解机关：吴忠市公安局利通区分局金积派出所", "《中华人民共和国治安管理处罚法》第九条"],
            ["人民调解委员会", "人民调解协议书", "司法确认"],
        ),
    ],
)
def test_each_kind_has_its_document_naming_its_organisation(
    register, personas, kind, title, organisations, absent
):
    # given
    dispute = agreed_as(register, personas, kind)
    # when
    pdf = pdf_of(dispute, personas)
    # then
    text = "".join(page_texts(pdf)).replace("\n", "")
    assert text.startswith(title)
    assert PdfReader(io.BytesIO(pdf)).metadata.title == f"{title} {dispute.agreement.serial}"
    for needed in organisations:
        assert needed in text, needed
    for wrong in absent:
        assert wrong not in text, wrong
    # the 30 days of judicial confirmation (人民调解法 art. 33) only where the law gives them
    assert (JUDICIAL_SENTENCE in text) == (kind != "public_order")
    if kind == "public_order":
        assert "公安机关将依照《中华人民共和国治安管理处罚法》对违反治安管理行为人依法处罚" in text
        assert "甲方当事人（签名）" in text and "公安机关（印章）" in text
    else:
        assert "人民调解法》第三十三条" in text and "人民调解委员会（印章）" in text


def test_the_font_is_embedded_not_left_to_the_reader(agreed, personas):
    pdf = pdf_of(agreed, personas)
    fonts = fonts_of(pdf)
    assert fonts
    for font in fonts:
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
        assert "NotoSerifSC" in font["/BaseFont"]
    assert b"STSong" not in pdf


CLOSING = "，。、；：？！）」』》〉】〕］｝”’"
OPENING = "（「『《〈【〔［｛“‘"


def test_no_line_starts_with_closing_punctuation(register, personas):
    # given facts whose semicolons fall at every place of a line
    facts = "".join("甲" * n + "；" for n in range(1, 45)) + "（乙）" * 30
    dispute = agreed_as(register, personas, "people", facts=facts)
    # when
    lines = [line.strip() for text in page_texts(pdf_of(dispute, personas)) for line in text.split("\n")]
    # then
    body = [line for line in lines if line and line[0] in "甲；（乙）"]
    assert len(body) > 20  # the facts really run over many lines
    assert [line for line in lines if line and line[0] in CLOSING] == []
    assert [line for line in lines if line and line[-1] in OPENING] == []


def test_the_date_and_signatures_stay_on_the_page_with_the_end_of_the_text(register, personas):
    dispute = agreed_as(register, personas, "people")
    agreement = dispute.agreement
    date = f"日期：{agreement.signed_on:%Y年%m月%d日}"
    # facts of every length over one page, a line (about 43 characters) at a time
    for lines in range(20, 56, 1):
        dispute.facts = "事" * (43 * lines)
        pdf = agreement_pdf(
            dispute,
            agreement,
            verify_url="http://x/",
            organisations=actions.organisations(dispute),
        )
        texts = [t.replace("\n", "") for t in page_texts(pdf)]
        [page] = [n for n, t in enumerate(texts) if date in t]
        assert "申请人（签名）" in texts[page] and "人民调解员（签名）" in texts[page], lines
        assert "三十三条）。" in texts[page], lines
        assert "前履行完毕。" in texts[page], lines


def test_break_lines_follows_the_chinese_rules():
    fonts()
    # six characters fit a line; the seventh, a closing mark, cannot start the next
    width = pdfmetrics.stringWidth("甲" * 6, FONT, 10)
    assert break_lines("甲乙丙丁戊己；庚辛", width, FONT, 10) == ["甲乙丙丁戊", "己；庚辛"]
    # nor two closing marks
    assert break_lines("甲乙丙丁戊己）。庚", width, FONT, 10) == ["甲乙丙丁戊", "己）。庚"]
    # an opening mark does not end a line
    assert break_lines("甲乙丙丁戊《己》", width, FONT, 10) == ["甲乙丙丁戊", "《己》"]
    # a number is not cut
    assert break_lines("甲乙丙丁20261206", width, FONT, 10)[0] == "甲乙丙丁"
    # line feeds are kept, and a line with no place to break breaks where it is full
    assert break_lines("甲\n\n乙", width, FONT, 10) == ["甲", "", "乙"]
    assert break_lines("；" * 8, width, FONT, 10) == ["；" * 6, "；；"]
