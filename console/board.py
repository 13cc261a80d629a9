"""The overdue and supervision board, with what waits on the supervisor: extension requests to decide and
replies to review."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template
from sqlalchemy import select

from complaints.board import supervision_board
from complaints.cases import CaseStatus, Complaint
from complaints.database import DbSession, db, utcnow
from complaints.legs import Extension
from complaints.permissions import Action

from .blueprint import bp, page

SOON = timedelta(days=3)
TO_REVIEW = (CaseStatus.REPLIED.value, CaseStatus.UNDER_REVIEW.value)


@bp.route("/board")
@page(Action.SUPERVISE)
def board() -> str:
    now = utcnow()
    return render_template(
        "console/board.html",
        board=supervision_board(db.session, now, now + SOON),
        extensions=pending_extensions(db.session),
        replies=replies_to_review(db.session),
        now=now,
    )


def pending_extensions(session: DbSession) -> list[Extension]:
    """Extension requests nobody has decided yet, oldest first (the lead department's clock runs meanwhile)."""
    return list(
        session.scalars(
            select(Extension).where(Extension.status == "requested").order_by(Extension.requested_at, Extension.id)
        )
    )


def replies_to_review(session: DbSession) -> list[Complaint]:
    """Cases whose lead department has replied, waiting for the center's review or closure, oldest first."""
    return list(
        session.scalars(
            select(Complaint).where(Complaint.status.in_(TO_REVIEW)).order_by(Complaint.submitted_at, Complaint.id)
        )
    )
