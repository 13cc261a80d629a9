"""Who may see which case, and the complainant's identity.

Center staff see every case. A department handler or head sees only cases with a leg for their department,
and never the complainant's identity unless a supervisor revealed it to that department. Every read of
personal data is written to the audit trail (``personal_data.read``), which is append-only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, exists, or_, select

from . import audit
from .cases import Complaint
from .complainants import Complainant, ComplaintParty, Identity, find_by_phone, reveal
from .crypto import PersonalDataCipher
from .database import DbSession
from .disclosures import is_disclosed
from .errors import NotFound
from .legs import DepartmentLeg, LegStatus
from .machine import StaffActor
from .permissions import CENTER_ROLES, DEPARTMENT_ROLES, Role


def is_center(actor: StaffActor) -> bool:
    return Role(actor.role) in CENTER_ROLES


def visible_complaints(actor: StaffActor) -> Select[tuple[Complaint]]:
    query = select(Complaint)
    if is_center(actor):
        return query
    if Role(actor.role) in DEPARTMENT_ROLES and actor.department_id is not None:
        has_leg = exists().where(
            DepartmentLeg.complaint_id == Complaint.id, DepartmentLeg.department_id == actor.department_id
        )
        return query.where(has_leg)
    return query.where(Complaint.id.is_(None))


def get_visible(session: DbSession, actor: StaffActor, complaint_id: int) -> Complaint:
    """The case, or NotFound when it does not exist or the actor may not see it (the two look the same)."""
    complaint = session.scalar(visible_complaints(actor).where(Complaint.id == complaint_id))
    if complaint is None:
        raise NotFound("案件不存在或无权查看", code="complaint_not_found")
    return complaint


def get_visible_by_reference(session: DbSession, actor: StaffActor, reference: str) -> Complaint:
    complaint = session.scalar(visible_complaints(actor).where(Complaint.reference == reference.strip().upper()))
    if complaint is None:
        raise NotFound("案件不存在或无权查看", code="complaint_not_found")
    return complaint


LEFT_THE_CASE = (LegStatus.OBJECTED, LegStatus.CANCELLED)


def get_own_leg(session: DbSession, actor: StaffActor, complaint_id: int, leg_id: int) -> DepartmentLeg:
    leg = session.get(DepartmentLeg, leg_id)
    if leg is None or leg.complaint_id != complaint_id or leg.department_id != actor.department_id:
        raise NotFound("承办任务不存在或不属于本单位", code="leg_not_found")
    return leg


def may_see_identity(session: DbSession, actor: StaffActor, complaint: Complaint) -> bool:
    """The center, or a department the identity was revealed to while it still has its part in the case: a
    department that objected or whose leg was cancelled no longer sees who complained."""
    if complaint.is_anonymous:
        return False
    if is_center(actor):
        return True
    if actor.department_id is None or not is_disclosed(session, complaint.id, actor.department_id):
        return False
    return any(leg.department_id == actor.department_id and leg.status not in LEFT_THE_CASE for leg in complaint.legs)


def read_identities(
    session: DbSession,
    cipher: PersonalDataCipher,
    actor: StaffActor,
    complaint: Complaint,
    purpose: str,
    now: datetime,
) -> list[Identity] | None:
    """The decrypted complainants, logged as a read of personal data; None when the actor may not see them."""
    if not may_see_identity(session, actor, complaint):
        return None
    identities = [reveal(cipher, party.complainant, party.role) for party in complaint.parties]
    if identities:
        record_personal_data_read(
            session,
            actor,
            f"complaint:{complaint.id}",
            [identity.id for identity in identities],
            now,
            purpose=purpose,
            reference=complaint.reference,
        )
    return identities


def record_personal_data_read(
    session: DbSession, actor: StaffActor, target: str, complainant_ids: list[int], now: datetime, **details: object
) -> None:
    """The audit event every read of decrypted personal data leaves: who, whose, where and why."""
    audit.record(
        session,
        "personal_data.read",
        actor_id=actor.id,
        actor_name=actor.name,
        ip_address=actor.ip_address,
        target=target,
        details={**details, "complainant_ids": complainant_ids},
        now=now,
    )


def search_filter(query: Select[tuple[Complaint]], text: str, *, by_complainant: bool) -> Select[tuple[Complaint]]:
    """Cases whose reference, title, text or respondent contains ``text`` as typed (% and _ too), and, when
    ``by_complainant``, whose complaining enterprise's name or credit code matches. Only for those who may see
    identities: for a department, a hit on a name it was never told would say who complained."""
    typed = text.strip()
    matches = [
        Complaint.reference.icontains(typed, autoescape=True),
        Complaint.title.icontains(typed, autoescape=True),
        Complaint.content.icontains(typed, autoescape=True),
        Complaint.respondent.icontains(typed, autoescape=True),
    ]
    if by_complainant:
        matches.append(
            exists().where(
                ComplaintParty.complaint_id == Complaint.id,
                ComplaintParty.complainant_id == Complainant.id,
                or_(
                    Complainant.enterprise_name.icontains(typed, autoescape=True),
                    Complainant.credit_code == typed.upper(),
                ),
            )
        )
    return query.where(or_(*matches))


def find_complainants_by_phone(
    session: DbSession, cipher: PersonalDataCipher, actor: StaffActor, phone: str, now: datetime
) -> list[tuple[Identity, list[str]]]:
    """Center staff find a complainant by phone (through the keyed hash); the read is logged."""
    found = []
    for complainant in find_by_phone(session, cipher, phone):
        references = list(
            session.scalars(
                select(Complaint.reference)
                .join(ComplaintParty, ComplaintParty.complaint_id == Complaint.id)
                .where(ComplaintParty.complainant_id == complainant.id)
                .order_by(Complaint.id)
            )
        )
        found.append((reveal(cipher, complainant, "principal"), references))
    if found:
        record_personal_data_read(
            session, actor, "complainant_search", [i.id for i, _ in found], now, purpose="phone_lookup"
        )
    return found
