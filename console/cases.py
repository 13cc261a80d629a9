"""Case detail: timeline, attachments (previewed safely), identity where allowed, clocks, delivery states,
documents, the receipt reprinted; and the supervisor's actions on a case (escalate, reveal the identity to a
department)."""

from __future__ import annotations

from flask import Response, flash, render_template, send_file

from api.case_context import case_context, on_case, staff_actor
from api.settings import config, personal_data_cipher, upload_store
from channel import walkin
from channel.receipt import receipt_page, render_pdf
from complaints import supervision
from complaints.access import get_visible, is_center, read_identities
from complaints.accounts import department_staff
from complaints.case_views import case_detail, visible_attachment
from complaints.database import db, utcnow
from complaints.departments import department_by_code, list_departments
from complaints.documents import KINDS, build_document
from complaints.permissions import Action
from complaints.taxonomy import list_categories, list_domains
from triage import overview
from triage.history import similar_closed_cases

from .blueprint import back, bp, page, parse
from .forms import EscalateForm, ReceiptForm, RevealForm

PREVIEWABLE = {"image/jpeg", "image/png", "image/webp"}


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
        documents=KINDS,
        previewable=PREVIEWABLE,
        center=center,
    )


@bp.route("/cases/<int:complaint_id>/attachments/<int:attachment_id>")
@page(Action.VIEW_COMPLAINTS)
def attachment(complaint_id: int, attachment_id: int) -> Response:
    """An attachment the actor may see, served so that it cannot run as a page: its recognised type, no sniffing,
    and a sandbox that forbids scripts even in a PDF viewer or an SVG."""
    actor = staff_actor()
    complaint = get_visible(db.session, actor, complaint_id)
    found = visible_attachment(db.session, personal_data_cipher(), actor, complaint, attachment_id, utcnow())
    response = send_file(
        upload_store().path(found.storage_key), mimetype=found.content_type, download_name=found.original_name
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
