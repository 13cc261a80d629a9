"""Registering a call or a walk-in (and printing the receipt), and searching cases."""

from __future__ import annotations

from flask import Response, render_template, request

from api.case_context import case_context, staff_actor
from api.settings import config, personal_data_cipher
from channel import walkin
from channel.receipt import receipt_page
from complaints import intake
from complaints.access import find_complainants_by_phone
from complaints.case_views import CaseFilters, search_cases
from complaints.complainants import PersonInput
from complaints.database import db, utcnow
from complaints.permissions import Action

from .blueprint import bp, page, parse
from .forms import RegisterForm


@bp.route("/register", methods=["GET", "POST"])
@page(Action.REGISTER_COMPLAINT)
def register() -> str | Response:
    if request.method == "GET":
        return render_template("console/register.html")
    form = parse(RegisterForm())
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
    response = Response(receipt_page(issued), status=201, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # the query code is on this page and nowhere else
    return response


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
    actor, now = staff_actor(), utcnow()
    text, phone = request.args.get("q", "").strip(), request.args.get("phone", "").strip()
    rows = search_cases(db.session, actor, CaseFilters(text=text, per_page=50), now).items if text else []
    matches = []
    if phone and actor.department_id is None:
        matches = find_complainants_by_phone(db.session, personal_data_cipher(), actor, phone, now)
    return render_template("console/search.html", rows=rows, q=text, phone=phone, matches=matches)
