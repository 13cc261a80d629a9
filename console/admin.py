"""Administration in the console (reached only past the second factor): the working-day calendar and routing."""

from __future__ import annotations

from flask import Response, flash, render_template, request

from api.auth import current_actor
from api.case_context import staff_actor
from complaints import calendar_schedule
from complaints.calendar_schedule import CalendarStatus
from complaints.database import db, utcnow
from complaints.departments import list_departments
from complaints.permissions import Action
from complaints.taxonomy import list_categories, list_domains, set_auto_route_threshold
from triage import routing

from .blueprint import back, bp, page, parse, refusals_shown_on
from .forms import RoutingRuleForm, ThresholdForm, YearScheduleForm


@bp.route("/admin/calendar", methods=["GET", "POST"])
@page(Action.EDIT_CALENDAR)
def calendar() -> str | Response:
    if request.method == "POST":
        form = parse(YearScheduleForm(), form_page=_calendar_page)
        holidays, workdays = calendar_schedule.parse_schedule_text(form["year"], form["schedule"])
        firmed = calendar_schedule.enter_year_schedule(
            db.session, year=form["year"], holidays=holidays, workdays=workdays, actor=current_actor(), now=utcnow()
        )
        flash(
            f"{form['year']}年节假日安排已保存（节假日 {len(holidays)} 天，调休上班 {len(workdays)} 天）；"
            f"{firmed} 个暂定期限已重新计算为正式期限",
            "info",
        )
        return back("console.calendar")
    return _calendar_page()


def _calendar_page() -> str:
    return render_template("console/admin_calendar.html", status=current_calendar_status())


@bp.app_template_global("calendar_status")
def current_calendar_status() -> CalendarStatus:
    """Whether this and next year's holidays are entered and how many deadlines are provisional (shown on the
    administrators' home page and on the calendar page)."""
    return calendar_schedule.calendar_status(db.session, now=utcnow())


@bp.route("/admin/routing")
@page(Action.MANAGE_ROUTING)
def routing_rules() -> str:
    return _routing_page()


def _routing_page() -> str:
    return render_template(
        "console/admin_routing.html",
        rules=routing.list_rules(db.session),
        departments={d.id: d for d in list_departments(db.session)},
        categories=list_categories(db.session),
        domains=list_domains(db.session),
    )


@bp.route("/admin/routing", methods=["POST"])
@page(Action.MANAGE_ROUTING)
def add_routing_rule() -> Response:
    form = parse(RoutingRuleForm(), form_page=_routing_page)
    rule = routing.add_rule(
        db.session,
        staff_actor(),
        routing.RuleInput(
            form["department_code"],
            domain_code=form["domain_code"],
            category_code=form["category_code"],
            place_contains=form["place_contains"],
            respondent_contains=form["respondent_contains"],
            note=form["note"],
        ),
        utcnow(),
    )
    flash(f"已添加分办规则 #{rule.id}", "info")
    return back("console.routing_rules")


@bp.route("/admin/routing/<int:rule_id>/delete", methods=["POST"])
@page(Action.MANAGE_ROUTING)
def delete_routing_rule(rule_id: int) -> Response:
    refusals_shown_on(_routing_page)
    routing.delete_rule(db.session, staff_actor(), rule_id, utcnow())
    flash(f"已删除分办规则 #{rule_id}", "info")
    return back("console.routing_rules")


@bp.route("/admin/categories/<code>/threshold", methods=["POST"])
@page(Action.MANAGE_ROUTING)
def category_threshold(code: str) -> Response:
    form = parse(ThresholdForm(), form_page=_routing_page)
    actor = staff_actor()
    percent = form["threshold_percent"]
    category = set_auto_route_threshold(
        db.session, code, percent / 100 if percent else None, actor_id=actor.id, actor_name=actor.name, now=utcnow()
    )
    flash(f"「{category.name}」的自动分办阈值已" + (f"设为 {percent}%" if percent else "取消"), "info")
    return back("console.routing_rules")
