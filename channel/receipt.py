"""The walk-in receipt (受理回执): reference, query code, a QR code to the progress page, and the date by which
acceptance will be decided, as an A4 PDF (ReportLab with the TrueType WenQuanYi Zen Hei font, Debian package
fonts-wqy-zenhei) and as a printable HTML page with the same QR code as inline SVG.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

from reportlab.graphics import renderSVG
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from complaints.errors import ServiceUnavailable

FONT_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),
)
FONT_NAME = "WenQuanYiZenHei"


class FontMissing(ServiceUnavailable):
    code = "cjk_font_missing"
    message = "服务器缺少中文字体（请安装 fonts-wqy-zenhei），暂无法生成PDF回执"


@dataclass(frozen=True)
class Receipt:
    center_name: str
    reference: str
    query_code: str
    submitted_on: date
    acceptance_decided_by: date | None
    progress_url: str


def progress_url(public_base_url: str, reference: str, query_code: str) -> str:
    """The code travels in the URL fragment, which browsers never send to the server."""
    return f"{public_base_url.rstrip('/')}/progress?ref={quote(reference)}#code={quote(query_code)}"


def qr_drawing(data: str, size: float) -> Drawing:
    widget = QrCodeWidget(data, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def qr_svg(data: str) -> str:
    svg: str = renderSVG.drawToString(qr_drawing(data, 150))
    return svg[svg.index("<svg") :]


def receipt_lines(receipt: Receipt) -> list[tuple[str, str]]:
    decided = f"{receipt.acceptance_decided_by:%Y年%m月%d日}" if receipt.acceptance_decided_by else "十五日内"
    return [
        ("受理编号", receipt.reference),
        ("查询码", receipt.query_code),
        ("登记日期", f"{receipt.submitted_on:%Y年%m月%d日}"),
        ("受理告知", f"本中心将于{decided}前告知是否受理"),
    ]


def render_pdf(receipt: Receipt) -> bytes:
    register_cjk_font()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    page.setTitle(f"受理回执 {receipt.reference}")
    page.setFont(FONT_NAME, 22)
    page.drawCentredString(width / 2, height - 30 * mm, receipt.center_name)
    page.setFont(FONT_NAME, 18)
    page.drawCentredString(width / 2, height - 42 * mm, "受 理 回 执")
    y = height - 62 * mm
    for label, value in receipt_lines(receipt):
        page.setFont(FONT_NAME, 13)
        page.drawString(25 * mm, y, f"{label}：")
        page.setFont(FONT_NAME, 15 if label == "查询码" else 13)
        page.drawString(55 * mm, y, value)
        y -= 11 * mm
    qr = qr_drawing(receipt.progress_url, 55 * mm)
    qr.drawOn(page, width / 2 - 27.5 * mm, y - 62 * mm)
    page.setFont(FONT_NAME, 11)
    y -= 72 * mm
    for line in (
        "请妥善保管本回执。凭受理编号和查询码可随时查询办理进度（微信扫描上方二维码）。",
        "查询码是查询案件的唯一凭证，请勿告知他人；遗失可持有效证件到本中心重新打印，原查询码随即作废。",
        "本中心依法对您的身份和反映事项保密，不向被投诉单位透露。",
    ):
        page.drawString(20 * mm, y, line)
        y -= 7 * mm
    page.showPage()
    page.save()
    return buffer.getvalue()


def register_cjk_font() -> None:
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return
    for path in FONT_PATHS:
        if path.exists():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            return
    raise FontMissing()


def receipt_page(receipt: Receipt) -> str:
    """The printable HTML receipt (A4), with the QR code inline."""
    from flask import render_template
    from markupsafe import Markup

    return render_template(
        "documents/receipt.html",
        receipt=receipt,
        lines=receipt_lines(receipt),
        qr=Markup(qr_svg(receipt.progress_url)),  # noqa: S704 (an SVG we generate from our own URL)
    )
