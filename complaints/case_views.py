"""Read models of cases for staff: the filtered list and the detail, shaped by who is looking.

Department users get the cases with a leg for their department, with the complainant redacted unless revealed
to them, the public timeline plus their own department's events, and only the notices sent to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from .access import is_center, read_identities, search_filter, visible_complaints
from .attachments import Attachment
from .cases import Complaint
from .complainants import Identity
from .crypto import PersonalDataCipher
from .database import DbSession
from .deadlines import OPEN_STATES, Deadline, clocks_of
from .departments import Department
from .disclosures import IdentityDisclosure
from .errors import NotFound
from .follow_ups import FollowUp
from .legs import Extension
from .machine import StaffActor
from .notices import Notice
from .outbox import OutboxMessage
from .taxonomy import Category
from .timeline import TimelineEvent

SORTS = ("submitted_at", "-submitted_at", "due", "-supervision")


@dataclass(frozen=True)
class CaseFilters:
    statuses: list[str] = field(default_factory=list)
    channel: str | None = None
    category_code: str | None = None
    lead_department_code: str | None = None
    supervision_level: str | None = None
    overdue: bool | None = None
    text: str | None = None
    sort: str = "-submitted_at"
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class CaseRow:
    complaint: Complaint
    next_due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class CasePage:
    items: list[CaseRow]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class CaseDetail:
    complaint: Complaint
    identity_redacted: bool
    complainants: list[Identity]
    timeline: list[TimelineEvent]
    clocks: list[Deadline]
    notices: list[Notice]
    extensions: list[Extension]
    follow_ups: list[FollowUp]
    disclosures: list[IdentityDisclosure]
    attachments: list[Attachment]
    deliveries: list[OutboxMessage]
    now: datetime


def _next_due() -> Any:
    return (
        select(func.min(Deadline.ends_at))
        .where(Deadline.complaint_id == Complaint.id, Deadline.state.in_([s.value for s in OPEN_STATES]))
        .correlate(Complaint)
        .scalar_subquery()
    )


def search_cases(session: DbSession, actor: StaffActor, filters: CaseFilters, now: datetime) -> CasePage:
    next_due = _next_due().label("next_due_at")
    query = visible_complaints(actor).add_columns(next_due)
    if filters.statuses:
        query = query.where(Complaint.status.in_(filters.statuses))
    if filters.channel:
        query = query.where(Complaint.channel == filters.channel)
    if filters.supervision_level:
        query = query.where(Complaint.supervision_level == filters.supervision_level)
    if filters.category_code:
        query = query.join(Category, Category.id == Complaint.category_id).where(Category.code == filters.category_code)
    if filters.lead_department_code:
        query = query.join(Department, Department.id == Complaint.lead_department_id).where(
            Department.code == filters.lead_department_code
        )
    if filters.overdue is not None:
        due = _next_due()
        query = query.where(due <= now) if filters.overdue else query.where(or_(due.is_(None), due > now))
    if filters.text and filters.text.strip():
        query = search_filter(query, filters.text, by_complainant=is_center(actor))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    order = {
        "submitted_at": [Complaint.submitted_at.asc(), Complaint.id.asc()],
        "-submitted_at": [Complaint.submitted_at.desc(), Complaint.id.desc()],
        "due": [_next_due().is_(None), _next_due().asc(), Complaint.id.asc()],
        "-supervision": [Complaint.supervision_level.desc(), Complaint.id.desc()],
    }[filters.sort]
    rows = session.execute(query.order_by(*order).limit(filters.per_page).offset((filters.page - 1) * filters.per_page))
    items = [CaseRow(complaint, due, due is not None and due <= now) for complaint, due in rows]
    return CasePage(items, total, filters.page, filters.per_page)


def case_detail(
    session: DbSession, cipher: PersonalDataCipher, actor: StaffActor, complaint: Complaint, now: datetime
) -> CaseDetail:
    identities = read_identities(session, cipher, actor, complaint, "case_detail", now)
    center = is_center(actor)
    timeline = session.scalars(
        select(TimelineEvent).where(TimelineEvent.complaint_id == complaint.id).order_by(TimelineEvent.id)
    ).all()
    notices = session.scalars(select(Notice).where(Notice.complaint_id == complaint.id).order_by(Notice.id)).all()
    return CaseDetail(
        complaint=complaint,
        identity_redacted=identities is None and not complaint.is_anonymous,
        complainants=identities or [],
        timeline=[e for e in timeline if center or e.public or e.department_id == actor.department_id],
        clocks=clocks_of(session, complaint.id),
        notices=[n for n in notices if center or n.department_id == actor.department_id],
        extensions=list(session.scalars(select(Extension).where(Extension.complaint_id == complaint.id))),
        follow_ups=list(session.scalars(select(FollowUp).where(FollowUp.complaint_id == complaint.id))),
        disclosures=list(
            session.scalars(select(IdentityDisclosure).where(IdentityDisclosure.complaint_id == complaint.id))
        )
        if center
        else [],
        attachments=visible_attachments(session, actor, complaint, identity_visible=identities is not None),
        deliveries=list(
            session.scalars(
                select(OutboxMessage).where(OutboxMessage.complaint_id == complaint.id).order_by(OutboxMessage.id)
            )
        )
        if center
        else [],
        now=now,
    )


IDENTIFYING_PURPOSES = ("authorization", "licence")


def visible_attachments(
    session: DbSession, actor: StaffActor, complaint: Complaint, *, identity_visible: bool
) -> list[Attachment]:
    """A department does not see the authorization letter or licence (they name the complainant) unless the
    identity was revealed to it."""
    attachments = session.scalars(
        select(Attachment).where(Attachment.complaint_id == complaint.id).order_by(Attachment.id)
    )
    return [a for a in attachments if identity_visible or is_center(actor) or a.purpose not in IDENTIFYING_PURPOSES]


def visible_attachment(
    session: DbSession,
    cipher: PersonalDataCipher,
    actor: StaffActor,
    complaint: Complaint,
    attachment_id: int,
    now: datetime,
) -> Attachment:
    """One attachment of the case that the actor may see (departments never get identifying ones unless the
    identity was revealed to them), or NotFound."""
    found = next(
        (a for a in case_detail(session, cipher, actor, complaint, now).attachments if a.id == attachment_id), None
    )
    if found is None:
        raise NotFound("附件不存在或无权查看", code="attachment_not_found")
    return found
