"""Reading the notices: the ones a staff member may see, a page at a time (each with its reply deadline and its
case, linked where the reader may open it), and one notice by id under the same rule, in one query.

Center staff see every notice except clue transfers, which among them only the supervisor reads; a department
sees the notices addressed to it, a clue transfer only when it is the external body (纪委监委) the transfer went
to (one addressed to an ordinary department before issuing refused that stays unreadable there). Opening
a 线索移交单 is recorded (who saw the clue, when). A case's page hides what it would otherwise give away of a
clue transfer from those who may not read it: its reply clock and its timeline events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, or_, select

from . import audit
from .access import is_center, visible_complaints
from .cases import Complaint
from .database import DbSession
from .deadlines import Deadline
from .departments import Department
from .errors import NotFound
from .machine import StaffActor
from .notices import NUMBER_PREFIXES, Notice, NoticeKind
from .paging import Page, page_of
from .permissions import Role
from .timeline import TimelineEvent

CLUE_TRANSFER_READERS = frozenset({Role.SUPERVISOR.value})
CLUE_TRANSFER_RECEIVERS = "external"  # the department level a clue transfer may be addressed to


@dataclass(frozen=True)
class NoticeRow:
    notice: Notice
    reply_due: date | None
    case_reference: str | None
    case_visible: bool


def may_read_clue_transfers(actor: StaffActor) -> bool:
    """Among the center's staff, who reads clue transfers (the external body reads the ones sent to it)."""
    return is_center(actor) and actor.role in CLUE_TRANSFER_READERS


def visible(query: Select[Any], actor: StaffActor) -> Select[Any]:
    """``query`` over Notice narrowed to what ``actor`` may see."""
    if not is_center(actor):
        external = select(Department.id).where(Department.level == CLUE_TRANSFER_RECEIVERS)
        return query.where(
            Notice.department_id == actor.department_id,
            or_(Notice.kind != NoticeKind.CLUE_TRANSFER.value, Notice.department_id.in_(external)),
        )
    if not may_read_clue_transfers(actor):
        return query.where(Notice.kind != NoticeKind.CLUE_TRANSFER.value)
    return query


def visible_notices(session: DbSession, actor: StaffActor) -> list[Notice]:
    """Every notice the actor may see, newest first (the API's unpaged list)."""
    return list(session.scalars(visible(select(Notice).order_by(Notice.id.desc()), actor)))


def case_notices(session: DbSession, actor: StaffActor, complaint_id: int) -> list[Notice]:
    """The notices of one case the actor may see, oldest first."""
    return list(
        session.scalars(visible(select(Notice).where(Notice.complaint_id == complaint_id).order_by(Notice.id), actor))
    )


def hidden_reply_clocks(session: DbSession, actor: StaffActor, complaint_id: int) -> set[int]:
    """The reply clocks of the case's notices the actor may not see (a clue transfer's, another department's):
    a clock named 通知单回复 would tell of a notice the reader cannot open."""
    of_case = (Notice.complaint_id == complaint_id, Notice.reply_deadline_id.is_not(None))
    seen = visible(select(Notice.id).where(*of_case), actor)
    return set(session.scalars(select(Notice.reply_deadline_id).where(*of_case, Notice.id.not_in(seen))))


def is_clue_transfer_event(event: TimelineEvent) -> bool:
    """A clue transfer's issue or reply on a case's timeline: the notes :func:`complaints.supervision.issue_notice`
    and :func:`~complaints.supervision.reply_to_notice` write name the notice by its number, whose prefix is the
    kind's (法督移交); staff never write these actions' notes."""
    return event.action in ("notice_issued", "notice_replied") and NUMBER_PREFIXES[NoticeKind.CLUE_TRANSFER] in (
        event.note or ""
    )


def notice_page(session: DbSession, actor: StaffActor, page: int, per_page: int) -> Page[NoticeRow]:
    """Newest first. Only this page's reply deadlines and cases are loaded."""
    found = page_of(session, visible(select(Notice).order_by(Notice.id.desc()), actor), page, per_page)
    notices: list[Notice] = found.items
    due: dict[int, date] = dict(
        session.execute(
            select(Notice.id, Deadline.last_day)
            .join(Deadline, Deadline.id == Notice.reply_deadline_id)
            .where(Notice.id.in_([n.id for n in notices]))
        )
        .tuples()
        .all()
    )
    case_ids = {n.complaint_id for n in notices if n.complaint_id is not None}
    references: dict[int, str] = dict(
        session.execute(select(Complaint.id, Complaint.reference).where(Complaint.id.in_(case_ids))).tuples().all()
    )
    opens = set(
        session.scalars(visible_complaints(actor).with_only_columns(Complaint.id).where(Complaint.id.in_(case_ids)))
    )
    rows = [NoticeRow(n, due.get(n.id), references.get(n.complaint_id or 0), n.complaint_id in opens) for n in notices]
    return Page(rows, found.total, found.page, found.per_page)


def open_notice(session: DbSession, actor: StaffActor, notice_id: int, now: datetime) -> Notice:
    """The notice if the actor may see it (else NotFound, as if it did not exist), in one query; a clue transfer's
    opening is recorded."""
    notice: Notice | None = session.scalar(visible(select(Notice).where(Notice.id == notice_id), actor))
    if notice is None:
        raise NotFound("通知单不存在或无权查看", code="notice_not_found")
    if notice.kind == NoticeKind.CLUE_TRANSFER.value:
        audit.record(
            session,
            "notice.clue_transfer_read",
            actor_id=actor.id,
            actor_name=actor.name,
            ip_address=actor.ip_address,
            target=f"notice:{notice.id}",
            details={"number": notice.number},
            now=now,
        )
    return notice


def addressed_notice(session: DbSession, actor: StaffActor, notice_id: int) -> Notice:
    """A notice sent to the actor's own department and visible to it, for its written reply (else NotFound)."""
    query = visible(select(Notice).where(Notice.id == notice_id), actor)
    notice: Notice | None = session.scalar(query.where(Notice.department_id == actor.department_id))
    if notice is None or actor.department_id is None:
        raise NotFound("通知单不存在或不是发给本单位的", code="notice_not_found")
    return notice
