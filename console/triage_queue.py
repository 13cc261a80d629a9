"""The triage queue: suggestions with their confidence and explanation, and one-click decisions; the cases accepted
but not yet assigned (after 仅受理 or a lead objection) waiting for their department; the open risk alerts."""

from __future__ import annotations

from flask import Response, flash, render_template, request

from api.case_context import case_context, on_case, staff_actor
from api.converters import key_from_text
from complaints import handling, triage_decisions
from complaints.access import get_visible, get_visible_by_reference
from complaints.cases import CaseStatus
from complaints.database import db, utcnow
from complaints.departments import list_departments
from complaints.permissions import Action
from complaints.taxonomy import list_categories, list_domains
from triage import corrections, overview
from triage.suggestion import route_as_suggested

from .blueprint import back, bp, page, parse
from .forms import ClassifyForm, MergeForm, RejectForm, TransferForm


@bp.route("/triage")
@page(Action.VIEW_TRIAGE)
def triage() -> str:
    return render_template(
        "console/triage.html",
        queue=overview.queue(db.session),
        departments=[d for d in list_departments(db.session) if d.level != "external"],
        categories=list_categories(db.session),
        domains=list_domains(db.session),
        alerts=overview.open_alerts(db.session),
    )


@bp.route("/cases/<int:complaint_id>/accept-assign", methods=["POST"])
@page(Action.ASSIGN_COMPLAINT)
def accept_assign(complaint_id: int) -> Response:
    lead = request.form.get("lead_department", "")
    assisting = [code for code in request.form.getlist("assisting_departments") if code and code != lead]
    instructions = request.form.get("instructions") or None
    accepting = get_visible(db.session, staff_actor(), complaint_id).status == CaseStatus.SUBMITTED.value
    complaint = on_case(
        complaint_id,
        lambda ctx, c: handling.accept_and_assign(
            ctx, c, lead_code=lead, assisting_codes=assisting, instructions=instructions
        ),
    )
    flash(f"{complaint.reference} 已{'受理并' if accepting else ''}交办", "info")
    return back("console.triage")


@bp.route("/cases/<int:complaint_id>/accept", methods=["POST"])
@page(Action.TRIAGE_COMPLAINT)
def accept(complaint_id: int) -> Response:
    complaint = on_case(complaint_id, lambda ctx, c: triage_decisions.accept(ctx, c))
    flash(f"{complaint.reference} 已受理", "info")
    return back("console.triage")


@bp.route("/cases/<int:complaint_id>/reject", methods=["POST"])
@page(Action.TRIAGE_COMPLAINT)
def reject(complaint_id: int) -> Response:
    form = parse(RejectForm())
    complaint = on_case(
        complaint_id,
        lambda ctx, c: triage_decisions.reject(ctx, c, reason=form["reason"], lawful_channel=form["lawful_channel"]),
    )
    flash(f"{complaint.reference} 已决定不予受理", "info")
    return back("console.triage")


@bp.route("/cases/<int:complaint_id>/merge", methods=["POST"])
@page(Action.TRIAGE_COMPLAINT)
def merge(complaint_id: int) -> Response:
    form = parse(MergeForm())
    ctx = case_context()
    target = get_visible_by_reference(ctx.session, ctx.actor, form["target_reference"].strip())
    complaint = on_case(complaint_id, lambda ctx, c: triage_decisions.merge(ctx, c, target, form["note"]))
    flash(f"{complaint.reference} 已并入 {target.reference}", "info")
    return back("console.triage")


@bp.route("/cases/<int:complaint_id>/transfer", methods=["POST"])
@page(Action.TRIAGE_COMPLAINT)
def transfer(complaint_id: int) -> Response:
    form = parse(TransferForm())
    complaint = on_case(
        complaint_id, lambda ctx, c: triage_decisions.transfer(ctx, c, body=form["body"], reason=form["reason"])
    )
    flash(f"{complaint.reference} 已转送", "info")
    return back("console.triage")


@bp.route("/cases/<int:complaint_id>/classify", methods=["POST"])
@page(Action.TRIAGE_COMPLAINT)
def classify(complaint_id: int) -> Response:
    form = parse(ClassifyForm())
    complaint = on_case(
        complaint_id,
        lambda ctx, c: corrections.classify_case(
            ctx,
            c,
            category_code=form["category_code"] or None,
            domain_code=form["domain_code"] or None,
            urgency=form["urgency"] or None,
        ),
    )
    flash(f"{complaint.reference} 的分类已更新", "info")
    return back("console.case", complaint_id=complaint_id)


@bp.route("/triage/bulk", methods=["POST"])
@page(Action.ASSIGN_COMPLAINT)
def bulk() -> Response:
    ids = [key for key in map(key_from_text, request.form.getlist("case_ids")) if key is not None]
    outcomes = route_as_suggested(case_context(), ids)
    routed = [o.reference for o in outcomes if o.routed]
    if routed:
        flash(f"已按建议受理并交办 {len(routed)} 件：{'、'.join(routed)}", "info")
    for outcome in outcomes:
        if not outcome.routed:
            flash(f"{outcome.reference} 未处理：{outcome.reason}", "error")
    if not outcomes:
        flash("请先勾选案件", "error")
    return back("console.triage")


@bp.route("/risk-alerts/<int:alert_id>/close", methods=["POST"])
@page(Action.CLOSE_RISK_ALERT)
def close_risk_alert(alert_id: int) -> Response:
    """The supervisor has looked into the 类案 and closes its alert (a new cluster against the respondent opens a
    new one)."""
    alert = overview.close_alert(db.session, staff_actor(), alert_id, utcnow())
    flash(f"已关闭类案风险提示：{alert.respondent}", "info")
    return back("console.triage")
