"""The three notices: issue from a case, list, print (HTML and PDF with a CJK font), and the department's reply."""

from __future__ import annotations

from flask import Response, flash, render_template

from api.case_context import case_context, on_case, staff_actor
from api.settings import config
from channel.notice_pdf import notice_document, render_notice_pdf
from complaints import supervision
from complaints.database import db, utcnow
from complaints.departments import department_by_code
from complaints.permissions import Action
from complaints.workdays import china_day

from .blueprint import back, bp, page, parse
from .forms import NoticeForm, NoticeReplyForm


@bp.route("/notices")
@page(Action.VIEW_NOTICES)
def notices() -> str:
    return render_template(
        "console/notices.html",
        notices=supervision.visible_notices(db.session, staff_actor()),
        reply_due=supervision.notice_reply_due(db.session),
        today=china_day(utcnow()),
    )


@bp.route("/notices/<int:notice_id>")
@page(Action.VIEW_NOTICES)
def notice(notice_id: int) -> str:
    found = supervision.read_notice(db.session, staff_actor(), notice_id, utcnow())
    return render_template(
        "console/notice.html", notice=found, document=notice_document(db.session, found, config().center_name)
    )


@bp.route("/notices/<int:notice_id>.pdf")
@page(Action.VIEW_NOTICES)
def notice_pdf(notice_id: int) -> Response:
    found = supervision.read_notice(db.session, staff_actor(), notice_id, utcnow())
    pdf = render_notice_pdf(notice_document(db.session, found, config().center_name))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="notice-{found.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/<int:complaint_id>/notices", methods=["POST"])
@page(Action.ISSUE_NOTICE)
def issue_notice(complaint_id: int) -> Response:
    form = parse(NoticeForm())
    department = department_by_code(case_context().session, form["department_code"])
    issued = []
    on_case(
        complaint_id,
        lambda ctx, c: issued.append(
            supervision.issue_notice(
                ctx,
                c,
                kind=form["kind"],
                department=department,
                subject=form["subject"],
                body=form["body"],
                rectify_by=form["rectify_by"],
            )
        ),
    )
    flash(f"已签发{issued[0].label} {issued[0].number}", "info")
    return back("console.notice", notice_id=issued[0].id)


@bp.route("/notices/<int:notice_id>/reply", methods=["POST"])
@page(Action.REPLY_NOTICE)
def reply_notice(notice_id: int) -> Response:
    form = parse(NoticeReplyForm())
    ctx = case_context()
    found = supervision.own_notice(ctx.session, ctx.actor, notice_id)
    supervision.reply_to_notice(ctx, found, form["reply"])
    flash(f"已回复 {found.number}", "info")
    return back("console.notice", notice_id=notice_id)
