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

from .database import DbSession, UTCDateTime, db, utcnow
from .errors import NotFound
from .taxonomy import department_category

if TYPE_CHECKING:
    from .taxonomy import Category

LEVELS = ("city", "district", "town", "external")


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
