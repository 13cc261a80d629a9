"""Administration of reference data: categories, domains, departments (and the categories each handles), and the
deadline policies per clock, category and urgency."""

from __future__ import annotations

from flask import Response, flash, render_template, request

from api.case_context import staff_actor
from complaints import policies
from complaints.database import db, utcnow
from complaints.deadlines import CLOCK_LABELS, Clock
from complaints.departments import LEVEL_LABELS, add_department, list_departments
from complaints.permissions import Action
from complaints.taxonomy import Category, Domain, add_entry, category_by_code, list_categories, list_domains
from complaints.workdays import PeriodUnit

from .blueprint import back, bp, page, parse
from .forms import DepartmentForm, PolicyForm, TaxonomyForm


@bp.route("/admin/reference")
@page(Action.MANAGE_TAXONOMY)
def reference_data() -> str:
    return _reference_page()


def _reference_page() -> str:
    return render_template(
        "console/admin_reference.html",
        categories=list_categories(db.session),
        domains=list_domains(db.session),
        departments=list_departments(db.session),
        levels=LEVEL_LABELS,
    )


@bp.route("/admin/reference/<kind>", methods=["POST"])
@page(Action.MANAGE_TAXONOMY)
def add_reference(kind: str) -> Response:
    actor = staff_actor()
    if kind == "department":
        form = parse(DepartmentForm(), form_page=_reference_page)
        add_department(
            db.session,
            code=form["code"],
            name=form["name"],
            level=form["level"],
            parent_code=form["parent_code"],
            category_codes=request.form.getlist("category_codes"),
            actor_id=actor.id,
            actor_name=actor.name,
            now=utcnow(),
        )
    else:
        form = parse(TaxonomyForm(), form_page=_reference_page)
        models: dict[str, type[Category] | type[Domain]] = {"category": Category, "domain": Domain}
        model = models.get(kind)
        if model is None:
            return back("console.reference_data")
        add_entry(
            db.session,
            model,
            code=form["code"],
            name=form["name"],
            parent_code=form["parent_code"],
            actor_id=actor.id,
            actor_name=actor.name,
            now=utcnow(),
        )
    flash(f"已添加 {form['name']}", "info")
    return back("console.reference_data")


@bp.route("/admin/policies", methods=["GET", "POST"])
@page(Action.MANAGE_POLICIES)
def deadline_policies() -> str | Response:
    if request.method == "POST":
        form = parse(PolicyForm(), form_page=_policies_page)
        policies.set_policy(
            db.session,
            clock=Clock(form["clock"]),
            category_id=category_by_code(db.session, form["category_code"]).id if form["category_code"] else None,
            urgency=form["urgency"],
            length=form["length"],
            unit=PeriodUnit(form["unit"]),
            basis=form["basis"],
            now=utcnow(),
        )
        flash("期限策略已保存，此后开始的期限按新策略计算", "info")
        return back("console.deadline_policies")
    return _policies_page()


def _policies_page() -> str:
    return render_template(
        "console/admin_policies.html",
        policies=policies.list_policies(db.session),
        defaults=policies.DEFAULT_LIMITS,
        clocks=CLOCK_LABELS,
        categories=list_categories(db.session),
    )
