"""A demo center for a first start: a few departments and one login per role, all with the demo password.

Idempotent: running it again creates only what is missing. Refused in production by the CLI.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .accounts import CLI_ACTOR, create_staff_user, find_user
from .database import DbSession
from .departments import Department
from .permissions import Role

DEMO_PASSWORD = "Demo-2026-pass"  # noqa: S105 (demo logins only; seeding is refused in production)

DEPARTMENTS = [
    ("city-samr", "市市场监督管理局", None),
    ("city-eco", "市生态环境局", None),
    ("city-transport", "市交通运输局", None),
    ("city-tax", "市税务局", None),
    ("city-police", "市公安局", None),
    ("dist-east", "东城区人民政府", None),
    ("dist-east-samr", "东城区市场监督管理局", "dist-east"),
]

USERS = [
    ("clerk", "登记员 王敏", Role.INTAKE_CLERK, None),
    ("triage", "分办员 李强", Role.TRIAGE_OFFICER, None),
    ("supervisor", "督办负责人 张华", Role.SUPERVISOR, None),
    ("samr.handler", "市场监管局经办人 赵磊", Role.DEPARTMENT_HANDLER, "city-samr"),
    ("samr.head", "市场监管局负责人 陈静", Role.DEPARTMENT_HEAD, "city-samr"),
    ("eco.handler", "生态环境局经办人 周洋", Role.DEPARTMENT_HANDLER, "city-eco"),
    ("sysadmin", "系统管理员", Role.SYSTEM_ADMIN, None),
    ("secadmin", "安全管理员", Role.SECURITY_ADMIN, None),
    ("auditor", "审计管理员", Role.AUDIT_ADMIN, None),
]


def seed_demo_center(session: DbSession, *, now: datetime) -> list[str]:
    """Create what is missing of the demo center; returns the usernames created."""
    by_code = {d.code: d for d in session.scalars(select(Department))}
    for code, name, parent in DEPARTMENTS:
        if code not in by_code:
            department = Department(
                code=code, name=name, parent_id=by_code[parent].id if parent else None, created_at=now
            )
            session.add(department)
            session.flush()
            by_code[code] = department
    created = []
    for username, display_name, role, department_code in USERS:
        if find_user(session, username) is None:
            create_staff_user(
                session,
                username=username,
                display_name=display_name,
                password=DEMO_PASSWORD,
                role=role.value,
                department_code=department_code,
                actor=CLI_ACTOR,
                now=now,
            )
            created.append(username)
    return created
