"""Case detail: timeline, attachments (previewed safely), identity where allowed, clocks, delivery states,
documents, the receipt reprinted; and the center's actions on a case, each for the roles the permission table
names: assign (also after 仅受理 or a lead objection), withdraw on the complainant's behalf, review the lead's
reply (send back or close), decide an extension request, pause and resume the handling clock, register and
conclude a 复查, resend a failed message, escalate, reveal the identity to a department."""

from __future__ import annotations

from io import BytesIO

from flask import Response, flash, render_template, send_file

from api.case_context import case_context, on_case, staff_actor
from api.settings import config, personal_data_cipher, upload_store
from channel import walkin
from channel.receipt import receipt_page, render_pdf
from channel.uploads import content_as_seen
from complaints import after_closure, handling, supervision, triage_decisions
from complaints.access import get_visible, is_center, read_identities
from complaints.accounts import department_staff
from complaints.case_views import case_detail, visible_attachment
from complaints.cases import Complaint
from complaints.database import DbSession, db, utcnow
from complaints.departments import department_by_code, list_departments
from complaints.documents import KINDS, build_document
from complaints.errors import NotFound
from complaints.legs import Extension
from complaints.machine import InvalidTransition
from complaints.outbox import OutboxMessage
from complaints.permissions import Action
from complaints.taxonomy import list_categories, list_domains
from notifications.delivery import resend
from triage import overview
from triage.history import similar_closed_cases

from .blueprint import EVENT_LABELS, back, bp, page, parse
from .forms import (
    ConclusionForm,
    EscalateForm,
    ExtensionDecisionForm,
    NoteForm,
    ReasonForm,
    ReceiptForm,
    RevealForm,
)

PREVIEWABLE = {"image/jpeg", "image/png", "image/webp"}
RESENDABLE = frozenset({"failed", "dead"})  # what a person may send again (the relay retries failed ones itself too)


@bp.route("/cases/<int:complaint_id>")
@page(Action.VIEW_COMPLAINTS)
def case(complaint_id: int) -> str:
    actor, now = staff_actor(), utcnow()
    complaint = get_visible(db.session, actor, complaint_id)
    center = is_center(actor)
    return render_template(
        "console/case.html",
        detail=case_detail(db.session, personal_data_cipher(), actor, complaint, now),
        suggestion=overview.suggestion_of(db.session, complaint.id) if center else None,
        similar=similar_closed_cases(db.session, complaint, 5, viewer=actor),
        own_legs=[leg for leg in complaint.legs if leg.department_id == actor.department_id],
        colleagues=department_staff(db.session, actor.department_id) if actor.department_id else [],
        departments=[d for d in list_departments(db.session) if d.level != "external"],
        all_departments=list_departments(db.session),
        categories=list_categories(db.session) if center else [],
        domains=list_domains(db.session) if center else [],
        documents=available_documents(db.session, complaint) if center else {},
        previewable=PREVIEWABLE,
        resendable=RESENDABLE,
        center=center,
    )


def available_documents(session: DbSession, complaint: Complaint) -> dict[str, str]:
    """The documents this case has by now (a 受理告知书 once accepted, a 答复意见书 once closed …): each kind is
    built by the same rules that print it, and one the case cannot have yet is left out instead of linking to a
    409 page."""
    available = {}
    for kind, title in KINDS.items():
        try:
            build_document(session, complaint, kind, None, "")
        except InvalidTransition:
            continue
        available[kind] = title
    return available


@bp.route("/cases/<int:complaint_id>/attachments/<int:attachment_id>")
@page(Action.VIEW_COMPLAINTS)
def attachment(complaint_id: int, attachment_id: int) -> Response:
    """An attachment the actor may see, served so that it cannot run as a page: its recognised type, no sniffing,
    and a sandbox that forbids scripts even in a PDF viewer or an SVG."""
    actor = staff_actor()
    complaint = get_visible(db.session, actor, complaint_id)
    found = visible_attachment(db.session, personal_data_cipher(), actor, complaint, attachment_id, utcnow())
    response = send_file(
        BytesIO(content_as_seen(upload_store(), found)), mimetype=found.content_type, download_name=found.original_name
    )
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/<int:complaint_id>/documents/<kind>")
@page(Action.PRINT_DOCUMENTS)
def document(complaint_id: int, kind: str) -> str:
    actor, now = staff_actor(), utcnow()
    complaint = get_visible(db.session, actor, complaint_id)
    identities = read_identities(db.session, personal_data_cipher(), actor, complaint, f"document:{kind}", now)
    return render_template(
        "documents/document.html", doc=build_document(db.session, complaint, kind, identities, config().center_name)
    )


@bp.route("/cases/<int:complaint_id>/receipt", methods=["POST"])
@page(Action.REGISTER_COMPLAINT)
def reprint_receipt(complaint_id: int) -> Response:
    """Reprint the receipt (a visitor lost it): a new query code on the page or PDF; the old code stops working."""
    form = parse(ReceiptForm())
    ctx, settings = case_context(), config()
    complaint = get_visible(ctx.session, ctx.actor, complaint_id)
    issued = walkin.issue_receipt(
        ctx, complaint, public_base_url=settings.public_base_url, center_name=settings.center_name
    )
    if form["format"] == "pdf":
        response = Response(render_pdf(issued), mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="receipt-{issued.reference}.pdf"'
    else:
        response = Response(receipt_page(issued), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # the new query code is on this page and nowhere else
    return response


@bp.route("/cases/<int:complaint_id>/supervision", methods=["POST"])
@page(Action.SUPERVISE)
def escalate(complaint_id: int) -> Response:
    form = parse(EscalateForm())
    complaint = on_case(complaint_id, lambda ctx, c: supervision.raise_supervision(ctx, c, form["level"], form["note"]))
    flash(f"{complaint.reference} 督办级别已调整", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/disclosure", methods=["POST"])
@page(Action.REVEAL_IDENTITY)
def reveal(complaint_id: int) -> Response:
    form = parse(RevealForm())
    ctx = case_context()
    department = department_by_code(ctx.session, form["department_code"])
    complaint = on_case(complaint_id, lambda ctx, c: supervision.reveal_identity(ctx, c, department, form["reason"]))
    flash(f"已向{department.name}披露 {complaint.reference} 的诉求人身份（已记录）", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/withdraw", methods=["POST"])
@page(Action.REGISTER_COMPLAINT)
def withdraw(complaint_id: int) -> Response:
    """The complainant asked staff (by phone or in person) to withdraw a case not yet accepted."""
    form = parse(NoteForm())
    complaint = on_case(complaint_id, lambda ctx, c: triage_decisions.withdraw(ctx, c, form["note"]))
    flash(f"{complaint.reference} 已按诉求人要求撤回", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/review", methods=["POST"])
@page(Action.REVIEW_REPLY)
def begin_review(complaint_id: int) -> Response:
    complaint = on_case(complaint_id, handling.begin_review)
    flash(f"{complaint.reference} 已进入审核", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/send-back", methods=["POST"])
@page(Action.REVIEW_REPLY)
def send_back(complaint_id: int) -> Response:
    form = parse(ReasonForm())
    complaint = on_case(complaint_id, lambda ctx, c: handling.send_back(ctx, c, form["reason"]))
    flash(f"{complaint.reference} 的答复已退回主办单位重办", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/close", methods=["POST"])
@page(Action.CLOSE_COMPLAINT)
def close(complaint_id: int) -> Response:
    form = parse(ConclusionForm())
    complaint = on_case(complaint_id, lambda ctx, c: handling.close(ctx, c, form["conclusion"]))
    flash(f"{complaint.reference} 已办结，答复意见将告知诉求人", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/extensions/<int:extension_id>/decision", methods=["POST"])
@page(Action.APPROVE_EXTENSION)
def decide_extension(complaint_id: int, extension_id: int) -> Response:
    form = parse(ExtensionDecisionForm())
    approve = form["decision"] == "approve"
    complaint = on_case(
        complaint_id,
        lambda ctx, c: handling.decide_extension(
            ctx, extension_of(ctx.session, c, extension_id), approve=approve, note=form["note"]
        ),
    )
    flash(f"{complaint.reference} 的延期申请{'已批准' if approve else '未予批准'}", "info")
    return back("console.case", complaint_id=complaint_id)


def extension_of(session: DbSession, complaint: Complaint, extension_id: int) -> Extension:
    """An extension request of this case (an id from another case is not found here)."""
    extension = session.get(Extension, extension_id)
    if extension is None or extension.complaint_id != complaint.id:
        raise NotFound("延期申请不存在", code="extension_not_found")
    return extension


@bp.route("/cases/<int:complaint_id>/handling-clock/pause", methods=["POST"])
@page(Action.SUPERVISE)
def pause_clock(complaint_id: int) -> Response:
    form = parse(ReasonForm())
    complaint = on_case(complaint_id, lambda ctx, c: supervision.pause_handling(ctx, c, form["reason"]))
    flash(f"{complaint.reference} 的办理时限已暂停", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/handling-clock/resume", methods=["POST"])
@page(Action.SUPERVISE)
def resume_clock(complaint_id: int) -> Response:
    complaint = on_case(complaint_id, supervision.resume_handling)
    flash(f"{complaint.reference} 的办理时限已恢复计算", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/recheck", methods=["POST"])
@page(Action.RECORD_FOLLOW_UP)
def request_recheck(complaint_id: int) -> Response:
    """Register a 复查 request the complainant made by phone, letter or in person."""
    form = parse(ReasonForm())
    complaint = on_case(complaint_id, lambda ctx, c: after_closure.request_recheck(ctx, c, form["reason"]))
    flash(f"已登记 {complaint.reference} 的复查申请", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/recheck/conclusion", methods=["POST"])
@page(Action.CLOSE_COMPLAINT)
def conclude_recheck(complaint_id: int) -> Response:
    form = parse(ConclusionForm())
    complaint = on_case(complaint_id, lambda ctx, c: after_closure.conclude_recheck(ctx, c, form["conclusion"]))
    flash(f"{complaint.reference} 的复查已办结，复查意见将告知诉求人", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/deliveries/<int:message_id>/resend", methods=["POST"])
@page(Action.MANAGE_DELIVERIES)
def resend_delivery(complaint_id: int, message_id: int) -> Response:
    """Send a failed or dead-lettered message of this case again, with a fresh set of attempts."""
    actor = staff_actor()
    complaint = get_visible(db.session, actor, complaint_id)
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.complaint_id != complaint.id:
        raise NotFound("消息不存在", code="message_not_found")
    resend(db.session, message.id, utcnow())
    flash(f"{complaint.reference} 的「{EVENT_LABELS.get(message.event, message.event)}」已重新排队发送", "info")
    return back("console.case", complaint_id=complaint_id)
