"""The mediation agreement as a PDF (reportlab), in Chinese with the CID font STSong-Light that
every PDF reader has (no font file needed): the parties, the facts and points in dispute, the
agreed terms with how and by when they are performed, places for the parties' and the mediator's
signatures, the serial number, the fingerprint of the content, and a QR code (segno) that opens
the public verification page.

ID numbers are printed as the requesting user may see them (masked for a grid worker); the view
that serves the file writes the audit entry.
"""

import io
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from fengqiao.disputes.choices import AgreementForm, PartyRole

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = ParagraphStyle(
    "title", fontName=FONT, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=4 * mm
)
HEAD = ParagraphStyle("head", fontName=FONT, fontSize=12, leading=18, spaceBefore=3 * mm, spaceAfter=1 * mm)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
SMALL = ParagraphStyle(
    "small", fontName=FONT, fontSize=8.5, leading=12, wordWrap="CJK", textColor=colors.grey
)


def _p(text: str, style=BODY) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


def agreement_pdf(
    dispute, agreement, *, verify_url: str, unit_name: str, shown_id=lambda value: value
) -> bytes:
    """The agreement as PDF bytes. ``shown_id`` masks an ID number as the reader may see it."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"人民调解协议书 {agreement.serial}",
        author=unit_name,
    )
    story = [_p("人民调解协议书", TITLE)]
    qr = Image(io.BytesIO(qr_png(verify_url)), width=28 * mm, height=28 * mm)
    meta = Table(
        [
            [
                _p(
                    f"编号：{agreement.serial}\n案号：{dispute.number}\n调解组织：{unit_name}\n"
                    f"协议形式：{'书面' if agreement.form == AgreementForm.WRITTEN else '口头'}"
                ),
                qr,
            ]
        ],
        colWidths=[130 * mm, 40 * mm],
    )
    meta.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
    story.append(meta)

    story.append(_p("当事人", HEAD))
    rows = [[_p("身份"), _p("姓名"), _p("公民身份号码"), _p("联系电话"), _p("住址")]]
    for party in dispute.parties.order_by("role", "id"):
        role = "申请人" if party.role == PartyRole.APPLICANT else "被申请人"
        rows.append(
            [
                _p(role),
                _p(party.name),
                _p(shown_id(party.id_number) if party.id_number else "—"),
                _p(party.phone or "—"),
                _p(party.address or "—"),
            ]
        )
    parties = Table(rows, colWidths=[20 * mm, 22 * mm, 45 * mm, 30 * mm, 53 * mm], repeatRows=1)
    parties.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
    )
    story.append(parties)

    story += [
        _p("纠纷主要事实", HEAD),
        _p(dispute.facts),
        _p("争议事项", HEAD),
        _p(dispute.points),
        _p("经调解，双方当事人自愿达成如下协议", HEAD),
        _p(agreement.terms),
        _p("履行方式", HEAD),
        _p(agreement.performance_method),
        _p("履行期限", HEAD),
        _p(f"{agreement.perform_by:%Y年%m月%d日}前履行完毕。"),
        Spacer(1, 3 * mm),
        _p(
            "本协议自各方当事人签名（盖章或按指印）、人民调解员签名并加盖调解组织印章之日起生效。"
            "当事人应当按照约定履行。双方当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。"
        ),
        Spacer(1, 8 * mm),
    ]
    signatures = Table(
        [
            [_p("申请人（签名）："), _p("被申请人（签名）：")],
            [_p(""), _p("")],
            [_p("人民调解员（签名）："), _p("调解组织（盖章）：")],
            [_p(""), _p("")],
            [_p(f"日期：{agreement.signed_on:%Y年%m月%d日}"), _p("")],
        ],
        colWidths=[85 * mm, 85 * mm],
        rowHeights=[8 * mm, 14 * mm, 8 * mm, 14 * mm, 8 * mm],
    )
    story.append(signatures)
    story += [
        Spacer(1, 6 * mm),
        _p(f"核验：扫描二维码或访问 {verify_url}\n内容指纹：{agreement.content_hash[:16]}", SMALL),
    ]

    def link_qr(canvas, doc_):
        # The QR code's area is also a link, for whoever reads the file on a screen.
        canvas.saveState()
        x, y = doc_.leftMargin + 130 * mm + 12 * mm, A4[1] - doc_.topMargin - 30 * mm - 28 * mm
        canvas.linkURL(verify_url, (x, y, x + 28 * mm, y + 28 * mm), relative=0)
        canvas.restoreState()

    doc.build(story, onFirstPage=link_qr)
    return out.getvalue()
