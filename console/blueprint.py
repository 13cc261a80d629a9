"""The console blueprint, its access hook and its error pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException

from api.auth import current_user, record_denial
from api.errors import status_of
from api.settings import config, login_policy
from complaints import second_factor
from complaints.cases import CHANNEL_LABELS, STATUS_LABELS, SUPERVISION_LABELS, CaseStatus, SupervisionLevel
from complaints.database import db, utcnow
from complaints.deadlines import CLOCK_LABELS, Clock
from complaints.errors import AuthenticationFailed, DomainError, InvalidInput
from complaints.legs import LegStatus
from complaints.machine import LEG_LABELS
from complaints.permissions import Action, is_allowed
from complaints.sessions import authenticate
from complaints.workdays import CHINA_TZ

from .form_errors import NO_FORM, NOT_KEPT, FormState, field_errors

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
csrf = CSRFProtect()
COOKIE = "fz_console"
OPEN_PAGES = {"console.login", "console.static"}
SECOND_FACTOR_PAGES = {"console.second_factor", "console.second_factor_setup", "console.logout"}
View = TypeVar("View", bound=Callable[..., Any])


def page(action: Action | None) -> Callable[[View], View]:
    """Name the permission a page needs; ``None`` marks pages every signed-in staff member may open."""

    def mark(view: View) -> View:
        view.permission = action  # type: ignore[attr-defined]
        view.console_page = True  # type: ignore[attr-defined]
        return view

    return mark


def parse(schema: Schema, *, form_page: Callable[[], str] | None = None) -> dict[str, Any]:
    """The submitted form, validated (an empty field counts as not given).

    A refused form is answered with ``form_page`` when the view gives one: the page the form is on, rendered again
    with each error (in Chinese) beside its field and what was typed kept; else with an error page listing what is
    wrong. ``form_page`` also shows a refusal by the domain function the view calls next (a taken username, a
    schedule line that names no date), so the person corrects the form instead of retyping it."""
    refusals_shown_on(form_page)
    try:
        submitted = {k: v for k, v in request.form.items() if k != "csrf_token" and v.strip() != ""}
        loaded: dict[str, Any] = schema.load(submitted)
    except ValidationError as error:
        raise FormInvalid(field_errors(schema, error.messages)) from None
    return loaded


def refusals_shown_on(form_page: Callable[[], str] | None) -> None:
    """Show a refusal of this request (a form error or a domain rule's 4xx) on ``form_page`` rather than on the
    error page; for actions that submit no fields, which :func:`parse` does not see."""
    g.form_page = form_page


class FormInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("form invalid")
        self.errors = errors


def page_number() -> int:
    """``?page=`` of a paged list (1 when absent)."""
    return _positive_argument("page", 1, 100_000, "页码须为正整数", "invalid_page")


def page_size(default: int) -> int:
    """``?per_page=`` of a paged list, 5 to 100 rows (``default`` when absent)."""
    return _positive_argument("per_page", default, 100, "每页条数须在5至100之间", "invalid_page_size", smallest=5)


def _positive_argument(name: str, default: int, largest: int, message: str, code: str, smallest: int = 1) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not smallest <= int(raw) <= largest:
        raise InvalidInput(message, code=code)
    return int(raw)


def back(default: str = "console.index", **values: Any) -> Response:
    """Redirect after a successful POST: to a ``next`` on this site if given, else to the default page."""
    target = request.form.get("next") or ""
    if not target.startswith("/console/") or urlsplit(target).netloc:
        target = url_for(default, **values)
    return redirect(target, code=303)  # type: ignore[return-value]


@bp.before_request
def enforce_access() -> Response | None:
    if request.endpoint in OPEN_PAGES:
        if request.method == "POST":
            csrf.protect()
        return None
    token = request.cookies.get(COOKIE)
    if not token:
        return _to_login()
    try:
        g.staff_session = authenticate(db.session, token, policy=login_policy(), now=utcnow())
    except AuthenticationFailed as error:
        flash(error.message, "error")
        return _to_login()
    if request.method == "POST":
        csrf.protect()
    if not second_factor.is_satisfied(g.staff_session) and request.endpoint not in SECOND_FACTOR_PAGES:
        target = "console.second_factor" if second_factor.is_enrolled(current_user()) else "console.second_factor_setup"
        return redirect(url_for(target))  # type: ignore[return-value]
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or not getattr(view, "console_page", False):
        return deny()  # a console endpoint that forgot to say who may open it opens for no one
    action: Action | None = getattr(view, "permission", None)
    if action is None or is_allowed(current_user().role, action):
        return None
    return deny(action)


def _to_login() -> Response:
    response = redirect(url_for("console.login", next=request.full_path if request.method == "GET" else None))
    response.delete_cookie(COOKIE, path="/console")
    return response  # type: ignore[return-value]


def deny(action: Action | None = None) -> Response:
    record_denial(current_user(), action, utcnow(), console=True)
    return error_page(403, "forbidden", "您的角色无权打开此页面或执行此操作")


def error_page(status: int, code: str, message: str, details: Any = None) -> Response:
    g.rollback_only = status >= 400 and code not in ("forbidden",)
    html = render_template("console/error.html", status=status, code=code, message=message, details=details)
    return Response(html, status=status, mimetype="text/html")


@bp.errorhandler(DomainError)
def domain_error(error: DomainError) -> Response:
    g.rollback_only = True
    status = status_of(error)
    if status in (400, 409, 422):
        return form_refused(status, error.code, error.message, {})
    return error_page(status, error.code, error.message)


@bp.errorhandler(FormInvalid)
def form_invalid(error: FormInvalid) -> Response:
    g.rollback_only = True
    return form_refused(400, "validation_error", "提交的内容不完整或格式不正确，请按提示修改", error.errors)


def form_refused(status: int, code: str, message: str, errors: dict[str, str]) -> Response:
    """The form's own page again with the errors and the input (see :func:`parse`), else the error page."""
    form_page: Callable[[], str] | None = g.pop("form_page", None)
    if form_page is not None:
        db.session.rollback()  # the page shows what is stored, not what the refused request began to write
        submitted = {key: request.form.getlist(key) for key in request.form if key not in NOT_KEPT}
        g.form_state = FormState(request.path, message, code, errors, submitted)
        try:
            return Response(form_page(), status=status, mimetype="text/html")
        except DomainError:
            g.pop("form_state", None)  # the page itself is gone (the case was withdrawn meanwhile): say so plainly
    return error_page(status, code, message, list(errors.values()))


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> Response:
    g.rollback_only = True
    return error_page(400, "csrf_failed", "页面已过期或缺少安全令牌，请刷新页面后重新提交")


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    messages = {404: "页面或案件不存在", 405: "不支持该操作", 413: "上传的文件过大"}
    return error_page(error.code or 500, "http_error", messages.get(error.code or 500, error.description or "请求无效"))


@bp.app_context_processor
def console_globals() -> dict[str, Any]:
    return {"center_name": config().center_name, "may": _may, "form_state": _form_state}


def _form_state(action: str | None = None) -> FormState:
    """The refused form being shown again, for the form posting to ``action`` (any form when None)."""
    state: FormState | None = g.get("form_state")
    if state is None or (action is not None and state.action != action):
        return NO_FORM
    return state


@bp.app_template_global("page_url")
def page_url(number: int) -> str:
    """This page's address with ``page`` set to ``number`` and every other query argument kept."""
    args: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(flat=False), "page": number}
    return url_for(request.endpoint or "console.index", **args)


def _may(action: Action) -> bool:
    staff_session = g.get("staff_session")
    return staff_session is not None and is_allowed(staff_session.user.role, action)


URGENCY_LABELS = {"normal": "一般", "urgent": "紧急", "critical": "特急"}


@bp.app_template_filter("cn_time")
def cn_time(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(CHINA_TZ).strftime(pattern) if value else "—"


@bp.app_template_filter("status_label")
def status_label(value: str) -> str:
    return STATUS_LABELS.get(CaseStatus(value), value)


@bp.app_template_filter("level_label")
def level_label(value: str) -> str:
    return SUPERVISION_LABELS.get(SupervisionLevel(value), value)


@bp.app_template_filter("clock_label")
def clock_label(value: str) -> str:
    return CLOCK_LABELS.get(Clock(value), value)


CLOCK_STATES = {"running": "计时中", "paused": "已暂停", "extended": "已延长", "stopped": "已结束"}


@bp.app_template_filter("leg_label")
def leg_label(value: str) -> str:
    return LEG_LABELS.get(LegStatus(value), value)


@bp.app_template_filter("clock_state")
def clock_state(value: str) -> str:
    return CLOCK_STATES.get(value, value)


@bp.app_template_filter("urgency_label")
def urgency_label(value: str) -> str:
    return URGENCY_LABELS.get(value, value)


@bp.app_template_filter("channel_label")
def channel_label(value: str) -> str:
    return CHANNEL_LABELS.get(value, value)


@bp.app_template_filter("pct")
def pct(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "—"


EVENT_LABELS = {  # outbox events, as staff read them (delivery tables, message texts)
    "complaint.received": "登记回执",
    "complaint.accepted": "受理通知",
    "complaint.rejected": "不予受理通知",
    "complaint.merged": "并案通知",
    "complaint.transferred": "转送通知",
    "complaint.withdrawn": "撤回通知",
    "complaint.signed": "签收通知",
    "complaint.extended": "延期通知",
    "complaint.closed": "办结通知",
    "complaint.reopened": "重办通知",
    "recheck.requested": "复查申请",
    "recheck.concluded": "复查结论通知",
    "case.assigned": "新交办案件",
    "case.sent_back": "退回重办通知",
    "case.reopened": "重新交办通知",
    "case.supervised": "督办通知",
    "case.replied": "答复待审核",
    "extension.requested": "延期申请",
    "extension.approved": "延期批准",
    "extension.rejected": "延期未获批准",
    "assist.replied": "协办单位反馈",
    "leg.objected": "承办单位异议",
    "notice.issued": "通知单送达",
    "notice.reply_warning": "通知单回复期限提醒",
    "notice.reply_overdue": "通知单回复超期",
    "deadline.warning": "期限即将届满提醒",
    "deadline.overdue": "超期提醒",
    "material.added": "诉求人补充材料",
    "risk.alert": "类案风险提示",
}
DELIVERY_AUDIENCES = {"complainant": "诉求人", "department": "承办单位", "center": "中心", "hotline": "12345热线"}
DELIVERY_STATUSES = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "失败（将自动重试）",
    "dead": "已转人工",
}
DELIVERY_CHANNELS = {
    "wechat": "微信订阅消息",
    "sms": "短信",
    "wecom": "企业微信",
    "in_app": "站内",
    "hotline": "12345热线回调",
}


@bp.app_template_filter("event_label")
def event_label(value: str) -> str:
    return EVENT_LABELS.get(value, value)


@bp.app_template_filter("audience_label")
def audience_label(value: str) -> str:
    return DELIVERY_AUDIENCES.get(value, value)


@bp.app_template_filter("delivery_status")
def delivery_status(value: str) -> str:
    return DELIVERY_STATUSES.get(value, value)


@bp.app_template_filter("delivery_channel")
def delivery_channel(value: str | None) -> str:
    return DELIVERY_CHANNELS.get(value, value) if value else ""
