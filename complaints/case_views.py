"""Read models of cases for staff: the filtered list and the detail, shaped by who is looking.

Department users get the cases with a leg for their department, with the complainant redacted unless revealed
to them, the public timeline plus their own department's events, and only the notices sent to them. A detail shows
no trace of a notice its reader may not open: not its reply clock (通知单回复), and no clue transfer's issue or
reply on the timeline unless the reader may read clue transfers.

A row's ``next_due_at``/``overdue`` are the viewer's clocks: for a department, those it answers for (its legs'
signing and handling clocks, the reply clocks of notices sent to it), never another department's or the center's;
for center staff, the case's earliest clock of any kind. ``center_due_at`` is the center's own (中心受理, 中心交办,
中心审核, 复查), shown apart. Overdue means what it means on the board (:func:`complaints.board.overdue_by`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from .access import is_center, read_identities, search_filter, visible_complaints
from .attachments import Attachment, neutral_name
from .board import center_clocks, clocks_of_department, running_out
from .cases import Complaint
from .complainants import Identity
from .crypto import PersonalDataCipher
from .database import DbSession
from .deadlines import Deadline, clocks_of
from .departments import Department
from .disclosures import IdentityDisclosure
from .errors import NotFound
from .follow_ups import FollowUp
from .legs import Extension
from .machine import StaffActor
from .notice_lists import case_notices, hidden_reply_clocks, is_clue_transfer_event, may_read_clue_transfers
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
    center_due_at: datetime | None = None
    center_overdue: bool = False


@dataclass(frozen=True)
class CasePage:
    items: list[CaseRow]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class TimelineEntry:
    """One timeline event as a viewer sees it: a department reads the center's and other departments' notes only
    where the complainant may read them too (an internal note on a public step can name the complainant)."""

    occurred_at: datetime
    actor_label: str
    action: str
    action_label: str
    from_status: str | None
    to_status: str | None
    note: str | None
    public: bool

    @classmethod
    def seen_by(cls, event: TimelineEvent, actor: StaffActor) -> TimelineEntry:
        own = is_center(actor) or (event.department_id is not None and event.department_id == actor.department_id)
        return cls(
            occurred_at=event.occurred_at,
            actor_label=event.actor_label,
            action=event.action,
            action_label=event.action_label,
            from_status=event.from_status,
            to_status=event.to_status,
            note=event.note if own else event.public_note,
            public=event.public,
        )


@dataclass(frozen=True)
class CaseDetail:
    complaint: Complaint
    identity_redacted: bool
    complainants: list[Identity]
    timeline: list[TimelineEntry]
    clocks: list[Deadline]
    notices: list[Notice]
    extensions: list[Extension]
    follow_ups: list[FollowUp]
    disclosures: list[IdentityDisclosure]
    attachments: list[SeenAttachment]
    deliveries: list[OutboxMessage]
    now: datetime


def _earliest_end(whose: ColumnElement[bool] | None) -> Any:
    """The earliest end among the case's clocks that can run out, limited to ``whose`` when given."""
    conditions = [Deadline.complaint_id == Complaint.id, running_out()]
    if whose is not None:
        conditions.append(whose)
    return select(func.min(Deadline.ends_at)).where(*conditions).correlate(Complaint).scalar_subquery()


def _viewers_clocks(actor: StaffActor) -> ColumnElement[bool] | None:
    return None if is_center(actor) else clocks_of_department(actor.department_id)


def search_cases(session: DbSession, actor: StaffActor, filters: CaseFilters, now: datetime) -> CasePage:
    whose = _viewers_clocks(actor)
    query = visible_complaints(actor).add_columns(
        _earliest_end(whose).label("next_due_at"), _earliest_end(center_clocks()).label("center_due_at")
    )
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
        due = _earliest_end(whose)
        query = query.where(due <= now) if filters.overdue else query.where(or_(due.is_(None), due > now))
    if filters.text and filters.text.strip():
        query = search_filter(query, filters.text, by_complainant=is_center(actor))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    order = {
        "submitted_at": [Complaint.submitted_at.asc(), Complaint.id.asc()],
        "-submitted_at": [Complaint.submitted_at.desc(), Complaint.id.desc()],
        "due": [_earliest_end(whose).is_(None), _earliest_end(whose).asc(), Complaint.id.asc()],
        "-supervision": [Complaint.supervision_level.desc(), Complaint.id.desc()],
    }[filters.sort]
    rows = session.execute(query.order_by(*order).limit(filters.per_page).offset((filters.page - 1) * filters.per_page))
    items = [
        CaseRow(complaint, due, _passed(due, now), center_due, _passed(center_due, now))
        for complaint, due, center_due in rows
    ]
    return CasePage(items, total, filters.page, filters.per_page)


def _passed(end: datetime | None, now: datetime) -> bool:
    return end is not None and end <= now


def case_detail(
    session: DbSession, cipher: PersonalDataCipher, actor: StaffActor, complaint: Complaint, now: datetime
) -> CaseDetail:
    identities = read_identities(session, cipher, actor, complaint, "case_detail", now)
    center = is_center(actor)
    timeline = session.scalars(
        select(TimelineEvent).where(TimelineEvent.complaint_id == complaint.id).order_by(TimelineEvent.id)
    ).all()
    clue_transfers_hidden = not may_read_clue_transfers(actor)
    hidden_clocks = hidden_reply_clocks(session, actor, complaint.id)
    return CaseDetail(
        complaint=complaint,
        identity_redacted=identities is None and not complaint.is_anonymous,
        complainants=identities or [],
        timeline=[
            TimelineEntry.seen_by(e, actor)
            for e in timeline
            if (center or e.public or e.department_id == actor.department_id)
            and not (clue_transfers_hidden and is_clue_transfer_event(e))
        ],
        clocks=[c for c in clocks_of(session, complaint.id) if c.id not in hidden_clocks],
        notices=case_notices(session, actor, complaint.id),
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


@dataclass(frozen=True)
class SeenAttachment:
    """An attachment as a viewer sees it: the file name the uploader gave, and a photo's metadata (camera, owner,
    place), only where the uploader's identity may be seen (the center, on a case that is not anonymous) or the
    uploader is a department; else a neutral name and the picture alone."""

    attachment: Attachment
    original_name: str
    shows_uploader: bool  # False: a neutral name, and photos without their metadata (channel/uploads.py)

    def __getattr__(self, name: str) -> Any:
        if name == "attachment":  # not yet set (a copy being built): no recursion through the line below
            raise AttributeError(name)
        return getattr(self.attachment, name)


def visible_attachments(
    session: DbSession, actor: StaffActor, complaint: Complaint, *, identity_visible: bool
) -> list[SeenAttachment]:
    """A department does not see the authorization letter or licence (they name the complainant) unless the
    identity was revealed to it."""
    attachments = session.scalars(
        select(Attachment).where(Attachment.complaint_id == complaint.id).order_by(Attachment.id)
    )
    center_knows_who = is_center(actor) and not complaint.is_anonymous
    shown = [(a, center_knows_who or a.uploaded_by == "department") for a in attachments]
    return [
        SeenAttachment(a, a.original_name if whole else neutral_name(a), whole)
        for a, whole in shown
        if identity_visible or is_center(actor) or a.purpose not in IDENTIFYING_PURPOSES
    ]


def visible_attachment(
    session: DbSession,
    cipher: PersonalDataCipher,
    actor: StaffActor,
    complaint: Complaint,
    attachment_id: int,
    now: datetime,
) -> SeenAttachment:
    """One attachment of the case that the actor may see (departments never get identifying ones unless the
    identity was revealed to them), or NotFound."""
    found = next(
        (a for a in case_detail(session, cipher, actor, complaint, now).attachments if a.id == attachment_id), None
    )
    if found is None:
        raise NotFound("附件不存在或无权查看", code="attachment_not_found")
    return found
