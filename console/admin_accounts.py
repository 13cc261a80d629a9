"""Administration by the three separated administrators: accounts and roles (system), unlocking (security), the
audit trail (audit: read only); and the wording of our own messages (system)."""

from __future__ import annotations

from flask import Response, flash, render_template, request

from api.auth import current_actor
from api.converters import LARGEST_BIG_KEY, key_from_text
from api.settings import senders
from complaints import accounts
from complaints.audit import recent_events
from complaints.database import db, utcnow
from complaints.departments import list_departments
from complaints.permissions import ROLE_LABELS, Action, Role
from notifications import subscribe, texts
from notifications.senders import EVENT_TEXTS

from .blueprint import back, bp, page, parse
from .forms import MessageTextForm, NewUserForm, PasswordForm, TemplateMappingForm


@bp.route("/admin/users")
@page(Action.MANAGE_USERS)
def users() -> str:
    return render_template(
        "console/admin_users.html",
        users=accounts.list_users(db.session),
        roles=ROLE_LABELS,
        departments=list_departments(db.session),
    )


@bp.route("/admin/users", methods=["POST"])
@page(Action.MANAGE_USERS)
def create_user() -> Response:
    form = parse(NewUserForm())
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
    form = parse(PasswordForm())
    user = accounts.get_user(db.session, user_id)
    accounts.reset_password(db.session, user, form["password"], actor=current_actor(), now=utcnow())
    flash(f"已重置 {user.username} 的密码，其所有登录已失效", "info")
    return back("console.users")


@bp.route("/admin/locked")
@page(Action.UNLOCK_USERS)
def locked_users() -> str:
    now = utcnow()
    locked = [u for u in accounts.list_users(db.session) if u.is_locked(now)]
    return render_template("console/admin_locked.html", users=locked)


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@page(Action.UNLOCK_USERS)
def unlock_user(user_id: int) -> Response:
    user = accounts.get_user(db.session, user_id)
    accounts.unlock(db.session, user, actor=current_actor(), now=utcnow())
    flash(f"已解锁 {user.username}", "info")
    return back("console.locked_users")


@bp.route("/admin/audit")
@page(Action.READ_AUDIT_LOG)
def audit_log() -> str:
    action = request.args.get("action") or None
    before = key_from_text(request.args.get("before"), LARGEST_BIG_KEY)
    events = recent_events(db.session, action=action, limit=100, before_id=before)
    return render_template("console/admin_audit.html", events=events, action=action or "")


@bp.route("/admin/texts")
@page(Action.EDIT_MESSAGE_TEXTS)
def message_texts() -> str:
    return render_template("console/admin_texts.html", texts=texts.all_texts(db.session))


@bp.route("/admin/texts", methods=["POST"])
@page(Action.EDIT_MESSAGE_TEXTS)
def reword_message() -> Response:
    form = parse(MessageTextForm())
    texts.reword(
        db.session,
        channel=form["channel"],
        event=form["event"],
        text=form["text"],
        actor=current_actor().name,
        now=utcnow(),
    )
    flash("消息文字已更新", "info")
    return back("console.message_texts")


@bp.route("/admin/templates")
@page(Action.EDIT_MESSAGE_TEXTS)
def template_mappings() -> str:
    rows = subscribe.effective_mappings(db.session(), senders().templates, sorted(EVENT_TEXTS))
    return render_template("console/admin_templates.html", mappings=rows, texts=EVENT_TEXTS)


@bp.route("/admin/templates", methods=["POST"])
@page(Action.EDIT_MESSAGE_TEXTS)
def map_template() -> Response:
    form = parse(TemplateMappingForm())
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
