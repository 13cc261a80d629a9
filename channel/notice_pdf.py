"""A notice (风险提示单 · 问题督办单 · 线索移交单) as an A4 PDF with the CJK TrueType font; a clue transfer carries
the case it concerns, as the package the discipline commission receives.

What a notice prints of the case's timeline is what the complainant could read of it: the public events, each with
its note only where the note is written for the complainant. Internal notes (staff remarks, a reply's text, a
phone number typed into a note) stay in the center."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from complaints.cases import Complaint
from complaints.database import DbSession
from complaints.deadlines import Deadline
from complaints.departments import Department
from complaints.notices import Notice, NoticeKind
from complaints.timeline import events_for
from complaints.workdays import china_day

from .receipt import FONT_NAME, register_cjk_font


@dataclass(frozen=True)
class NoticeDocument:
    center_name: str
    title: str
    number: str
    addressee: str
    subject: str
    body: str
    issued_on: date
    reply_by: date | None
    rectify_by: date | None
    case_lines: list[tuple[str, str]]
    timeline: list[str]


def render_notice_pdf(document: NoticeDocument) -> bytes:
    register_cjk_font()
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm, title=f"{document.title} {document.number}"
    )
    heading = ParagraphStyle("heading", fontName=FONT_NAME, fontSize=20, leading=28, alignment=1)
    normal = ParagraphStyle("normal", fontName=FONT_NAME, fontSize=12, leading=20, wordWrap="CJK")
    right = ParagraphStyle("right", parent=normal, alignment=2)
    story = [
        Paragraph(escape(document.center_name), heading),
        Paragraph(escape(document.title), heading),
        Paragraph(escape(document.number), right),
        Spacer(1, 6 * mm),
        Paragraph(f"{escape(document.addressee)}：", normal),
        Paragraph(f"事由：{escape(document.subject)}", normal),
        *(Paragraph(escape(line), normal) for line in document.body.splitlines() if line.strip()),
    ]
    if document.reply_by:
        story.append(Paragraph(f"请于 {document.reply_by:%Y年%m月%d日} 前书面回复办理情况。", normal))
    if document.rectify_by:
        story.append(Paragraph(f"整改期限：{document.rectify_by:%Y年%m月%d日}。", normal))
    if document.case_lines:
        story += [Spacer(1, 6 * mm), Paragraph("附：线索材料", normal)]
        story += [Paragraph(f"{escape(label)}：{escape(value)}", normal) for label, value in document.case_lines]
        story += [Paragraph(escape(line), normal) for line in document.timeline]
    story += [
        Spacer(1, 12 * mm),
        Paragraph(escape(document.center_name), right),
        Paragraph(f"{document.issued_on:%Y年%m月%d日}", right),
    ]
    pdf.build(story)
    return buffer.getvalue()


def notice_document(session: DbSession, notice: Notice, center_name: str) -> NoticeDocument:
    """The notice as printed; a clue transfer adds the case's facts and its public timeline (no complainant
    identity)."""
    department = session.get(Department, notice.department_id)
    clock = session.get(Deadline, notice.reply_deadline_id) if notice.reply_deadline_id else None
    complaint = session.get(Complaint, notice.complaint_id) if notice.complaint_id else None
    case_lines: list[tuple[str, str]] = []
    timeline: list[str] = []
    if complaint is not None and notice.kind == NoticeKind.CLUE_TRANSFER.value:
        case_lines = [
            ("受理编号", complaint.reference),
            ("被投诉单位", complaint.respondent),
            ("反映事项", f"{complaint.title}。{complaint.content}"),
        ]
        timeline = [
            f"{china_day(e.occurred_at):%Y-%m-%d} {e.action_label}" + (f"：{e.public_note}" if e.public_note else "")
            for e in events_for(session, complaint.id, public_only=True)
        ]
    return NoticeDocument(
        center_name=center_name,
        title=notice.label,
        number=notice.number,
        addressee=department.name if department else "",
        subject=notice.subject,
        body=notice.body,
        issued_on=china_day(notice.issued_at),
        reply_by=clock.last_day if clock else None,
        rectify_by=notice.rectify_by,
        case_lines=case_lines,
        timeline=timeline,
    )
