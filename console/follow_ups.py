"""回访: the work list of closed cases to visit, the verdict recorded by phone, and the counts per department."""

from __future__ import annotations

from flask import Response, flash, render_template

from api.case_context import on_case
from complaints import after_closure
from complaints.database import db
from complaints.follow_ups import follow_up_counts, follow_up_work_list
from complaints.permissions import Action

from .blueprint import back, bp, page, page_number, page_size, parse
from .forms import FollowUpForm

FOLLOW_UPS_PER_PAGE = 20


@bp.route("/follow-ups")
@page(Action.RECORD_FOLLOW_UP)
def follow_ups() -> str:
    return _follow_ups_page()


def _follow_ups_page() -> str:
    return render_template(
        "console/follow_ups.html",
        found=follow_up_work_list(db.session, page_number(), page_size(FOLLOW_UPS_PER_PAGE)),
        counts=follow_up_counts(db.session),
    )


@bp.route("/cases/<int:complaint_id>/follow-up", methods=["POST"])
@page(Action.RECORD_FOLLOW_UP)
def record_follow_up(complaint_id: int) -> Response:
    form = parse(FollowUpForm(), form_page=_follow_ups_page)
    complaint = on_case(
        complaint_id,
        lambda ctx, c: after_closure.record_follow_up(
            ctx, c, outcome=form["outcome"], comment=form["comment"], source="staff"
        ),
    )
    verdict = "满意，案件终结" if form["outcome"] == "satisfied" else "不满意，已重新交办承办单位"
    flash(f"{complaint.reference} 回访结果：{verdict}", "info")
    return back("console.follow_ups")
