"""Documents the complainant is owed, built from the case: 受理告知书, 不予受理告知书, 延期告知, 答复意见书.

This module decides what each document says; the API renders it as a printable page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from .cases import CaseStatus, Complaint
from .complainants import Identity
from .database import DbSession
from .errors import NotFound
from .legs import Extension
from .machine import InvalidTransition
from .timeline import TimelineEvent
from .workdays import china_day

KINDS = {
    "acceptance": "受理告知书",
    "rejection": "不予受理告知书",
    "extension": "延期告知书",
    "reply": "答复意见书",
}


@dataclass(frozen=True)
class Document:
    kind: str
    title: str
    reference: str
    addressee: str
    paragraphs: list[str]
    issuer: str
    issued_on: date


def build_document(
    session: DbSession, complaint: Complaint, kind: str, identities: list[Identity] | None, center_name: str
) -> Document:
    if kind not in KINDS:
        raise NotFound("文书类型不存在", code="unknown_document")
    paragraphs, issued_at = _body(session, complaint, kind)
    return Document(
        kind=kind,
        title=KINDS[kind],
        reference=complaint.reference,
        addressee=_addressee(identities),
        paragraphs=paragraphs,
        issuer=center_name,
        issued_on=china_day(issued_at),
    )


def _body(session: DbSession, complaint: Complaint, kind: str) -> tuple[list[str], datetime]:
    submitted = china_day(complaint.submitted_at)
    intro = f"您于{submitted:%Y年%m月%d日}反映的“{complaint.title}”一事（受理编号 {complaint.reference}），"
    if kind == "acceptance":
        if complaint.accepted_at is None:
            raise InvalidTransition("案件尚未受理，不能出具受理告知书")
        return [
            intro + "经审查，符合受理条件，本中心决定予以受理。",
            "本中心将依法转交有关单位办理，并督促其在规定期限内办结。您可凭受理编号和查询码查询办理进度。",
            "根据《信访工作条例》，我们将对您的个人信息和反映事项严格保密。",
        ], complaint.accepted_at
    if kind == "rejection":
        if complaint.status != CaseStatus.REJECTED:
            raise InvalidTransition("案件未作不予受理决定")
        return [
            intro + f"经审查，{complaint.rejection_reason}，本中心决定不予受理。",
            f"您反映的事项，可以依法通过{complaint.lawful_channel}途径解决。",
        ], _decision_time(session, complaint)
    if kind == "extension":
        extension = session.scalar(
            select(Extension).where(Extension.complaint_id == complaint.id, Extension.status == "approved")
        )
        if extension is None or extension.decided_at is None:
            raise InvalidTransition("案件没有经批准的延期")
        return [
            intro + f"因{extension.reason}，经批准，办理期限延长{extension.days}日。",
            "延期期间，本中心将继续督促承办单位办理，并及时告知您办理结果。",
        ], extension.decided_at
    if complaint.closed_at is None or complaint.conclusion is None:
        raise InvalidTransition("案件尚未办结，不能出具答复意见书")
    return [
        intro + "经承办单位办理、本中心审核，现答复如下：",
        complaint.conclusion,
        "如对本答复意见不服，可以自收到本意见书之日起30日内申请复查。",
    ], complaint.closed_at


def _decision_time(session: DbSession, complaint: Complaint) -> datetime:
    decided = session.scalar(
        select(TimelineEvent.occurred_at).where(
            TimelineEvent.complaint_id == complaint.id, TimelineEvent.action == "reject"
        )
    )
    return decided or complaint.submitted_at


def _addressee(identities: list[Identity] | None) -> str:
    if not identities:
        return "诉求人"
    principal = next((identity for identity in identities if identity.role == "principal"), identities[0])
    return principal.enterprise_name or principal.name or "诉求人"
