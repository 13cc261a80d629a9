"""What a new case has to do with earlier ones: repeats from the same complainant (merge suggestion), clusters of
cases against the same respondent (类案, which raise a risk alert), and similar closed cases with their replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from complaints import outbox
from complaints.cases import CaseStatus, Complaint
from complaints.complainants import Complainant, ComplaintParty
from complaints.database import DbSession
from complaints.legs import DepartmentLeg

from .records import RiskAlert
from .similarity import IndexCache, SimilarityIndex, bigrams, cosine
from .text import characters, join_title

SAME_COMPLAINANT_SIMILARITY = 0.5
ANYONE_SIMILARITY = 0.85
CANDIDATES = 200
NOT_COUNTED = (CaseStatus.WITHDRAWN.value, CaseStatus.MERGED.value)
MERGE_TARGETS = frozenset(
    s.value
    for s in (
        CaseStatus.ACCEPTED,
        CaseStatus.ASSIGNED,
        CaseStatus.IN_HANDLING,
        CaseStatus.REPLIED,
        CaseStatus.UNDER_REVIEW,
    )
)


@dataclass(frozen=True)
class Repeat:
    complaint_id: int
    reference: str
    similarity: float
    same_complainant: bool
    mergeable: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "complaint_id": self.complaint_id,
            "reference": self.reference,
            "similarity": round(self.similarity, 3),
            "same_complainant": self.same_complainant,
            "mergeable": self.mergeable,
        }


def complainant_keys(session: DbSession, complaint_ids: list[int]) -> dict[int, set[str]]:
    """Who stands behind each case, as comparable keys: the keyed phone hash and the enterprise's credit code."""
    keys: dict[int, set[str]] = {complaint_id: set() for complaint_id in complaint_ids}
    rows = session.execute(
        select(ComplaintParty.complaint_id, Complainant.phone_hash, Complainant.credit_code)
        .join(Complainant, Complainant.id == ComplaintParty.complainant_id)
        .where(ComplaintParty.complaint_id.in_(complaint_ids))
    )
    for complaint_id, phone_hash, credit_code in rows:
        keys[complaint_id] |= {f"phone:{phone_hash}"} if phone_hash else set()
        keys[complaint_id] |= {f"credit:{credit_code}"} if credit_code else set()
    return keys


def recent_related(session: DbSession, complaint: Complaint, since: datetime) -> list[Complaint]:
    """Recent cases against the same respondent or from the same complainant (most recent first)."""
    keys = complainant_keys(session, [complaint.id])[complaint.id]
    phones = [k.split(":", 1)[1] for k in keys if k.startswith("phone:")]
    credits = [k.split(":", 1)[1] for k in keys if k.startswith("credit:")]
    same_person = (
        select(ComplaintParty.complaint_id)
        .join(Complainant, Complainant.id == ComplaintParty.complainant_id)
        .where(or_(Complainant.phone_hash.in_(phones), Complainant.credit_code.in_(credits)))
    )
    return list(
        session.scalars(
            select(Complaint)
            .where(
                Complaint.id != complaint.id,
                Complaint.submitted_at >= since,
                Complaint.status.not_in(NOT_COUNTED),
                or_(Complaint.respondent == complaint.respondent, Complaint.id.in_(same_person)),
            )
            .order_by(Complaint.submitted_at.desc())
            .limit(CANDIDATES)
        )
    )


def find_repeats(complaint: Complaint, related: list[Complaint], keys: dict[int, set[str]]) -> list[Repeat]:
    """Earlier cases saying the same thing: from the same complainant, or nearly word for word from anyone."""
    mine = keys[complaint.id]
    text = bigrams(join_title(complaint.title, complaint.content))
    repeats = []
    for other in related:
        same = bool(mine & keys[other.id])
        similarity = cosine(text, bigrams(join_title(other.title, other.content)))
        if similarity >= (SAME_COMPLAINANT_SIMILARITY if same else ANYONE_SIMILARITY):
            repeats.append(Repeat(other.id, other.reference, similarity, same, other.status in MERGE_TARGETS))
    return sorted(repeats, key=lambda r: (not r.mergeable, -r.similarity))


def cluster_members(complaint: Complaint, related: list[Complaint], keys: dict[int, set[str]]) -> list[Complaint]:
    """The recent cases against the same respondent, one per complainant (a person's repeats count once)."""
    members, seen = [complaint], [keys[complaint.id]]
    for other in related:
        if other.respondent != complaint.respondent:
            continue
        theirs = keys[other.id]
        if theirs and any(theirs & earlier for earlier in seen):
            continue
        members.append(other)
        seen.append(theirs)
    return members


def raise_cluster_alert(
    session: DbSession, complaint: Complaint, members: list[Complaint], window_days: int, now: datetime
) -> RiskAlert:
    """Open (or extend) the respondent's risk alert; the center hears of it once, when it opens."""
    key = characters(complaint.respondent)[:200]
    alert = session.scalar(select(RiskAlert).where(RiskAlert.respondent_key == key, RiskAlert.status == "open"))
    ids = sorted({m.id for m in members} | set(alert.complaint_ids if alert else []))
    summary = f"近{window_days}日内针对「{complaint.respondent}」的投诉已有 {len(ids)} 件，可能存在类案风险"
    if alert is None:
        alert = RiskAlert(
            respondent_key=key,
            respondent=complaint.respondent,
            status="open",
            case_count=len(ids),
            complaint_ids=ids,
            summary=summary,
            raised_at=now,
            updated_at=now,
        )
        session.add(alert)
        session.flush()
        outbox.enqueue(
            session,
            "risk.alert",
            "center",
            now=now,
            complaint_id=complaint.id,
            payload={"reference": complaint.reference, "respondent": complaint.respondent, "count": str(len(ids))},
        )
    else:
        alert.complaint_ids, alert.case_count, alert.summary, alert.updated_at = ids, len(ids), summary, now
    return alert


_closed_index = IndexCache()


@dataclass(frozen=True)
class PastCase:
    complaint_id: int
    reference: str
    title: str
    similarity: float
    closed_at: datetime | None
    reply: str | None
    conclusion: str | None


def similar_closed_cases(session: DbSession, complaint: Complaint, k: int) -> list[PastCase]:
    """The k closed cases most like this one, with the replies they got (for triage and for drafting a reply)."""
    stamp = session.execute(
        select(func.count(Complaint.id), func.max(Complaint.closed_at), func.max(Complaint.id)).where(
            Complaint.status == CaseStatus.CLOSED.value
        )
    ).one()

    def build() -> SimilarityIndex:
        rows = session.execute(
            select(Complaint.id, Complaint.title, Complaint.content).where(Complaint.status == CaseStatus.CLOSED.value)
        ).all()
        return SimilarityIndex([r.id for r in rows], [join_title(r.title, r.content) for r in rows])

    index = _closed_index.get((str(session.get_bind().engine.url), tuple(stamp)), build)
    neighbours = index.nearest(join_title(complaint.title, complaint.content), k, exclude=complaint.id)
    cases = {c.id: c for c in session.scalars(select(Complaint).where(Complaint.id.in_([n.key for n in neighbours])))}
    replies = _lead_replies(session, list(cases))
    return [
        PastCase(
            n.key,
            cases[n.key].reference,
            cases[n.key].title,
            n.similarity,
            cases[n.key].closed_at,
            replies.get(n.key),
            cases[n.key].conclusion,
        )
        for n in neighbours
        if n.key in cases
    ]


def _lead_replies(session: DbSession, complaint_ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(DepartmentLeg.complaint_id, DepartmentLeg.reply)
        .where(
            DepartmentLeg.complaint_id.in_(complaint_ids),
            DepartmentLeg.role == "lead",
            DepartmentLeg.reply.is_not(None),
        )
        .order_by(DepartmentLeg.round)
    )
    return {row.complaint_id: row.reply for row in rows}


def window_start(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
