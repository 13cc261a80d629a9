"""Filing a complaint: every channel's normalized intake record becomes one case in one transaction
(case row, parties, triage clock, timeline event, outbox rows)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from . import outbox
from .cases import CHANNELS, CONFIDENTIALITY, URGENCIES, CaseStatus, Complaint, SupervisionLevel
from .complainants import PARTY_ROLES, ComplaintParty, PersonInput, create_complainant
from .crypto import PersonalDataCipher
from .deadlines import Clock, start_deadline
from .departments import department_by_code
from .errors import InvalidInput, NotFound
from .machine import CaseContext, record_event
from .numbering import next_number
from .policies import limit_for
from .taxonomy import category_by_code, domain_by_code
from .workdays import china_day

QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH = 10
EARLIEST_DUE_YEAR, LATEST_DUE_YEAR = 2000, 2200  # beyond, a date cannot even be stored in UTC
CHANNEL_HOTLINE = "hotline"
HINT_SHOWN_CHARS = 80


@dataclass(frozen=True)
class IntakeRecord:
    """One complaint as any channel hands it over, before it becomes a case."""

    channel: str
    title: str
    content: str
    respondent: str
    persons: list[PersonInput] = field(default_factory=list)
    confidentiality: str = "confidential"
    urgency: str = "normal"
    place: str | None = None
    category_code: str | None = None  # staff's choice; from outside the center only a hint (see _classify)
    domain_code: str | None = None
    respondent_department_code: str | None = None
    external_ref: str | None = None
    external_due_at: datetime | None = None
    owner_account_id: int | None = None  # the mini-program account that filed it (never for anonymous cases)
    content_flag: str | None = None  # "review" when msgSecCheck asked for a person to look


def new_query_code() -> str:
    """About 49 bits from an alphabet without look-alikes (no 0/O, 1/I/L), easy to read out on the phone."""
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def query_code_digest(cipher: PersonalDataCipher, code: str) -> str:
    return cipher.lookup_hash("query-code:" + code.strip().upper())


def file_complaint(ctx: CaseContext, record: IntakeRecord) -> tuple[Complaint, str]:
    """Create the case; returns it with its query code, which exists nowhere else once this returns.

    Everything that only reads or computes comes first; the reference number, the first write, is taken last,
    so the write transaction (SQLite's database lock, PostgreSQL's lock on the year's counter row) spans only
    the inserts and the commit, not the encryption and lookups of concurrent filings.
    """
    _validate(record)
    session, now = ctx.session, ctx.now
    query_code = new_query_code()
    complaint = Complaint(
        query_code_hash=query_code_digest(ctx.cipher, query_code),
        status=CaseStatus.SUBMITTED.value,
        supervision_level=SupervisionLevel.NONE.value,
        channel=record.channel,
        urgency=record.urgency,
        confidentiality=record.confidentiality,
        title=record.title.strip(),
        content=record.content.strip(),
        place=record.place,
        respondent=record.respondent.strip(),
        external_ref=record.external_ref,
        external_due_at=record.external_due_at,
        owner_account_id=record.owner_account_id,
        content_flag=record.content_flag,
        redo_count=0,
        submitted_at=now,
        registered_by_id=ctx.actor.id,
    )
    unknown_hint = _classify(ctx, complaint, record)
    limit = limit_for(session, Clock.TRIAGE, category_id=complaint.category_id, urgency=complaint.urgency)
    parties = [
        ComplaintParty(complainant=create_complainant(session, ctx.cipher, person, now), role=person.role)
        for person in record.persons
    ]
    with session.no_autoflush:
        year = china_day(now).year
        complaint.reference = f"FZ{year}-{next_number(session, 'complaint', year):06d}"
    complaint.parties.extend(parties)
    session.add(complaint)
    session.flush()
    start_deadline(
        session,
        ctx.calendar,
        start=now,
        length=limit.length,
        unit=limit.unit,
        now=now,
        clock=Clock.TRIAGE,
        complaint_id=complaint.id,
    )
    record_event(
        ctx, complaint, "submitted", public=True, to_status=CaseStatus.SUBMITTED, note=_unknown_hint_note(unknown_hint)
    )
    session.info["case_filed"] = True  # after the commit, the triage job is woken (see api/transaction.py)
    notify_complainant(ctx, complaint, "complaint.received")
    return complaint, query_code


def notify_complainant(ctx: CaseContext, complaint: Complaint, event: str, **extra: str) -> None:
    """Queue a message to the complainant (none for an anonymous case: there is no one on file to reach) and,
    for a 12345 work order, the same event to the hotline platform."""
    if not complaint.is_anonymous:
        outbox.enqueue(
            ctx.session,
            event,
            "complainant",
            now=ctx.now,
            complaint_id=complaint.id,
            payload=_event_payload(complaint, extra),
        )
    notify_hotline(ctx, complaint, event, **extra)


def notify_hotline(ctx: CaseContext, complaint: Complaint, event: str, **extra: str) -> None:
    """Queue the callback that tells the 12345 platform what became of an order it pushed, anonymous or not (the
    callback carries the order id and the status, no identity). Nothing for cases not pushed by the platform."""
    if complaint.channel != CHANNEL_HOTLINE or not complaint.external_ref:
        return
    payload = _event_payload(complaint, extra)
    outbox.enqueue(ctx.session, event, "hotline", now=ctx.now, complaint_id=complaint.id, payload=payload)


def _event_payload(complaint: Complaint, extra: dict[str, str]) -> dict[str, str]:
    """The reference and the status this event left the case in (messages are sent later, when the case may have
    moved on), never the text or personal data."""
    return {"reference": complaint.reference, "status": complaint.status, **extra}


def _classify(ctx: CaseContext, complaint: Complaint, record: IntakeRecord) -> str | None:
    """Set the category, domain and respondent department; returns a category hint that matched no category.

    Staff choose a category from the directory, so an unknown code is their mistake and is refused. From outside
    the center (the mini-program, a 12345 push: no staff member acting) the category is only the filer's hint: an
    unknown one must not block filing (the platform would retry a refused push forever), so the case is filed
    without a category and the hint is noted on its timeline for whoever triages it.
    """
    unknown_hint = None
    category_code = (record.category_code or "").strip()
    if category_code:
        try:
            complaint.category_id = category_by_code(ctx.session, category_code).id
        except NotFound:
            if ctx.actor.id is not None:
                raise
            unknown_hint = category_code
    if record.domain_code:
        complaint.domain_id = domain_by_code(ctx.session, record.domain_code).id
    if record.respondent_department_code:
        try:
            complaint.respondent_department_id = department_by_code(ctx.session, record.respondent_department_code).id
        except NotFound:
            raise InvalidInput("被投诉单位不在承办单位名录中", code="unknown_department") from None
    return unknown_hint


def _unknown_hint_note(hint: str | None) -> str | None:
    """Internal: a note on the ``submitted`` event is never shown to the complainant (see complaints/timeline.py)."""
    if hint is None:
        return None
    shown = hint if len(hint) <= HINT_SHOWN_CHARS else hint[: HINT_SHOWN_CHARS - 1] + "…"
    return f"来件分类提示“{shown}”不在问题类型目录中，已按未分类登记，请分流时确定问题类型"


def _validate(record: IntakeRecord) -> None:
    if record.channel not in CHANNELS:
        raise InvalidInput("受理渠道不正确", code="invalid_channel")
    if record.urgency not in URGENCIES:
        raise InvalidInput("紧急程度不正确", code="invalid_urgency")
    if record.confidentiality not in CONFIDENTIALITY:
        raise InvalidInput("保密方式不正确", code="invalid_confidentiality")
    if record.external_due_at is not None and not EARLIEST_DUE_YEAR <= record.external_due_at.year <= LATEST_DUE_YEAR:
        raise InvalidInput("外部办理时限的日期超出范围", code="invalid_due_date")
    if not record.title.strip() or not record.content.strip() or not record.respondent.strip():
        raise InvalidInput("请填写标题、诉求内容和被投诉单位", code="missing_fields")
    roles = [person.role for person in record.persons]
    if any(role not in PARTY_ROLES for role in roles):
        raise InvalidInput("诉求人角色不正确", code="invalid_party_role")
    if record.confidentiality == "anonymous":
        if record.persons:
            raise InvalidInput("匿名投诉不登记诉求人身份", code="anonymous_with_identity")
    elif roles.count("principal") != 1:
        raise InvalidInput("实名投诉须有且仅有一名主诉求人", code="principal_required")
