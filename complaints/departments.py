"""承办单位: the departments cases are handed to, as a tree (市 / 区县 / 镇街).

The case-lifecycle issue adds the categories each department handles; the foundation needs the tree so that
department handlers and heads can be tied to exactly one department.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .database import UTCDateTime, db, utcnow


class Department(db.Model):  # type: ignore[name-defined]
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
