"""The three notices: issue from a case, list, print (HTML and PDF with a CJK font), and the department's reply."""

from __future__ import annotations

from flask import Response, flash, render_template

from api.case_context import case_context, on_case, staff_actor
from api.settings import config
from channel.notice_pdf import notice_document, render_notice_pdf
from complaints import supervision
from complaints.access import get_visible
from complaints.database import db, utcnow
from complaints.departments import department_by_code, list_departments
from complaints.notice_lists import addressed_notice, notice_page, open_notice
from complaints.notices import NOTICE_LABELS, Notice
from complaints.permissions import Action
from complaints.workdays import china_day

from .blueprint import back, bp, page, page_number, page_size, parse
from .forms import NoticeForm, NoticeReplyForm

NOTICES_PER_PAGE = 50


@bp.route("/notices")
@page(Action.VIEW_NOTICES)
def notices() -> str:
    return render_template(
        "console/notices.html",
        found=notice_page(db.session, staff_actor(), page_number(), page_size(NOTICES_PER_PAGE)),
        today=china_day(utcnow()),
    )


@bp.route("/notices/<int:notice_id>")
@page(Action.VIEW_NOTICES)
def notice(notice_id: int) -> str:
    found = open_notice(db.session, staff_actor(), notice_id, utcnow())
    return _notice_page(found)


def _notice_page(found: Notice) -> str:
    return render_template(
        "console/notice.html", notice=found, document=notice_document(db.session, found, config().center_name)
    )


@bp.route("/notices/<int:notice_id>.pdf")
@page(Action.VIEW_NOTICES)
def notice_pdf(notice_id: int) -> Response:
    found = open_notice(db.session, staff_actor(), notice_id, utcnow())
    pdf = render_notice_pdf(notice_document(db.session, found, config().center_name))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="notice-{found.id}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/<int:complaint_id>/notices/new")
@page(Action.ISSUE_NOTICE)
def new_notice(complaint_id: int) -> str:
    return _issue_page(complaint_id)


def _issue_page(complaint_id: int) -> str:
    """The notice form on a page of its own; a refused notice comes back here with what was typed."""
    return render_template(
        "console/notice_form.html",
        complaint=get_visible(db.session, staff_actor(), complaint_id),
        kinds={kind.value: label for kind, label in NOTICE_LABELS.items()},
        departments=list_departments(db.session),
    )


@bp.route("/cases/<int:complaint_id>/notices", methods=["POST"])
@page(Action.ISSUE_NOTICE)
def issue_notice(complaint_id: int) -> Response:
    form = parse(NoticeForm(), form_page=lambda: _issue_page(complaint_id))
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
    form = parse(NoticeReplyForm(), form_page=lambda: _reply_page(notice_id))
    ctx = case_context()
    found = addressed_notice(ctx.session, ctx.actor, notice_id)
    supervision.reply_to_notice(ctx, found, form["reply"])
    flash(f"已回复 {found.number}", "info")
    return back("console.notice", notice_id=notice_id)


def _reply_page(notice_id: int) -> str:
    return _notice_page(open_notice(db.session, staff_actor(), notice_id, utcnow()))
