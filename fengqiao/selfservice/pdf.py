"""The certificate (无犯罪记录证明) and the refusal notice (不予出具无犯罪记录证明通知书) as PDFs
(reportlab), set in the disputes' agreement font (Noto Serif SC, from npm) with its Chinese line
breaking. The certificate names the jurisdiction searched and says no record was found there —
it is not a character reference —, carries the station's seal, its serial and a QR code (segno)
that opens the verification page, which asks the system for the certificate's status: the QR
holds the address alone, no personal data."""

import functools
import io
from pathlib import Path

from django.conf import settings
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, SimpleDocTemplate, Spacer, Table, TableStyle

from fengqiao.disputes.pdf import FONT_FILES, FONT_PACKAGE, Text, fonts, qr_png
from fengqiao.selfservice.models import Seal

SEAL_PX = 360


def _styles():
    regular, bold = fonts()
    return {
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=22, leading=30, alignment=TA_CENTER, spaceAfter=2 * mm
        ),
        "serial": ParagraphStyle("serial", fontName=regular, fontSize=10, leading=14, alignment=TA_RIGHT),
        "body": ParagraphStyle("body", fontName=regular, fontSize=12.5, leading=24, firstLineIndent=25),
        "plain": ParagraphStyle("plain", fontName=regular, fontSize=12.5, leading=24),
        "sign": ParagraphStyle("sign", fontName=regular, fontSize=12.5, leading=22, alignment=TA_RIGHT),
        "small": ParagraphStyle("small", fontName=regular, fontSize=8.5, leading=12, textColor=colors.grey),
    }


@functools.cache
def _seal_font(size: int):
    return ImageFont.truetype(
        str(Path(settings.NODE_MODULES) / FONT_PACKAGE / FONT_FILES["NotoSerifSC-Bold"]), size
    )


def drawn_seal(name: str) -> bytes:
    """A seal drawn for a station that has no image on file: a red ring, a star, the name."""
    image = PILImage.new("RGBA", (SEAL_PX, SEAL_PX), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    red = (200, 16, 32, 230)
    draw.ellipse((8, 8, SEAL_PX - 8, SEAL_PX - 8), outline=red, width=14)
    c, r = SEAL_PX / 2, 52
    import math

    points = [
        (
            c + (r if i % 2 == 0 else r * 0.4) * math.sin(math.pi * i / 5),
            c - 30 - (r if i % 2 == 0 else r * 0.4) * math.cos(math.pi * i / 5),
        )
        for i in range(10)
    ]
    draw.polygon(points, fill=red)
    text = name[:10]
    font = _seal_font(34 if len(text) <= 7 else 26)
    width = draw.textlength(text, font=font)
    draw.text((c - width / 2, c + 50), text, fill=red, font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seal_png(station) -> bytes:
    seal = Seal.objects.filter(station=station).first()
    if seal is not None and seal.image:
        with seal.image.open("rb") as f:
            return f.read()
    return drawn_seal(station.name)


def _document(story, *, qr_url: str | None = None) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=20 * mm,
        initialFontName=_styles()["body"].fontName,  # else the page names Helvetica, unembedded
    )
    doc.build(story)
    return out.getvalue()


def _signature(certificate, style, day) -> Table:
    seal = Image(io.BytesIO(seal_png(certificate.station)), width=38 * mm, height=38 * mm)
    text = Text(f"{certificate.station.name}\n{day:%Y年%m月%d日}", style["sign"])
    table = Table([[text, seal]], colWidths=[110 * mm, 45 * mm])
    table.setStyle(
        TableStyle(
            [("FONTNAME", (0, 0), (-1, -1), style["sign"].fontName), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        )
    )
    return table


def certificate_pdf(certificate, verify_url: str) -> bytes:
    from django.utils import timezone

    s = _styles()
    day = timezone.localdate(certificate.decided_at)
    qr = Image(io.BytesIO(qr_png(verify_url)), width=30 * mm, height=30 * mm)
    detail = f"（{certificate.purpose_detail}）" if certificate.purpose_detail else ""
    story = [
        Text("无犯罪记录证明", s["title"]),
        Text(f"编号：{certificate.serial}", s["serial"]),
        Spacer(1, 8 * mm),
        Text(
            f"经查询{certificate.jurisdiction}掌握的人民法院生效判决信息，截至{day:%Y年%m月%d日}，"
            f"未发现{certificate.applicant_name}（公民身份号码：{certificate.id_number}）有犯罪记录。",
            s["body"],
        ),
        Text(
            "本证明仅说明在上述范围内未查询到生效判决认定的犯罪记录，不是对持有人品行的评价或担保。",
            s["body"],
        ),
        Text(
            f"用途：{certificate.get_purpose_display()}{detail}",
            s["plain"],
        ),
        Text(f"有效期至：{certificate.valid_until:%Y年%m月%d日}", s["plain"]),
        Spacer(1, 12 * mm),
        _signature(certificate, s, day),
        Spacer(1, 10 * mm),
        qr,
        Text(
            f"核验：扫描二维码或访问 {verify_url}\n核验结果以系统查询为准；证明被撤销或过期后不再有效。",
            s["small"],
        ),
    ]
    return _document(story)


def refusal_pdf(certificate) -> bytes:
    from django.utils import timezone

    s = _styles()
    day = timezone.localdate(certificate.decided_at)
    above = certificate.station.parent.name if certificate.station.parent_id else ""
    story = [
        Text("不予出具无犯罪记录证明通知书", s["title"]),
        Text(f"编号：{certificate.number}", s["serial"]),
        Spacer(1, 8 * mm),
        Text(f"{certificate.applicant_name}（公民身份号码：{certificate.id_number}）：", s["plain"]),
        Text(
            f"你于{timezone.localdate(certificate.opened_at):%Y年%m月%d日}申请出具无犯罪记录证明。"
            f"经查询{certificate.jurisdiction}掌握的信息并审查，决定不予出具。理由：{certificate.refusal_reason}",
            s["body"],
        ),
        Text(
            f"如对本决定有异议，可持申请编号{certificate.number}在门户或自助终端申请复查，由{above}复查并答复。"
            if not certificate.reviewed
            else "本决定已经复查，维持不予出具。",
            s["body"],
        ),
        Spacer(1, 12 * mm),
        _signature(certificate, s, day),
    ]
    return _document(story)
