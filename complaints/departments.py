"""承办单位: the departments cases are handed to, as a tree (市 / 区县 / 镇街).

Each department lists the categories it handles; several handlers (StaffUser rows) belong to one department.
``external`` departments are bodies outside the tree (the discipline commission, a court) that receive
transfers and clue transfers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import audit
from .database import DbSession, UTCDateTime, db, utcnow
from .errors import InvalidInput, NotFound
from .taxonomy import category_by_code, department_category

if TYPE_CHECKING:
    from .taxonomy import Category

LEVELS = ("city", "district", "town", "external")
LEVEL_LABELS = {"city": "市级", "district": "区县级", "town": "镇街级", "external": "外部机关"}


class Department(db.Model):  # type: ignore[name-defined]
    __tablename__ = "department"
    __table_args__ = (CheckConstraint("level IN ('city', 'district', 'town', 'external')", name="known_level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    level: Mapped[str] = mapped_column(String(10), default="city")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    categories: Mapped[list[Category]] = relationship(secondary=department_category)


def department_by_code(session: DbSession, code: str) -> Department:
    department = session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise NotFound("承办单位不存在", code="unknown_department")
    return department


def list_departments(session: DbSession) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.code)))


def add_department(
    session: DbSession,
    *,
    code: str,
    name: str,
    level: str,
    parent_code: str | None,
    category_codes: list[str],
    actor_id: int | None,
    actor_name: str,
    now: datetime,
) -> Department:
    """A new 承办单位 in the tree, with the categories it handles."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InvalidInput("请填写代码和名称", code="missing_fields")
    if level not in LEVELS:
        raise InvalidInput("层级不正确", code="invalid_level")
    if session.scalar(select(Department.id).where((Department.code == code) | (Department.name == name))) is not None:
        raise InvalidInput("代码或名称已存在", code="duplicate_department")
    department = Department(
        code=code,
        name=name,
        level=level,
        parent_id=department_by_code(session, parent_code).id if parent_code else None,
        created_at=now,
    )
    department.categories = [category_by_code(session, c) for c in category_codes]
    session.add(department)
    session.flush()
    audit.record(
        session,
        "department.added",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"department:{code}",
        details={"name": name},
        now=now,
    )
    return department
