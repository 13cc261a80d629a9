"""Administration by the three separated administrators: accounts and roles (system: create, reset a password,
change the role or department, deactivate and reactivate), unlocking and resetting a lost authenticator
(security), the audit trail (audit: read only); and the wording of our own messages (system)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, render_template, request

from api.auth import current_actor
from api.converters import LARGEST_BIG_KEY, key_from_text
from api.settings import senders
from complaints import accounts, second_factor
from complaints.audit import ACTION_LABELS, recent_events
from complaints.database import db, utcnow
from complaints.departments import list_departments
from complaints.permissions import ROLE_LABELS, Action, Role
from notifications import subscribe, texts
from notifications.senders import EVENT_TEXTS

from .admin_forms import RoleForm
from .blueprint import EVENT_LABELS, back, bp, page, parse, refusals_shown_on
from .forms import MessageTextForm, NewUserForm, PasswordForm, TemplateMappingForm

DETAIL_LABELS = {
    "username": "用户名",
    "role": "角色",
    "department": "单位",
    "reason": "原因",
    "until": "锁定至",
    "from": "原为",
    "to": "改为",
    "name": "名称",
    "rows": "行数",
    "personal_data": "含完整个人信息",
    "masked": "已脱敏",
    "filters": "筛选条件",
    "text": "关键词",
    "statuses": "状态",
    "purpose": "用途",
    "reference": "受理编号",
    "complainant_ids": "诉求人编号",
    "number": "编号",
    "action": "所需权限",
    "start": "开始日期",
    "end": "结束日期",
    "holidays": "节假日天数",
    "workdays": "调休上班天数",
    "deadlines_firmed": "转为正式的期限",
    "department_id": "主办单位编号",
    "domain_id": "领域编号",
    "category_id": "问题类型编号",
    "place_contains": "地区含",
    "respondent_contains": "被投诉单位含",
    "field": "字段",
    "value": "取值",
}
DETAIL_VALUES = {
    "unknown_or_inactive": "用户不存在或已停用",
    "wrong_password": "密码错误",
    "locked": "账户已锁定",
    "case_detail": "查看案件详情",
    "phone_lookup": "按电话查找诉求人",
    "export": "导出Excel",
    **{role.value: label for role, label in ROLE_LABELS.items()},
}


def _users_page() -> str:
    return render_template(
        "console/admin_users.html",
        users=accounts.list_users(db.session),
        roles=ROLE_LABELS,
        departments=[d for d in list_departments(db.session) if d.level != "external"],
    )


@bp.route("/admin/users")
@page(Action.MANAGE_USERS)
def users() -> str:
    return _users_page()


@bp.route("/admin/users", methods=["POST"])
@page(Action.MANAGE_USERS)
def create_user() -> Response:
    form = parse(NewUserForm(), form_page=_users_page)
    user = accounts.create_staff_user(
        db.session,
        username=form["username"],
        display_name=form["display_name"],
        password=form["password"],
        role=form["role"],
        department_code=form["department_code"],
        actor=current_actor(),
        now=utcnow(),
    )
    flash(f"已创建账户 {user.username}（{ROLE_LABELS[Role(user.role)]}）", "info")
    return back("console.users")


@bp.route("/admin/users/<int:user_id>/password", methods=["POST"])
@page(Action.MANAGE_USERS)
def reset_password(user_id: int) -> Response:
    form = parse(PasswordForm(), form_page=_users_page)
    user = accounts.get_user(db.session, user_id)
    accounts.reset_password(db.session, user, form["password"], actor=current_actor(), now=utcnow())
    flash(f"已重置 {user.username} 的密码，其所有登录已失效", "info")
    return back("console.users")


@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
@page(Action.MANAGE_USERS)
def change_role(user_id: int) -> Response:
    form = parse(RoleForm(), form_page=_users_page)
    user = accounts.get_user(db.session, user_id)
    accounts.change_role(
        db.session,
        user,
        role=form["role"],
        department_code=form["department_code"],
        actor=current_actor(),
        now=utcnow(),
    )
    where = f"，{user.department.name}" if user.department else ""
    flash(f"{user.username} 现为{ROLE_LABELS[Role(user.role)]}{where}；其所有登录已失效", "info")
    return back("console.users")


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@page(Action.MANAGE_USERS)
def deactivate_user(user_id: int) -> Response:
    refusals_shown_on(_users_page)
    user = accounts.get_user(db.session, user_id)
    accounts.deactivate(db.session, user, actor=current_actor(), now=utcnow())
    flash(f"已停用 {user.username}，其所有登录已立即失效", "info")
    return back("console.users")


@bp.route("/admin/users/<int:user_id>/activate", methods=["POST"])
@page(Action.MANAGE_USERS)
def activate_user(user_id: int) -> Response:
    refusals_shown_on(_users_page)
    user = accounts.get_user(db.session, user_id)
    accounts.reactivate(db.session, user, actor=current_actor(), now=utcnow())
    flash(f"已重新启用 {user.username}", "info")
    return back("console.users")


def _security_page() -> str:
    now = utcnow()
    everyone = accounts.list_users(db.session)
    return render_template(
        "console/admin_locked.html",
        users=[u for u in everyone if u.is_locked(now)],
        enrolled=[u for u in everyone if u.totp_secret_encrypted or u.totp_pending_encrypted],
        roles=ROLE_LABELS,
    )


@bp.route("/admin/locked")
@page(Action.UNLOCK_USERS)
def locked_users() -> str:
    return _security_page()


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@page(Action.UNLOCK_USERS)
def unlock_user(user_id: int) -> Response:
    refusals_shown_on(_security_page)
    user = accounts.get_user(db.session, user_id)
    accounts.unlock(db.session, user, actor=current_actor(), now=utcnow())
    flash(f"已解锁 {user.username}", "info")
    return back("console.locked_users")


@bp.route("/admin/users/<int:user_id>/second-factor/reset", methods=["POST"])
@page(Action.UNLOCK_USERS)
def reset_second_factor(user_id: int) -> Response:
    refusals_shown_on(_security_page)
    user = accounts.get_user(db.session, user_id)
    second_factor.reset(db.session, user, actor=current_actor(), now=utcnow())
    flash(f"已重置 {user.username} 的动态口令，其所有登录已失效；下次登录时须重新设置", "info")
    return back("console.locked_users")


@bp.route("/admin/audit")
@page(Action.READ_AUDIT_LOG)
def audit_log() -> str:
    action = request.args.get("action") or None
    before = key_from_text(request.args.get("before"), LARGEST_BIG_KEY)
    events = recent_events(db.session, action=action, limit=100, before_id=before)
    return render_template("console/admin_audit.html", events=events, action=action or "", actions=ACTION_LABELS)


@bp.app_template_filter("audit_details")
def audit_details(details: dict[str, Any] | None) -> list[tuple[str, str]]:
    """An audit event's details as (Chinese label, readable value) pairs instead of raw JSON."""
    return [(DETAIL_LABELS.get(key, key), _readable(value)) for key, value in (details or {}).items()]


TARGET_LABELS = {
    "staff_user": "账户",
    "complaint": "案件",
    "notice": "通知单",
    "department": "承办单位",
    "category": "问题类型",
    "domain": "领域",
    "routing_rule": "分办规则",
    "risk_alert": "类案风险提示",
    "calendar_year": "节假日安排",
    "case_list": "案件清单",
    "statistics": "统计数据",
    "complainant_search": "按电话查找诉求人",
}


@bp.app_template_filter("audit_target")
def audit_target(target: str | None) -> str:
    """``staff_user:12`` as 账户 #12 (a request line, for a denial, is shown as it is)."""
    if not target:
        return ""
    kind, _, key = target.partition(":")
    label = TARGET_LABELS.get(kind)
    if label is None:
        return target
    return f"{label} {'#' + key if key.isdigit() else key}".strip()


def _readable(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(_readable(item) for item in value)
    if isinstance(value, dict):
        return "，".join(f"{DETAIL_LABELS.get(k, k)}：{_readable(v)}" for k, v in value.items())
    return DETAIL_VALUES.get(str(value), str(value))


def _texts_page() -> str:
    return render_template("console/admin_texts.html", texts=texts.all_texts(db.session), events=EVENT_LABELS)


@bp.route("/admin/texts")
@page(Action.EDIT_MESSAGE_TEXTS)
def message_texts() -> str:
    return _texts_page()


@bp.route("/admin/texts", methods=["POST"])
@page(Action.EDIT_MESSAGE_TEXTS)
def reword_message() -> Response:
    form = parse(MessageTextForm(), form_page=_texts_page)
    texts.reword(
        db.session,
        channel=form["channel"],
        event=form["event"],
        text=form["text"],
        actor=current_actor().name,
        now=utcnow(),
    )
    flash(f"「{EVENT_LABELS.get(form['event'], form['event'])}」的消息文字已更新", "info")
    return back("console.message_texts")


def _templates_page() -> str:
    rows = subscribe.effective_mappings(db.session(), senders().templates, sorted(EVENT_TEXTS))
    return render_template("console/admin_templates.html", mappings=rows, texts=EVENT_TEXTS)


@bp.route("/admin/templates")
@page(Action.EDIT_MESSAGE_TEXTS)
def template_mappings() -> str:
    return _templates_page()


@bp.route("/admin/templates", methods=["POST"])
@page(Action.EDIT_MESSAGE_TEXTS)
def map_template() -> Response:
    form = parse(TemplateMappingForm(), form_page=_templates_page)
    subscribe.set_mapping(
        db.session(),
        event=form["event"],
        template_id=form["template_id"],
        fields=form["field_map"],
        page=form["page"] or "",
        known_events=sorted(EVENT_TEXTS),
        actor=current_actor().name,
        now=utcnow(),
    )
    flash(f"「{EVENT_TEXTS[form['event']]}」的订阅消息模板已更新", "info")
    return back("console.template_mappings")
