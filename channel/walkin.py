"""Walk-in reception: the printed receipt. Printing (or reprinting) issues a new query code and voids the old
one, because only the code's hash is stored: the printed code is always the valid one."""

from __future__ import annotations

from sqlalchemy import select

from complaints.cases import Complaint
from complaints.deadlines import Clock, Deadline
from complaints.intake import IntakeRecord, file_complaint
from complaints.machine import CaseContext
from complaints.triage_decisions import reissue_query_code
from complaints.workdays import china_day

from .receipt import Receipt, progress_url


def register(ctx: CaseContext, record: IntakeRecord, *, public_base_url: str, center_name: str) -> Receipt:
    """File a call or a visit and make its receipt with the query code the filing issued (no reissue)."""
    complaint, code = file_complaint(ctx, record)
    return _receipt(ctx, complaint, code, public_base_url, center_name)


def issue_receipt(ctx: CaseContext, complaint: Complaint, *, public_base_url: str, center_name: str) -> Receipt:
    """Reprint: a new query code, and the old one stops working."""
    code = reissue_query_code(ctx, complaint)
    return _receipt(ctx, complaint, code, public_base_url, center_name)


def _receipt(ctx: CaseContext, complaint: Complaint, code: str, public_base_url: str, center_name: str) -> Receipt:
    triage = ctx.session.scalar(
        select(Deadline).where(Deadline.complaint_id == complaint.id, Deadline.clock == Clock.TRIAGE.value)
    )
    return Receipt(
        center_name=center_name,
        reference=complaint.reference,
        query_code=code,
        submitted_on=china_day(complaint.submitted_at),
        acceptance_decided_by=triage.last_day if triage is not None else None,
        progress_url=progress_url(public_base_url, complaint.reference, code),
    )
