"""Triage outcomes (受理 · 不予受理 · 并案 · 转送) and withdrawal, all from ``submitted``."""

from __future__ import annotations

from . import deadlines
from .cases import CaseStatus, Complaint
from .deadlines import Clock
from .errors import InvalidInput
from .handling import start_assignment_clock
from .intake import new_query_code, notify_complainant, notify_hotline, query_code_digest
from .machine import FINAL_STATUSES, CaseContext, InvalidTransition, move_case, record_event


def accept(ctx: CaseContext, complaint: Complaint, note: str | None = None) -> None:
    """受理: the triage clock stops and the center's 交办 clock starts, running until a department is assigned."""
    move_case(ctx, complaint, "accept", note=note)
    complaint.accepted_at = ctx.now
    _stop_triage_clock(ctx, complaint)
    start_assignment_clock(ctx, complaint)
    notify_complainant(ctx, complaint, "complaint.accepted")


def reject(ctx: CaseContext, complaint: Complaint, *, reason: str, lawful_channel: str) -> None:
    """不予受理: the reason and the lawful channel (court, arbitration, reconsideration …) are both required."""
    if not reason.strip() or not lawful_channel.strip():
        raise InvalidInput("不予受理须写明理由和依法应当通过的途径", code="reason_and_channel_required")
    complaint.rejection_reason = reason.strip()
    complaint.lawful_channel = lawful_channel.strip()
    move_case(ctx, complaint, "reject", note=f"{reason.strip()}（建议途径：{lawful_channel.strip()}）")
    _stop_triage_clock(ctx, complaint)
    notify_complainant(ctx, complaint, "complaint.rejected", lawful_channel=complaint.lawful_channel)


def merge(ctx: CaseContext, complaint: Complaint, target: Complaint, note: str | None = None) -> None:
    if target.id == complaint.id:
        raise InvalidInput("不能并入案件本身", code="merge_into_itself")
    if CaseStatus(target.status) in FINAL_STATUSES or CaseStatus(target.status) == CaseStatus.SUBMITTED:
        raise InvalidTransition(f"目标案件 {target.reference} 当前不能接收并案（须为已受理的在办或已办结案件）")
    complaint.merged_into_id = target.id
    move_case(ctx, complaint, "merge", note=f"并入 {target.reference}" + (f"：{note}" if note else ""))
    record_event(ctx, target, "merged_in", note=f"{complaint.reference} 并入本案", public=False)
    _stop_triage_clock(ctx, complaint)
    notify_complainant(ctx, complaint, "complaint.merged", merged_into=target.reference)


def transfer(ctx: CaseContext, complaint: Complaint, *, body: str, reason: str) -> None:
    if not body.strip():
        raise InvalidInput("请写明转送的机关或单位", code="transfer_body_required")
    complaint.transferred_to = body.strip()
    move_case(ctx, complaint, "transfer", note=f"转送{body.strip()}：{reason.strip()}")
    _stop_triage_clock(ctx, complaint)
    notify_complainant(ctx, complaint, "complaint.transferred", transferred_to=complaint.transferred_to)


def withdraw(ctx: CaseContext, complaint: Complaint, reason: str | None = None) -> None:
    """The complainant withdrew, so they need no message; a 12345 platform does, or its work order stays open."""
    move_case(ctx, complaint, "withdraw", note=reason)
    _stop_triage_clock(ctx, complaint)
    notify_hotline(ctx, complaint, "complaint.withdrawn")


def reissue_query_code(ctx: CaseContext, complaint: Complaint) -> str:
    """A new query code; the old one stops working at once."""
    code = new_query_code()
    complaint.query_code_hash = query_code_digest(ctx.cipher, code)
    record_event(ctx, complaint, "query_code_reissued", note="查询码已重新生成，原查询码作废", public=True)
    return code


def _stop_triage_clock(ctx: CaseContext, complaint: Complaint) -> None:
    clock = deadlines.open_clock(ctx.session, complaint.id, Clock.TRIAGE)
    if clock is not None:
        deadlines.stop(clock, ctx.now)
