"""Registering a call or a walk-in (and printing the receipt), and searching cases."""

from __future__ import annotations

from datetime import date

from flask import Response, flash, redirect, render_template, request, session, url_for

from api.case_context import case_context, staff_actor
from api.settings import config, personal_data_cipher
from channel import walkin
from channel.receipt import Receipt, receipt_page
from complaints import intake
from complaints.access import find_complainants_by_phone
from complaints.case_views import CaseFilters, search_cases
from complaints.complainants import PersonInput
from complaints.database import db, utcnow
from complaints.errors import InvalidInput
from complaints.permissions import Action

from .blueprint import bp, page, page_number, page_size, parse, refusals_shown_on
from .forms import RegisterForm

PRINTED_RECEIPT = "printed_receipt"


@bp.route("/register", methods=["GET", "POST"])
@page(Action.REGISTER_COMPLAINT)
def register() -> str | Response:
    if request.method == "GET":
        return render_template("console/register.html")
    form = parse(RegisterForm(), form_page=lambda: render_template("console/register.html"))
    ctx = case_context()
    persons = [] if form["confidentiality"] == "anonymous" else [_person(form)]
    record = intake.IntakeRecord(
        channel=form["channel"],
        title=form["title"],
        content=form["content"],
        respondent=form["respondent"],
        place=form["place"],
        urgency=form["urgency"],
        confidentiality=form["confidentiality"],
        persons=persons,
    )
    settings = config()
    issued = walkin.register(ctx, record, public_base_url=settings.public_base_url, center_name=settings.center_name)
    session[PRINTED_RECEIPT] = _receipt_to_show(issued)
    return redirect(url_for("console.registered_receipt"), code=303)  # type: ignore[return-value]


@bp.route("/register/receipt")
@page(Action.REGISTER_COMPLAINT)
def registered_receipt() -> str | Response:
    """The receipt of the visitor just registered, shown once: reloading it shows it no more and files nothing
    twice (the registration answered with a redirect). A lost receipt is reprinted from the case page."""
    shown = session.pop(PRINTED_RECEIPT, None)
    if shown is None:
        flash("回执已显示过。如需再次打印，请在案件页“补打受理回执”（原查询码将作废）", "info")
        return redirect(url_for("console.register"))  # type: ignore[return-value]
    decided_by = shown["acceptance_decided_by"]
    receipt = Receipt(
        center_name=shown["center_name"],
        reference=shown["reference"],
        query_code=shown["query_code"],
        submitted_on=date.fromisoformat(shown["submitted_on"]),
        acceptance_decided_by=date.fromisoformat(decided_by) if decided_by else None,
        progress_url=shown["progress_url"],
    )
    response = Response(receipt_page(receipt), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # the query code is on this page and nowhere else
    return response


def _receipt_to_show(receipt: Receipt) -> dict[str, str | None]:
    """The receipt, held in the clerk's signed session cookie only until the next page shows it (the query code is
    stored nowhere else in the clear)."""
    return {
        "center_name": receipt.center_name,
        "reference": receipt.reference,
        "query_code": receipt.query_code,
        "submitted_on": receipt.submitted_on.isoformat(),
        "acceptance_decided_by": receipt.acceptance_decided_by.isoformat() if receipt.acceptance_decided_by else None,
        "progress_url": receipt.progress_url,
    }


def _person(form: dict[str, str]) -> PersonInput:
    if form["kind"] == "enterprise":
        return PersonInput(
            kind="enterprise",
            name=form["name"],
            phone=form["phone"],
            enterprise_name=form["enterprise_name"],
            credit_code=form["credit_code"],
        )
    return PersonInput(kind="individual", name=form["name"], phone=form["phone"])


@bp.route("/search")
@page(Action.VIEW_COMPLAINTS)
def search() -> str:
    text = request.args.get("q", "").strip()
    filters = CaseFilters(text=text, page=page_number(), per_page=page_size(50))
    found = search_cases(db.session, staff_actor(), filters, utcnow()) if text else None
    return render_template("console/search.html", found=found, q=text, phone="", matches=[])


@bp.route("/search/phone", methods=["POST"])
@page(Action.FIND_COMPLAINANT)
def search_by_phone() -> Response:
    """The phone lookup is a form posted with its CSRF token: the number stays out of the URL, and so out of access
    logs, browser history and the Referer of the next page. The answer is the page itself, never cached."""
    phone = request.form.get("phone", "").strip()
    refusals_shown_on(lambda: render_template("console/search.html", found=None, q="", phone=phone, matches=[]))
    if not phone:
        raise InvalidInput("请填写诉求人电话", code="phone_required")
    matches = find_complainants_by_phone(db.session, personal_data_cipher(), staff_actor(), phone, utcnow())
    page_html = render_template("console/search.html", found=None, q="", phone=phone, matches=matches, searched=True)
    response = Response(page_html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
