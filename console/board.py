"""The overdue and supervision board."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template

from complaints.board import supervision_board
from complaints.database import db, utcnow
from complaints.permissions import Action

from .blueprint import bp, page

SOON = timedelta(days=3)


@bp.route("/board")
@page(Action.SUPERVISE)
def board() -> str:
    now = utcnow()
    return render_template("console/board.html", board=supervision_board(db.session, now, now + SOON), now=now)
