"""The staff case API: list, register, detail, and one endpoint per case action."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Response, render_template, send_file
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from channel import walkin
from channel.receipt import receipt_page, render_pdf
from channel.uploads import content_as_seen
from complaints import after_closure, handling, intake, supervision, triage_decisions
from complaints.access import get_visible, get_visible_by_reference, read_identities
from complaints.case_views import CaseFilters, case_detail, search_cases, visible_attachment
from complaints.complainants import PersonInput
from complaints.database import db, utcnow
from complaints.departments import department_by_code
from complaints.documents import build_document
from complaints.permissions import Action

from ..auth import requires
from ..case_context import case_context, on_case, staff_actor
from ..case_schemas import (
    AssignArgs,
    CaseDetailEnvelopeSchema,
    CasePageSchema,
    CaseQueryArgs,
    CaseStateSchema,
    ConclusionArgs,
    DisclosureArgs,
    FollowUpArgs,
    MergeArgs,
    NoteArgs,
    NoticeArgs,
    NoticeSchema,
    QueryCodeSchema,
    ReasonArgs,
    RegisterArgs,
    RegisteredSchema,
    RejectArgs,
    SupervisionArgs,
    TransferArgs,
)
from ..settings import config, personal_data_cipher, upload_store

blp = Blueprint("complaints", __name__, url_prefix="/api/v1/complaints", description="案件")


@blp.route("", methods=["GET"])
@blp.arguments(CaseQueryArgs(), location="query")
@blp.response(200, CasePageSchema)
@requires(Action.VIEW_COMPLAINTS)
def list_cases(args: dict[str, Any]) -> Any:
    filters = CaseFilters(
        statuses=args["status"],
        channel=args["channel"],
        category_code=args["category"],
        lead_department_code=args["lead_department"],
        supervision_level=args["supervision_level"],
        overdue=args["overdue"],
        text=args["q"],
        sort=args["sort"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return search_cases(db.session, staff_actor(), filters, utcnow())


@blp.route("", methods=["POST"])
@blp.arguments(RegisterArgs())
@blp.response(201, RegisteredSchema)
@requires(Action.REGISTER_COMPLAINT)
def register(args: dict[str, Any]) -> Any:
    persons = [PersonInput(**person) for person in args.pop("persons")]
    complaint, code = intake.file_complaint(case_context(), intake.IntakeRecord(**args, persons=persons))
    return {"case": complaint, "query_code": code}


@blp.route("/<int:complaint_id>", methods=["GET"])
@blp.response(200, CaseDetailEnvelopeSchema)
@requires(Action.VIEW_COMPLAINTS)
def detail(complaint_id: int) -> Any:
    actor, now = staff_actor(), utcnow()
    complaint = get_visible(db.session, actor, complaint_id)
    return case_detail(db.session, personal_data_cipher(), actor, complaint, now)


@blp.route("/<int:complaint_id>/accept", methods=["POST"])
@blp.arguments(NoteArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.TRIAGE_COMPLAINT)
def accept(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: triage_decisions.accept(ctx, c, args["note"]))


@blp.route("/<int:complaint_id>/reject", methods=["POST"])
@blp.arguments(RejectArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.TRIAGE_COMPLAINT)
def reject(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: triage_decisions.reject(ctx, c, **args))


@blp.route("/<int:complaint_id>/merge", methods=["POST"])
@blp.arguments(MergeArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.TRIAGE_COMPLAINT)
def merge(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(
        complaint_id,
        lambda ctx, c: triage_decisions.merge(
            ctx, c, get_visible_by_reference(ctx.session, ctx.actor, args["into_reference"]), args["note"]
        ),
    )


@blp.route("/<int:complaint_id>/transfer", methods=["POST"])
@blp.arguments(TransferArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.TRIAGE_COMPLAINT)
def transfer(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: triage_decisions.transfer(ctx, c, **args))


@blp.route("/<int:complaint_id>/withdraw", methods=["POST"])
@blp.arguments(NoteArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.REGISTER_COMPLAINT)
def withdraw(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: triage_decisions.withdraw(ctx, c, args["note"]))


@blp.route("/<int:complaint_id>/assign", methods=["POST"])
@blp.arguments(AssignArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.ASSIGN_COMPLAINT)
def assign(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(
        complaint_id,
        lambda ctx, c: handling.assign(
            ctx,
            c,
            lead_code=args["lead_department"],
            assisting_codes=args["assisting_departments"],
            instructions=args["instructions"],
        ),
    )


@blp.route("/<int:complaint_id>/review", methods=["POST"])
@blp.response(200, CaseStateSchema)
@requires(Action.REVIEW_REPLY)
def begin_review(complaint_id: int) -> Any:
    return on_case(complaint_id, handling.begin_review)


@blp.route("/<int:complaint_id>/send-back", methods=["POST"])
@blp.arguments(ReasonArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.REVIEW_REPLY)
def send_back(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: handling.send_back(ctx, c, args["reason"]))


@blp.route("/<int:complaint_id>/close", methods=["POST"])
@blp.arguments(ConclusionArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.CLOSE_COMPLAINT)
def close(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: handling.close(ctx, c, args["conclusion"]))


@blp.route("/<int:complaint_id>/follow-up", methods=["POST"])
@blp.arguments(FollowUpArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.RECORD_FOLLOW_UP)
def follow_up(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: after_closure.record_follow_up(ctx, c, **args, source="staff"))


@blp.route("/<int:complaint_id>/recheck", methods=["POST"])
@blp.arguments(ReasonArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.RECORD_FOLLOW_UP)
def request_recheck(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: after_closure.request_recheck(ctx, c, args["reason"]))


@blp.route("/<int:complaint_id>/recheck/conclusion", methods=["POST"])
@blp.arguments(ConclusionArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.CLOSE_COMPLAINT)
def conclude_recheck(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: after_closure.conclude_recheck(ctx, c, args["conclusion"]))


@blp.route("/<int:complaint_id>/supervision", methods=["POST"])
@blp.arguments(SupervisionArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.SUPERVISE)
def supervise(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: supervision.raise_supervision(ctx, c, args["level"], args["note"]))


@blp.route("/<int:complaint_id>/handling-clock/pause", methods=["POST"])
@blp.arguments(ReasonArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.SUPERVISE)
def pause_clock(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: supervision.pause_handling(ctx, c, args["reason"]))


@blp.route("/<int:complaint_id>/handling-clock/resume", methods=["POST"])
@blp.response(200, CaseStateSchema)
@requires(Action.SUPERVISE)
def resume_clock(complaint_id: int) -> Any:
    return on_case(complaint_id, supervision.resume_handling)


@blp.route("/<int:complaint_id>/disclosures", methods=["POST"])
@blp.arguments(DisclosureArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.REVEAL_IDENTITY)
def reveal_identity(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(
        complaint_id,
        lambda ctx, c: supervision.reveal_identity(
            ctx, c, department_by_code(ctx.session, args["department"]), args["reason"]
        ),
    )


@blp.route("/<int:complaint_id>/query-code", methods=["POST"])
@blp.response(200, QueryCodeSchema)
@requires(Action.TRIAGE_COMPLAINT)
def reissue_query_code(complaint_id: int) -> Any:
    ctx = case_context()
    complaint = get_visible(ctx.session, ctx.actor, complaint_id)
    return {"reference": complaint.reference, "query_code": triage_decisions.reissue_query_code(ctx, complaint)}


@blp.route("/<int:complaint_id>/notices", methods=["POST"])
@blp.arguments(NoticeArgs())
@blp.response(201, NoticeSchema)
@requires(Action.ISSUE_NOTICE)
def issue_notice(args: dict[str, Any], complaint_id: int) -> Any:
    ctx = case_context()
    complaint = get_visible(ctx.session, ctx.actor, complaint_id)
    department = department_by_code(ctx.session, args.pop("department"))
    return supervision.issue_notice(ctx, complaint, department=department, **args)


@blp.route("/<int:complaint_id>/documents/<kind>", methods=["GET"])
@requires(Action.PRINT_DOCUMENTS)
def document(complaint_id: int, kind: str) -> Any:
    """A printable page (HTML) of a document the complainant is owed."""
    actor, now = staff_actor(), utcnow()
    complaint = get_visible(db.session, actor, complaint_id)
    identities = read_identities(db.session, personal_data_cipher(), actor, complaint, f"document:{kind}", now)
    doc = build_document(db.session, complaint, kind, identities, config().center_name)
    return render_template("documents/document.html", doc=doc)


class ReceiptArgs(Schema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(["pdf", "html"]))


@blp.route("/<int:complaint_id>/receipt", methods=["POST"])
@blp.arguments(ReceiptArgs(), location="query")
@requires(Action.REGISTER_COMPLAINT)
def receipt(args: dict[str, str], complaint_id: int) -> Any:
    """Print (or reprint) the walk-in receipt: a new query code, valid from now on; the old one is void."""
    ctx = case_context()
    complaint = get_visible(ctx.session, ctx.actor, complaint_id)
    settings = config()
    issued = walkin.issue_receipt(
        ctx, complaint, public_base_url=settings.public_base_url, center_name=settings.center_name
    )
    if args["format"] == "html":
        response = Response(receipt_page(issued), mimetype="text/html")
    else:
        response = Response(render_pdf(issued), mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="receipt-{issued.reference}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/<int:complaint_id>/attachments/<int:attachment_id>", methods=["GET"])
@requires(Action.VIEW_COMPLAINTS)
def attachment(complaint_id: int, attachment_id: int) -> Any:
    """Download an attachment the actor may see (departments never get identifying ones unless revealed)."""
    actor = staff_actor()
    complaint = get_visible(db.session, actor, complaint_id)
    found = visible_attachment(db.session, personal_data_cipher(), actor, complaint, attachment_id, utcnow())
    response = send_file(
        BytesIO(content_as_seen(upload_store(), found)), mimetype=found.content_type, download_name=found.original_name
    )
    response.headers["Cache-Control"] = "no-store"
    return response
