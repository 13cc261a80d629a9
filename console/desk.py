"""The department desk: my department's cases by deadline, and the leg actions (sign, object, extension, reply)."""

from __future__ import annotations

from flask import Response, flash, render_template, request

from api.case_context import on_leg, staff_actor
from api.settings import upload_store
from channel.department_reply import reply_with_attachments
from complaints import handling
from complaints.case_views import CaseFilters, search_cases
from complaints.database import db, utcnow
from complaints.permissions import Action

from .blueprint import back, bp, page, page_number, page_size, parse
from .forms import ExtensionForm, HandlerForm, ReasonForm, ReplyForm

OPEN = ["assigned", "in_handling", "replied", "under_review"]
DESK_PER_PAGE = 50


@bp.route("/desk")
@page(Action.SIGN_LEG)
def desk() -> str:
    actor = staff_actor()
    show = "all" if request.args.get("show") == "all" else "open"
    filters = CaseFilters(
        statuses=OPEN if show == "open" else [], sort="due", page=page_number(), per_page=page_size(DESK_PER_PAGE)
    )
    found = search_cases(db.session, actor, filters, utcnow())
    return render_template("console/desk.html", found=found, show=show, department_id=actor.department_id)


@bp.route("/cases/<int:complaint_id>/legs/<int:leg_id>/sign", methods=["POST"])
@page(Action.SIGN_LEG)
def sign(complaint_id: int, leg_id: int) -> Response:
    complaint = on_leg(complaint_id, leg_id, handling.sign)
    flash(f"已签收 {complaint.reference}", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/legs/<int:leg_id>/objection", methods=["POST"])
@page(Action.OBJECT_LEG)
def object_to(complaint_id: int, leg_id: int) -> Response:
    form = parse(ReasonForm())
    complaint = on_leg(complaint_id, leg_id, lambda ctx, leg: handling.object_to(ctx, leg, form["reason"]))
    flash(f"已就 {complaint.reference} 提出异议，等待中心重新分办", "info")
    return back("console.desk")


@bp.route("/cases/<int:complaint_id>/legs/<int:leg_id>/extension", methods=["POST"])
@page(Action.REQUEST_EXTENSION)
def extension(complaint_id: int, leg_id: int) -> Response:
    form = parse(ExtensionForm())
    complaint = on_leg(
        complaint_id,
        leg_id,
        lambda ctx, leg: handling.request_extension(ctx, leg, days=form["days"], reason=form["reason"]),
    )
    flash(f"已为 {complaint.reference} 申请延期 {form['days']} 天，等待督办负责人审批", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/legs/<int:leg_id>/reply", methods=["POST"])
@page(Action.REPLY_LEG)
def reply(complaint_id: int, leg_id: int) -> Response:
    form = parse(ReplyForm())
    files = [(f.filename or "附件", f.read()) for f in request.files.getlist("files") if f.filename]
    store = upload_store()
    complaint = on_leg(
        complaint_id, leg_id, lambda ctx, leg: reply_with_attachments(ctx, leg, form["text"], files, store)
    )
    flash(f"已提交 {complaint.reference} 的答复" + (f"（附件 {len(files)} 个）" if files else ""), "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/cases/<int:complaint_id>/legs/<int:leg_id>/handler", methods=["POST"])
@page(Action.ASSIGN_LEG_HANDLER)
def assign_handler(complaint_id: int, leg_id: int) -> Response:
    form = parse(HandlerForm())
    complaint = on_leg(complaint_id, leg_id, lambda ctx, leg: handling.assign_handler(ctx, leg, form["username"]))
    flash(f"{complaint.reference} 已转交本单位承办人", "info")
    return back("console.case", complaint_id=complaint_id)
