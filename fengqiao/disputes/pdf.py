"""The mediation agreement as a PDF (reportlab): 人民调解协议书 for people's and joint mediation,
治安调解协议书 for public-order mediation, each naming the organisation that made it; the parties,
the facts and points in dispute, the agreed terms with how and by when they are performed, what
follows from the agreement under its law, places for the signatures and seals, the serial number,
the fingerprint of the content, and a QR code (segno) that opens the public verification page.

The text is set in Noto Serif SC (SIL Open Font License), from the npm package
``@expo-google-fonts/noto-serif-sc`` that ``make install`` brings (package.json); reportlab embeds
the subset of the glyphs used, so the file reads the same on any reader. Lines are broken by the
Chinese rules (:func:`break_lines`), and the closing paragraph, the signatures and the date stay
on one page.

ID numbers are printed as the requesting user may see them (masked for a grid worker); the view
that serves the file writes the audit entry.
"""

import functools
import io
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from fengqiao.disputes.choices import AgreementForm, MediationKind, PartyRole

FONT_PACKAGE = "@expo-google-fonts/noto-serif-sc"
FONT_FILES = {
    "NotoSerifSC": "400Regular/NotoSerifSC_400Regular.ttf",
    "NotoSerifSC-Bold": "700Bold/NotoSerifSC_700Bold.ttf",
}
FONT, BOLD = "NotoSerifSC", "NotoSerifSC-Bold"

# Chinese line breaking (禁则, after GB/T 15834 and W3C's clreq): no line starts with closing
# punctuation, no line ends with opening punctuation, and a run of Latin letters and digits (a
# date, a serial number) is not cut.
CLOSING = "，。、；：？！）」』》〉】〕］｝”’…·％‰,.;:?!)]}%"
OPENING = "（「『《〈【〔［｛“‘([{"


@functools.cache
def fonts() -> tuple[str, str]:
    """Register the fonts once per process, from the npm package."""
    folder = Path(settings.NODE_MODULES) / FONT_PACKAGE
    for name, file in FONT_FILES.items():
        path = folder / file
        if not path.is_file():
            raise ImproperlyConfigured(
                f"The agreement's font {path} is missing: `make install` (npm ci) installs {FONT_PACKAGE}."
            )
        pdfmetrics.registerFont(TTFont(name, str(path)))
    return FONT, BOLD


def _word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def may_break(text: str, at: int) -> bool:
    """May a line end between ``text[at - 1]`` and ``text[at]``?"""
    before, after = text[at - 1], text[at]
    return not (after in CLOSING or before in OPENING or (_word(before) and _word(after)))


def break_lines(text: str, width: float, font: str, size: float) -> list[str]:
    """The lines ``text`` takes in ``width`` points of ``font`` at ``size``: as many characters as
    fit, then back to the nearest place the rules allow a break (where no such place is left on
    the line, it breaks where the line is full). Line feeds are kept."""
    lines = []
    for paragraph in str(text or "").split("\n"):
        widths = [pdfmetrics.stringWidth(ch, font, size) for ch in paragraph]
        start, n = 0, len(paragraph)
        if not n:
            lines.append("")
        while start < n:
            used, end = 0.0, start
            while end < n and used + widths[end] <= width + 1e-6:
                used += widths[end]
                end += 1
            end = max(end, start + 1)  # a character wider than the line still takes one
            if end >= n:
                lines.append(paragraph[start:])
                break
            cut = end
            while cut > start + 1 and not may_break(paragraph, cut):
                cut -= 1
            if not may_break(paragraph, cut):
                cut = end
            lines.append(paragraph[start:cut])
            start = cut
            while start < n and paragraph[start] == " ":
                start += 1
    return lines


class Text(Flowable):
    """A paragraph of plain text, its lines broken by :func:`break_lines` for the width it gets."""

    def __init__(self, text, style: ParagraphStyle):
        super().__init__()
        self.text, self.style = str(text or ""), style
        self._para, self._for = None, None

    def _paragraph(self, width: float) -> Paragraph:
        if self._para is None or self._for != width:
            inner = width - self.style.leftIndent - self.style.rightIndent
            lines = break_lines(self.text, inner, self.style.fontName, self.style.fontSize)
            self._para = Paragraph("<br/>".join(escape(line) for line in lines), self.style)
            self._for = width
        return self._para

    def wrap(self, availWidth, availHeight):
        self.width, self.height = self._paragraph(availWidth).wrap(availWidth, availHeight)
        return self.width, self.height

    def split(self, availWidth, availHeight):
        return self._paragraph(availWidth).split(availWidth, availHeight)

    def draw(self):
        self._para.drawOn(self.canv, 0, 0)

    def getSpaceBefore(self):
        return self.style.spaceBefore

    def getSpaceAfter(self):
        return self.style.spaceAfter


def _styles():
    regular, bold = fonts()
    return {
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=4 * mm
        ),
        "head": ParagraphStyle(
            "head", fontName=bold, fontSize=12, leading=18, spaceBefore=3 * mm, spaceAfter=1 * mm
        ),
        "body": ParagraphStyle("body", fontName=regular, fontSize=11, leading=18),
        "small": ParagraphStyle("small", fontName=regular, fontSize=8.5, leading=12, textColor=colors.grey),
    }


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


# What each kind's document says: its title, who made it, the parties' names for their roles,
# the law it cites, what follows from it, and who signs and seals it.
PEOPLE_EFFECT = (
    "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效，"
    "具有法律约束力，当事人应当按照约定履行。"
)
JUDICIAL = (
    "双方当事人认为有必要的，可以自本协议生效之日起三十日内共同向人民法院申请司法确认"
    "（《中华人民共和国人民调解法》第三十三条）。"
)
PUBLIC_ORDER_BASIS = (
    "根据《中华人民共和国治安管理处罚法》第九条的规定，经公安机关主持调解，双方当事人自愿达成如下协议"
)
PUBLIC_ORDER_EFFECT = (
    "本协议自双方当事人签名或者按指印、调解民警签名并加盖公安机关印章之日起生效。"
    "经调解达成协议并履行的，公安机关对违反治安管理行为人不予处罚；"
    "当事人不履行本协议的，公安机关将依照《中华人民共和国治安管理处罚法》对违反治安管理行为人依法处罚，"
    "当事人可以就民事争议依法向人民法院提起民事诉讼。"
)


def _document(kind: str, organisations) -> dict:
    if kind == MediationKind.PUBLIC_ORDER:
        return {
            "title": "治安调解协议书",
            "bodies": [f"调解机关：{organisations.station}"],
            "roles": {PartyRole.APPLICANT: "甲方当事人", PartyRole.RESPONDENT: "乙方当事人"},
            "agreed": PUBLIC_ORDER_BASIS,
            "closing": [PUBLIC_ORDER_EFFECT],
            "signatures": [("调解民警（签名）：", "公安机关（印章）：")],
            "author": organisations.station,
        }
    bodies = [f"调解组织：{organisations.committee}"]
    signatures = [("人民调解员（签名）：", "人民调解委员会（印章）：")]
    if kind == MediationKind.JOINT:
        bodies.append(f"联动单位：{organisations.station}（警调联动）")
        signatures.append(("参与调解民警（签名）：", "公安派出所（印章）："))
    return {
        "title": "人民调解协议书",
        "bodies": bodies,
        "roles": {PartyRole.APPLICANT: "申请人", PartyRole.RESPONDENT: "被申请人"},
        "agreed": "经人民调解委员会主持调解，双方当事人自愿达成如下协议",
        "closing": [PEOPLE_EFFECT + JUDICIAL],
        "signatures": signatures,
        "author": organisations.committee,
    }


def agreement_pdf(
    dispute,
    agreement,
    *,
    verify_url: str,
    organisations,
    shown_id=lambda value: value,
    shown_phone=lambda value: value,
) -> bytes:
    """The agreement as PDF bytes. ``organisations`` (``actions.organisations``) names who made
    it; ``shown_id`` and ``shown_phone`` mask a number as the reader may see it."""
    style = _styles()
    body, head = style["body"], style["head"]
    doc_text = _document(dispute.kind, organisations)
    roles = doc_text["roles"]
    # A table's own font (Helvetica unless told) would be named on the page without being embedded.
    cells_font = [("FONTNAME", (0, 0), (-1, -1), body.fontName)]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{doc_text['title']} {agreement.serial}",
        author=doc_text["author"],
        initialFontName=body.fontName,  # else the page names Helvetica, a font it does not embed
    )
    story: list[Flowable] = [Text(doc_text["title"], style["title"])]
    qr = Image(io.BytesIO(qr_png(verify_url)), width=28 * mm, height=28 * mm)
    meta = "\n".join(
        [
            f"编号：{agreement.serial}",
            f"案号：{dispute.number}",
            *doc_text["bodies"],
            f"协议形式：{'书面' if agreement.form == AgreementForm.WRITTEN else '口头'}",
        ]
    )
    table = Table([[Text(meta, body), qr]], colWidths=[130 * mm, 40 * mm])
    table.setStyle(
        TableStyle([*cells_font, ("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT")])
    )
    story.append(table)

    story.append(Text("当事人", head))
    rows = [[Text(h, body) for h in ("身份", "姓名", "公民身份号码", "联系电话", "住址")]]
    for party in dispute.parties.order_by("role", "id"):
        rows.append(
            [
                Text(roles[party.role], body),
                Text(party.name, body),
                Text(shown_id(party.id_number) if party.id_number else "—", body),
                Text(shown_phone(party.phone) if party.phone else "—", body),
                Text(party.address or "—", body),
            ]
        )
    parties = Table(rows, colWidths=[24 * mm, 22 * mm, 45 * mm, 28 * mm, 51 * mm], repeatRows=1)
    parties.setStyle(
        TableStyle(
            [
                *cells_font,
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story.append(parties)

    story += [
        Text("纠纷主要事实", head),
        Text(dispute.facts, body),
        Text("争议事项", head),
        Text(dispute.points, body),
        Text(doc_text["agreed"], head),
        Text(agreement.terms, body),
        Text("履行方式", head),
        Text(agreement.performance_method, body),
    ]
    # The end of the text, the signatures and the date stay on one page: a signature page with
    # nothing of the agreement on it could be put under another text.
    signature_rows = [(f"{roles[PartyRole.APPLICANT]}（签名）：", f"{roles[PartyRole.RESPONDENT]}（签名）：")]
    signature_rows += doc_text["signatures"]
    cells, heights = [], []
    for left, right in signature_rows:
        cells += [[Text(left, body), Text(right, body)], ["", ""]]
        heights += [8 * mm, 14 * mm]
    cells.append([Text(f"日期：{agreement.signed_on:%Y年%m月%d日}", body), ""])
    heights.append(8 * mm)
    signatures = Table(cells, colWidths=[85 * mm, 85 * mm], rowHeights=heights)
    signatures.setStyle(TableStyle(cells_font))
    story.append(
        KeepTogether(
            [
                Text("履行期限", head),
                Text(f"{agreement.perform_by:%Y年%m月%d日}前履行完毕。", body),
                Spacer(1, 3 * mm),
                *(Text(text, body) for text in doc_text["closing"]),
                Spacer(1, 8 * mm),
                signatures,
            ]
        )
    )
    story += [
        Spacer(1, 6 * mm),
        Text(f"核验：扫描二维码或访问 {verify_url}\n内容指纹：{agreement.content_hash[:16]}", style["small"]),
    ]

    def link_qr(canvas, doc_):
        # The QR code's area is also a link, for whoever reads the file on a screen.
        canvas.saveState()
        x, y = doc_.leftMargin + 130 * mm + 12 * mm, A4[1] - doc_.topMargin - 30 * mm - 28 * mm
        canvas.linkURL(verify_url, (x, y, x + 28 * mm, y + 28 * mm), relative=0)
        canvas.restoreState()

    doc.build(story, onFirstPage=link_qr)
    return out.getvalue()
