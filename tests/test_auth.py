"""Staff login, tokens, lockout, timeouts and the default-deny permission check."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from api.auth import OWN_ACCESS_BLUEPRINTS, PUBLIC_BLUEPRINTS
from complaints import sessions
from complaints.audit import AuditEvent
from complaints.database import db, utcnow
from complaints.errors import AuthenticationFailed
from complaints.permissions import PERMISSIONS, Action, Role, is_allowed
from complaints.staff import StaffSession

from .conftest import PASSWORD, reload_user

Login = Callable[..., dict[str, str]]
MakeUser = Callable[..., int]


def audit_actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_login_returns_a_long_random_token_stored_only_as_digest(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    make_user("triage1", Role.TRIAGE_OFFICER)
    response = client.post("/api/v1/session", json={"username": "Triage1", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    token = body["token"]
    assert len(token) >= 43  # 32 random bytes, url-safe base64: 256 bits
    assert body["user"]["role"] == "triage_officer" and body["user"]["role_label"] == "分办员"
    with app.app_context():
        stored = db.session.scalars(select(StaffSession.token_digest)).all()
    assert stored == [sessions.token_digest(token)]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["username"] == "triage1"
    assert audit_actions(app)[-1] == "auth.login_succeeded"


def test_five_wrong_passwords_lock_the_account(app: Flask, client: FlaskClient, make_user: MakeUser) -> None:
    user_id = make_user("clerk1", Role.INTAKE_CLERK)
    for _ in range(4):
        response = client.post("/api/v1/session", json={"username": "clerk1", "password": "wrong"})
        assert response.status_code == 401
        assert response.get_json()["code"] == "invalid_credentials"
    fifth = client.post("/api/v1/session", json={"username": "clerk1", "password": "wrong"})
    assert fifth.status_code == 403
    assert fifth.get_json()["code"] == "account_locked"
    assert "锁定" in fifth.get_json()["message"]
    correct = client.post("/api/v1/session", json={"username": "clerk1", "password": PASSWORD})
    assert correct.status_code == 403 and correct.get_json()["code"] == "account_locked"
    assert reload_user(app, user_id).locked_until is not None
    actions = audit_actions(app)
    assert actions.count("auth.login_failed") == 6
    assert actions.count("auth.account_locked") == 1


def test_a_failed_login_under_an_unknown_name_keeps_the_name_masked(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    """People type their password into the name field: what no account is called is kept only masked."""
    make_user("clerk1", Role.INTAKE_CLERK)
    for username in ("Tr0ub4dor&3xyz", "clerk1"):
        response = client.post("/api/v1/session", json={"username": username, "password": "wrong"})
        assert response.status_code == 401
    with app.app_context():
        names = list(
            db.session.scalars(
                select(AuditEvent.actor_name).where(AuditEvent.action == "auth.login_failed").order_by(AuditEvent.id)
            )
        )
    assert names == ["T************z", "clerk1"]


def test_wrong_passwords_sent_at_once_are_each_counted_and_lock_the_account(app: Flask, make_user: MakeUser) -> None:
    """Sent together, the guesses all read the account before any wrote it: counted in Python they overwrote each
    other (eight guesses left a count of one and no lock)."""
    user_id = make_user("clerk1", Role.INTAKE_CLERK)
    guesses = 8
    start = threading.Barrier(guesses)
    codes: list[str] = []

    def guess(number: int) -> None:
        client = app.test_client()
        start.wait()
        response = client.post("/api/v1/session", json={"username": "clerk1", "password": f"wrong-{number}"})
        codes.append(response.get_json()["code"])

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(codes) == guesses and "account_locked" in codes
    assert reload_user(app, user_id).locked_until is not None
    assert audit_actions(app).count("auth.account_locked") >= 1


def test_security_admin_unlocks_a_locked_account(
    app: Flask, client: FlaskClient, make_user: MakeUser, login: Login
) -> None:
    user_id = make_user("clerk1", Role.INTAKE_CLERK)
    make_user("sec", Role.SECURITY_ADMIN)
    make_user("sys", Role.SYSTEM_ADMIN)
    for _ in range(5):
        client.post("/api/v1/session", json={"username": "clerk1", "password": "wrong"})
    assert client.post(f"/api/v1/users/{user_id}/unlock", headers=login("sys")).status_code == 403
    response = client.post(f"/api/v1/users/{user_id}/unlock", headers=login("sec"))
    assert response.status_code == 200 and response.get_json()["locked_until"] is None
    assert client.post("/api/v1/session", json={"username": "clerk1", "password": PASSWORD}).status_code == 201


def test_department_handler_cannot_call_a_supervisor_action(
    app: Flask, client: FlaskClient, make_user: MakeUser, login: Login, department: str
) -> None:
    supervisor_only = Blueprint("supervisor_probe", __name__)

    @supervisor_only.route("/api/v1/probe/approve-extension", methods=["POST"])
    def approve_extension() -> dict[str, bool]:
        return {"approved": True}

    approve_extension.permission = Action.APPROVE_EXTENSION  # type: ignore[attr-defined]
    app.register_blueprint(supervisor_only)
    make_user("handler", Role.DEPARTMENT_HANDLER, department)
    make_user("boss", Role.SUPERVISOR)

    denied = client.post("/api/v1/probe/approve-extension", headers=login("handler"))
    assert denied.status_code == 403
    assert denied.get_json() == {"code": "forbidden", "message": "您的角色无权执行此操作", "details": None}
    assert client.post("/api/v1/probe/approve-extension", headers=login("boss")).get_json() == {"approved": True}
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.permission_denied")).one()
    assert event.actor_name == "handler"
    assert event.details == {"action": "extension.approve", "role": "department_handler"}


def test_endpoint_without_a_declared_action_is_denied_to_everyone(
    app: Flask, client: FlaskClient, make_user: MakeUser, login: Login
) -> None:
    forgotten = Blueprint("forgotten", __name__)

    @forgotten.route("/api/v1/forgotten")
    def unmarked() -> str:
        return "should never be served"

    app.register_blueprint(forgotten)
    make_user("sys", Role.SYSTEM_ADMIN)
    assert client.get("/api/v1/forgotten").status_code == 401
    assert client.get("/api/v1/forgotten", headers=login("sys")).status_code == 403


def test_every_registered_endpoint_is_public_or_names_an_action(app: Flask) -> None:
    for endpoint, view in app.view_functions.items():
        if endpoint == "static" or endpoint.split(".")[0] in PUBLIC_BLUEPRINTS | OWN_ACCESS_BLUEPRINTS:
            continue  # the console's own hook is checked in test_console
        marked = getattr(view, "public", False) or getattr(view, "mp_user", False)
        assert marked or isinstance(getattr(view, "permission", None), Action), endpoint


def test_permission_table_keeps_the_three_administrators_apart() -> None:
    admin_roles = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
    for action, roles in PERMISSIONS.items():
        if action in {Action.VIEW_OWN_ACCOUNT, Action.VIEW_CALENDAR, Action.VIEW_TAXONOMY}:
            continue
        assert len(roles & admin_roles) <= 1, action
        assert not (roles & admin_roles and roles - admin_roles), action
    assert not is_allowed("nonsense", Action.MANAGE_USERS)
    assert not is_allowed(Role.SUPERVISOR, "unknown.action")


def test_missing_or_bad_token_is_401(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["code"] == "unauthorized"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.get_json()["code"] == "invalid_token"


def test_logout_revokes_the_token(app: Flask, client: FlaskClient, make_user: MakeUser, login: Login) -> None:
    make_user("sup", Role.SUPERVISOR)
    headers = login("sup")
    assert client.delete("/api/v1/session", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).get_json()["code"] == "invalid_token"


@pytest.mark.parametrize(
    ("idle", "age", "alive"),
    [
        (timedelta(minutes=29), timedelta(minutes=29), True),
        (timedelta(minutes=31), timedelta(minutes=31), False),  # idle timeout
        (timedelta(minutes=10), timedelta(hours=12, seconds=1), False),  # absolute lifetime
    ],
)
def test_idle_and_absolute_timeouts(
    app: Flask, make_user: MakeUser, idle: timedelta, age: timedelta, alive: bool
) -> None:
    make_user("sup", Role.SUPERVISOR)
    policy = sessions.LoginPolicy()
    start = utcnow()
    with app.app_context():
        outcome = sessions.log_in(
            db.session, username="sup", password=PASSWORD, ip_address=None, policy=policy, now=start
        )
        assert isinstance(outcome, sessions.LoginSuccess)
        outcome.staff_session.last_seen_at = start + age - idle
        db.session.commit()
        if alive:
            assert (
                sessions.authenticate(db.session, outcome.token, policy=policy, now=start + age).user.username == "sup"
            )
        else:
            with pytest.raises(AuthenticationFailed) as error:
                sessions.authenticate(db.session, outcome.token, policy=policy, now=start + age)
            assert error.value.code == "session_expired"


@pytest.mark.parametrize("config_overrides", [{"login_failures_per_ip": 3}])
def test_a_burst_of_failures_from_one_address_is_429(
    app: Flask, client: FlaskClient, make_user: MakeUser, config_overrides: dict[str, int]
) -> None:
    make_user("sup", Role.SUPERVISOR)
    codes = [
        client.post("/api/v1/session", json={"username": f"guess{i}", "password": "x"}).status_code for i in range(3)
    ]
    assert codes == [401, 401, 401]
    response = client.post("/api/v1/session", json={"username": "sup", "password": PASSWORD})
    assert response.status_code == 429
    assert response.get_json()["code"] == "too_many_login_attempts"


def test_the_three_administrators_each_do_only_their_own_job(
    app: Flask, client: FlaskClient, make_user: MakeUser, login: Login
) -> None:
    make_user("sys", Role.SYSTEM_ADMIN)
    make_user("aud", Role.AUDIT_ADMIN)
    new_user = {"username": "clerk2", "display_name": "王敏", "password": PASSWORD, "role": "intake_clerk"}
    assert client.post("/api/v1/users", json=new_user, headers=login("aud")).status_code == 403
    assert client.get("/api/v1/audit-events", headers=login("sys")).status_code == 403
    assert client.post("/api/v1/users", json=new_user, headers=login("sys")).status_code == 201
    events = client.get("/api/v1/audit-events", headers=login("aud")).get_json()
    actions = [event["action"] for event in events]
    assert "user.created" in actions and "auth.permission_denied" in actions


def test_the_audit_trail_cannot_be_edited_in_the_database(app: Flask, make_user: MakeUser) -> None:
    make_user("sup", Role.SUPERVISOR)
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuditEvent))
        assert count == 1
        for statement in ("UPDATE audit_event SET action = 'tampered'", "DELETE FROM audit_event"):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(db.text(statement))
            db.session.rollback()
        assert db.session.scalar(select(AuditEvent.action)) == "user.created"


def test_department_roles_need_exactly_one_department(
    app: Flask, client: FlaskClient, make_user: MakeUser, login: Login, department: str
) -> None:
    make_user("sys", Role.SYSTEM_ADMIN)
    headers = login("sys")
    base = {"display_name": "赵磊", "password": PASSWORD}
    missing = client.post(
        "/api/v1/users", json={**base, "username": "handler1", "role": "department_handler"}, headers=headers
    )
    assert missing.status_code == 400 and missing.get_json()["code"] == "department_required"
    ok = client.post(
        "/api/v1/users",
        json={**base, "username": "handler1", "role": "department_handler", "department_code": department},
        headers=headers,
    )
    assert ok.status_code == 201 and ok.get_json()["department"]["code"] == department
    weak = client.post(
        "/api/v1/users",
        json={**base, "username": "handler2", "role": "supervisor", "password": "short"},
        headers=headers,
    )
    assert weak.status_code == 400 and weak.get_json()["code"] == "weak_password"
