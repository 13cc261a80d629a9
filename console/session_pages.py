"""Signing in and out, the second factor, and the home page that sends each role to its desk."""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup

from api.auth import current_user
from api.settings import config, login_policy, personal_data_cipher
from channel.receipt import qr_svg
from complaints import second_factor as factor
from complaints import sessions
from complaints.database import db, utcnow
from complaints.errors import DomainError
from complaints.permissions import CENTER_ROLES, DEPARTMENT_ROLES, Role

from .blueprint import COOKIE, bp, deny, page


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if request.method == "GET":
        return render_template("console/login.html", next=request.args.get("next", ""))
    outcome = sessions.log_in(
        db.session,
        username=request.form.get("username", "").strip(),
        password=request.form.get("password", ""),
        ip_address=request.remote_addr,
        policy=login_policy(),
        now=utcnow(),
    )
    if isinstance(outcome, sessions.LoginRefused):
        status = 429 if outcome.error.code == "too_many_login_attempts" else 401
        html = render_template("console/login.html", error=outcome.error.message, next=request.form.get("next", ""))
        return Response(html, status=status)  # committed: the failure count and its audit event must stay
    target = request.form.get("next", "")
    response = redirect(target if target.startswith("/console/") and "//" not in target else url_for("console.index"))
    response.set_cookie(
        COOKIE,
        outcome.token,
        httponly=True,
        samesite="Strict",
        secure=config().is_production,
        path="/console",
        max_age=int(login_policy().absolute_lifetime.total_seconds()),
    )
    return response  # type: ignore[return-value]


@bp.route("/logout", methods=["POST"])
@page(None)
def logout() -> Response:
    sessions.log_out(db.session, g.staff_session, now=utcnow())
    response = redirect(url_for("console.login"))
    response.delete_cookie(COOKIE, path="/console")
    flash("已安全退出", "info")
    return response  # type: ignore[return-value]


@bp.route("/second-factor", methods=["GET", "POST"])
@page(None)
def second_factor() -> str | Response:
    if request.method == "POST":
        try:
            factor.verify(
                db.session,
                personal_data_cipher(),
                g.staff_session,
                request.form.get("code", ""),
                login_policy(),
                utcnow(),
            )
        except DomainError as error:
            return Response(render_template("console/second_factor.html", error=error.message), status=401)
        return redirect(url_for("console.index"))  # type: ignore[return-value]
    return render_template("console/second_factor.html")


@bp.route("/second-factor/setup", methods=["GET", "POST"])
@page(None)
def second_factor_setup() -> str | Response:
    user, cipher = current_user(), personal_data_cipher()
    if factor.is_enrolled(user) and g.staff_session.second_factor_at is None:
        return redirect(url_for("console.second_factor"))  # type: ignore[return-value]
    error = None
    if request.method == "POST" and request.form.get("code"):
        try:
            factor.confirm_enrollment(db.session, cipher, g.staff_session, request.form["code"], utcnow())
            flash("动态口令已启用，今后登录需输入手机上的六位口令", "info")
            return redirect(url_for("console.index"))  # type: ignore[return-value]
        except DomainError as err:
            error = err.message
    uri = factor.pending_uri(cipher, user) or factor.start_enrollment(cipher, user)
    secret = uri.split("secret=", 1)[1].split("&", 1)[0]
    qr = Markup(qr_svg(uri))  # noqa: S704 (an SVG we generate ourselves)
    required = user.role in factor.ADMIN_ROLES
    return render_template("console/second_factor_setup.html", qr=qr, secret=secret, error=error, required=required)


@bp.route("/")
@page(None)
def index() -> Response:
    role = Role(current_user().role)
    if role in DEPARTMENT_ROLES:
        return redirect(url_for("console.desk"))  # type: ignore[return-value]
    if role == Role.SUPERVISOR:
        return redirect(url_for("console.board"))  # type: ignore[return-value]
    if role in CENTER_ROLES:
        return redirect(url_for("console.triage"))  # type: ignore[return-value]
    return redirect(url_for("console.admin"))  # type: ignore[return-value]


@bp.route("/admin")
@page(None)
def admin() -> str | Response:
    """The administrators' home. Reached only past the second factor, which the hook requires of their roles."""
    if current_user().role not in factor.ADMIN_ROLES:
        return deny()
    return render_template("console/admin.html")
