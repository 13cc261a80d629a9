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
from complaints.cases import STATUS_LABELS, SUPERVISION_LABELS, CaseStatus, SupervisionLevel
from complaints.database import db, utcnow
from complaints.deadlines import CLOCK_LABELS, Clock
from complaints.errors import AuthenticationFailed, DomainError
from complaints.legs import LegStatus
from complaints.machine import LEG_LABELS
from complaints.permissions import Action, is_allowed
from complaints.sessions import authenticate
from complaints.workdays import CHINA_TZ

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


def parse(schema: Schema) -> dict[str, Any]:
    """The submitted form, validated (an empty field counts as not given); a bad form is a 400 page listing what
    is wrong."""
    try:
        submitted = {k: v for k, v in request.form.items() if k != "csrf_token" and v.strip() != ""}
        loaded: dict[str, Any] = schema.load(submitted)
    except ValidationError as error:
        raise FormInvalid(error.messages) from None
    return loaded


class FormInvalid(Exception):
    def __init__(self, messages: Any) -> None:
        super().__init__("form invalid")
        self.messages = messages


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
    return error_page(status_of(error), error.code, error.message)


@bp.errorhandler(FormInvalid)
def form_invalid(error: FormInvalid) -> Response:
    g.rollback_only = True
    return error_page(400, "validation_error", "提交的内容不完整或格式不正确", error.messages)


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
    return {"center_name": config().center_name, "may": _may}


def _may(action: Action) -> bool:
    staff_session = g.get("staff_session")
    return staff_session is not None and is_allowed(staff_session.user.role, action)


URGENCY_LABELS = {"normal": "一般", "urgent": "紧急", "critical": "特急"}
CHANNEL_LABELS = {
    "miniprogram": "小程序",
    "hotline": "12345热线",
    "walkin": "来访",
    "web": "网站",
    "letter": "来信",
    "forum": "座谈会",
    "contact_point": "企业联系点",
}


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
