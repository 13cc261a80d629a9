"""Roles and the one permission table that says which role may do which action.

Every staff endpoint names one :class:`Action`; :func:`is_allowed` is the only check. An action missing from
the table is allowed to no one (deny by default). The three administrator roles are kept apart (三员分立):
the system administrator manages accounts and settings, the security administrator locks and unlocks accounts,
the audit administrator reads the audit trail; none of them handles cases.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    INTAKE_CLERK = "intake_clerk"
    TRIAGE_OFFICER = "triage_officer"
    SUPERVISOR = "supervisor"
    DEPARTMENT_HANDLER = "department_handler"
    DEPARTMENT_HEAD = "department_head"
    SYSTEM_ADMIN = "system_admin"
    SECURITY_ADMIN = "security_admin"
    AUDIT_ADMIN = "audit_admin"


ROLE_LABELS = {
    Role.INTAKE_CLERK: "登记员",
    Role.TRIAGE_OFFICER: "分办员",
    Role.SUPERVISOR: "督办负责人",
    Role.DEPARTMENT_HANDLER: "承办单位经办人",
    Role.DEPARTMENT_HEAD: "承办单位负责人",
    Role.SYSTEM_ADMIN: "系统管理员",
    Role.SECURITY_ADMIN: "安全管理员",
    Role.AUDIT_ADMIN: "审计管理员",
}

DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_HEAD})
CENTER_ROLES = frozenset({Role.INTAKE_CLERK, Role.TRIAGE_OFFICER, Role.SUPERVISOR})


class Action(StrEnum):
    # accounts and the session itself
    VIEW_OWN_ACCOUNT = "account.view_own"
    MANAGE_USERS = "users.manage"
    UNLOCK_USERS = "users.unlock"
    READ_AUDIT_LOG = "audit.read"
    # calendar and policy
    VIEW_CALENDAR = "calendar.view"
    EDIT_CALENDAR = "calendar.edit"
    # case work
    VIEW_COMPLAINTS = "complaint.view"
    VIEW_TAXONOMY = "taxonomy.view"
    MANAGE_TAXONOMY = "taxonomy.manage"
    MANAGE_POLICIES = "policy.manage"
    FIND_COMPLAINANT = "complainant.find"
    PRINT_DOCUMENTS = "document.print"
    RECORD_FOLLOW_UP = "complaint.follow_up"
    REVEAL_IDENTITY = "identity.reveal"
    REGISTER_COMPLAINT = "complaint.register"
    TRIAGE_COMPLAINT = "complaint.triage"
    ASSIGN_COMPLAINT = "complaint.assign"
    REVIEW_REPLY = "complaint.review_reply"
    CLOSE_COMPLAINT = "complaint.close"
    APPROVE_EXTENSION = "extension.approve"
    SUPERVISE = "complaint.supervise"
    ISSUE_NOTICE = "notice.issue"
    VIEW_NOTICES = "notice.view"
    REPLY_NOTICE = "notice.reply"
    MANAGE_DELIVERIES = "delivery.manage"
    EDIT_MESSAGE_TEXTS = "message_text.edit"
    SIGN_LEG = "leg.sign"
    REPLY_LEG = "leg.reply"
    OBJECT_LEG = "leg.object"
    REQUEST_EXTENSION = "extension.request"
    ASSIGN_LEG_HANDLER = "leg.assign_handler"
    # triage
    VIEW_TRIAGE = "triage.view"
    MANAGE_ROUTING = "routing.manage"
    CLOSE_RISK_ALERT = "risk_alert.close"
    VIEW_DASHBOARD = "dashboard.view"
    EXPORT = "export.run"
    EXPORT_PERSONAL_DATA = "export.personal_data"


_ALL_STAFF = frozenset(Role)
_CASE_WORKERS = CENTER_ROLES | DEPARTMENT_ROLES

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_OWN_ACCOUNT: _ALL_STAFF,
    Action.MANAGE_USERS: frozenset({Role.SYSTEM_ADMIN}),
    Action.UNLOCK_USERS: frozenset({Role.SECURITY_ADMIN}),
    Action.READ_AUDIT_LOG: frozenset({Role.AUDIT_ADMIN}),
    Action.VIEW_CALENDAR: _ALL_STAFF,
    Action.EDIT_CALENDAR: frozenset({Role.SYSTEM_ADMIN}),
    Action.VIEW_COMPLAINTS: _CASE_WORKERS,
    Action.VIEW_TAXONOMY: _ALL_STAFF,
    Action.MANAGE_TAXONOMY: frozenset({Role.SYSTEM_ADMIN}),
    Action.MANAGE_POLICIES: frozenset({Role.SYSTEM_ADMIN}),
    Action.FIND_COMPLAINANT: CENTER_ROLES,
    Action.PRINT_DOCUMENTS: CENTER_ROLES,
    Action.RECORD_FOLLOW_UP: CENTER_ROLES,
    Action.REVEAL_IDENTITY: frozenset({Role.SUPERVISOR}),
    Action.VIEW_NOTICES: _CASE_WORKERS,
    Action.REPLY_NOTICE: DEPARTMENT_ROLES,
    Action.MANAGE_DELIVERIES: frozenset({Role.SUPERVISOR, Role.TRIAGE_OFFICER}),
    Action.EDIT_MESSAGE_TEXTS: frozenset({Role.SYSTEM_ADMIN}),
    Action.REGISTER_COMPLAINT: frozenset({Role.INTAKE_CLERK, Role.TRIAGE_OFFICER, Role.SUPERVISOR}),
    Action.TRIAGE_COMPLAINT: frozenset({Role.TRIAGE_OFFICER, Role.SUPERVISOR}),
    Action.ASSIGN_COMPLAINT: frozenset({Role.TRIAGE_OFFICER, Role.SUPERVISOR}),
    Action.REVIEW_REPLY: frozenset({Role.TRIAGE_OFFICER, Role.SUPERVISOR}),
    Action.CLOSE_COMPLAINT: frozenset({Role.SUPERVISOR}),
    Action.APPROVE_EXTENSION: frozenset({Role.SUPERVISOR}),
    Action.SUPERVISE: frozenset({Role.SUPERVISOR}),
    Action.ISSUE_NOTICE: frozenset({Role.SUPERVISOR}),
    Action.SIGN_LEG: frozenset({Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_HEAD}),
    Action.REPLY_LEG: frozenset({Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_HEAD}),
    Action.OBJECT_LEG: frozenset({Role.DEPARTMENT_HEAD}),
    Action.REQUEST_EXTENSION: frozenset({Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_HEAD}),
    Action.ASSIGN_LEG_HANDLER: DEPARTMENT_ROLES,
    Action.VIEW_TRIAGE: CENTER_ROLES,
    Action.MANAGE_ROUTING: frozenset({Role.SYSTEM_ADMIN}),
    Action.CLOSE_RISK_ALERT: frozenset({Role.SUPERVISOR}),
    Action.VIEW_DASHBOARD: CENTER_ROLES,
    Action.EXPORT: CENTER_ROLES,
    Action.EXPORT_PERSONAL_DATA: frozenset({Role.SUPERVISOR}),
}


def is_allowed(role: Role | str, action: Action | str) -> bool:
    """Whether ``role`` may perform ``action``: the single permission check of the product."""
    try:
        return Role(role) in PERMISSIONS.get(Action(action), frozenset())
    except ValueError:
        return False
