"""问题类型 (category: what went wrong) and 领域 (domain: which sector), both trees kept as data, never enums."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Float, ForeignKey, String, Table, select
from sqlalchemy.orm import Mapped, mapped_column

from . import audit
from .database import DbSession, UTCDateTime, db, utcnow
from .errors import InvalidInput, NotFound

department_category = Table(
    "department_category",
    db.metadata,
    Column("department_id", ForeignKey("department.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("category.id", ondelete="CASCADE"), primary_key=True),
)


class Category(db.Model):  # type: ignore[name-defined]
    """``auto_route_threshold``: the suggestion's probability above which a case of this category routes itself
    (None: always a person's decision)."""

    __tablename__ = "category"
    __table_args__ = (
        CheckConstraint(
            "auto_route_threshold IS NULL OR (auto_route_threshold > 0 AND auto_route_threshold <= 1)",
            name="threshold_is_probability",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    auto_route_threshold: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Domain(db.Model):  # type: ignore[name-defined]
    __tablename__ = "domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("domain.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def category_by_code(session: DbSession, code: str) -> Category:
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFound("问题类型不存在", code="unknown_category")
    return category


def domain_by_code(session: DbSession, code: str) -> Domain:
    domain = session.scalar(select(Domain).where(Domain.code == code))
    if domain is None:
        raise NotFound("领域不存在", code="unknown_domain")
    return domain


def list_categories(session: DbSession) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.code)))


def list_domains(session: DbSession) -> list[Domain]:
    return list(session.scalars(select(Domain).order_by(Domain.code)))


def set_auto_route_threshold(
    session: DbSession, code: str, threshold: float | None, *, actor_id: int | None, actor_name: str, now: datetime
) -> Category:
    if threshold is not None and not 0 < threshold <= 1:
        raise InvalidInput("自动分办阈值须在 0 到 1 之间", code="invalid_threshold")
    category = category_by_code(session, code)
    audit.record(
        session,
        "category.auto_route_threshold",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"category:{code}",
        details={"from": category.auto_route_threshold, "to": threshold},
        now=now,
    )
    category.auto_route_threshold = threshold
    session.flush()
    return category


def add_entry(
    session: DbSession,
    kind: type[Category] | type[Domain],
    *,
    code: str,
    name: str,
    parent_code: str | None,
    actor_id: int | None,
    actor_name: str,
    now: datetime,
) -> Category | Domain:
    """A new category or domain (optionally under a parent of the same tree); codes are unique and kept forever."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InvalidInput("请填写代码和名称", code="missing_fields")
    if session.scalar(select(kind.id).where(kind.code == code)) is not None:
        raise InvalidInput(f"代码 {code} 已存在", code="duplicate_code")
    parent_id = None
    if parent_code:
        parent_id = session.scalar(select(kind.id).where(kind.code == parent_code))
        if parent_id is None:
            raise NotFound("上级不存在", code="unknown_parent")
    entry = kind(code=code, name=name, parent_id=parent_id, created_at=now)
    session.add(entry)
    session.flush()
    audit.record(
        session,
        f"{kind.__tablename__}.added",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"{kind.__tablename__}:{code}",
        details={"name": name},
        now=now,
    )
    return entry
