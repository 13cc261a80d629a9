"""Every API error is a JSON envelope {code, message, details}; HTML pages keep HTML errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from complaints.permissions import Role

from .conftest import PASSWORD


def envelope(response: TestResponse) -> dict[str, Any]:
    body: dict[str, Any] = response.get_json()
    assert set(body) == {"code", "message", "details"}, body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body["message"]
    return body


def test_not_found_and_method_not_allowed(client: FlaskClient) -> None:
    missing = client.get("/api/no-such-thing")
    assert missing.status_code == 404 and envelope(missing)["code"] == "not_found"
    wrong_method = client.put("/api/health")
    assert wrong_method.status_code == 405 and envelope(wrong_method)["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]


def test_html_pages_keep_html_errors(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_validation_errors_are_400_with_field_details(client: FlaskClient) -> None:
    response = client.post("/api/v1/session", json={"username": "x"})
    assert response.status_code == 400
    body = envelope(response)
    assert body["code"] == "validation_error"
    assert "password" in body["details"]["json"]
    unknown = client.post("/api/v1/session", json={"username": "x", "password": "y", "role": "admin"})
    assert unknown.status_code == 400 and "role" in envelope(unknown)["details"]["json"]


def test_malformed_json_is_400(client: FlaskClient) -> None:
    response = client.post("/api/v1/session", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert envelope(response)["code"] in {"validation_error", "bad_request"}


def test_oversized_body_is_413(client: FlaskClient) -> None:
    response = client.post("/api/v1/session", data=b"x" * (21 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413
    assert envelope(response)["code"] == "payload_too_large"


def test_duplicate_username_is_409(
    client: FlaskClient, make_user: Callable[..., int], login: Callable[..., dict[str, str]]
) -> None:
    make_user("sys", Role.SYSTEM_ADMIN)
    payload = {"username": "sys", "display_name": "重复", "password": PASSWORD, "role": "supervisor"}
    response = client.post("/api/v1/users", json=payload, headers=login("sys"))
    assert response.status_code == 409 and envelope(response)["code"] == "username_taken"


def test_unknown_user_id_is_404(
    client: FlaskClient, make_user: Callable[..., int], login: Callable[..., dict[str, str]]
) -> None:
    make_user("sec", Role.SECURITY_ADMIN)
    response = client.post("/api/v1/users/99999/unlock", headers=login("sec"))
    assert response.status_code == 404 and envelope(response)["code"] == "user_not_found"


def test_an_unexpected_error_is_a_json_500_and_rolls_back(app: Flask, client: FlaskClient) -> None:
    from complaints.database import db
    from complaints.departments import Department

    @app.route("/api/probe/crash", methods=["POST"])
    def crash() -> str:
        db.session.add(Department(code="lost", name="不应保存"))
        db.session.flush()
        raise RuntimeError("boom")

    crash.public = True  # type: ignore[attr-defined]
    response = client.post("/api/probe/crash")
    assert response.status_code == 500 and envelope(response)["code"] == "internal_error"
    with app.app_context():
        assert db.session.query(Department).filter_by(code="lost").count() == 0


BEYOND_ANY_KEY = 2**63  # no database can bind it: it must never reach a query
BEYOND_A_KEY = 2**31  # beyond PostgreSQL's integer, the type of the keys


def test_ids_beyond_any_database_key_are_404_or_400_not_500(
    client: FlaskClient, make_user: Callable[..., int], login: Callable[..., dict[str, str]]
) -> None:
    make_user("sup", Role.SUPERVISOR)
    make_user("aud", Role.AUDIT_ADMIN)
    supervisor = login("sup")
    for path in (f"/api/v1/complaints/{n}" for n in (BEYOND_ANY_KEY, BEYOND_A_KEY, BEYOND_A_KEY - 1)):
        response = client.get(path, headers=supervisor)
        assert response.status_code == 404, (path, response.get_json())
    accept = client.post(f"/api/v1/complaints/{BEYOND_ANY_KEY}/accept", headers=supervisor)
    assert accept.status_code == 404 and envelope(accept)["code"] == "not_found"
    deliveries = client.get(f"/api/v1/deliveries?complaint_id={BEYOND_A_KEY}", headers=supervisor)
    assert deliveries.status_code == 400 and "complaint_id" in envelope(deliveries)["details"]["query"]
    auditor = login("aud")
    audit = client.get(f"/api/v1/audit-events?before_id={BEYOND_ANY_KEY}", headers=auditor)
    assert audit.status_code == 400 and "before_id" in envelope(audit)["details"]["query"]
    assert client.get(f"/api/v1/audit-events?before_id={BEYOND_A_KEY}", headers=auditor).status_code == 200


def test_nul_characters_are_refused_before_any_query(
    client: FlaskClient, make_user: Callable[..., int], login: Callable[..., dict[str, str]]
) -> None:
    """PostgreSQL cannot store U+0000: without the guard each of these was a 500 there."""
    make_user("sup", Role.SUPERVISOR)
    supervisor = login("sup")
    attempts = (
        client.post("/api/v1/session", json={"username": "sup\u0000", "password": PASSWORD}),
        client.post("/api/public/v1/progress", json={"reference": "FZ2026-000001", "query_code": "AB\u0000"}),
        client.get("/api/v1/complaints?q=%00", headers=supervisor),
        client.get("/api/v1/complaints?status=submitted&status=%00", headers=supervisor),
        client.post("/api/v1/complaints/1/accept", json={"note": ["\u0000"]}, headers=supervisor),
        client.post("/console/login", data={"username": "sup\u0000", "password": PASSWORD}),
    )
    for response in attempts:
        assert response.status_code == 400, (response.request.path, response.get_data(as_text=True)[:200])
    assert envelope(attempts[0])["code"] == "invalid_characters"
    assert client.post("/api/v1/session", json={"username": "sup", "password": PASSWORD}).status_code == 201


def test_lone_surrogates_are_refused_before_any_query(
    client: FlaskClient, make_user: Callable[..., int], login: Callable[..., dict[str, str]]
) -> None:
    """A JSON "\\ud800" escape is half a character: neither database driver can encode it (was a 500 on both)."""
    make_user("sup", Role.SUPERVISOR)
    supervisor = {**login("sup"), "Content-Type": "application/json"}
    attempts = (
        client.post("/api/v1/session", data='{"username": "\\ud800a", "password": "x"}', headers=supervisor),
        client.post(
            "/api/v1/complaints",
            data='{"channel": "walk_in", "title": "\\udfff", "content": "x", "respondent": "y"}',
            headers=supervisor,
        ),
        client.put("/api/v1/calendar/years/2029", data='{"holidays": [{"name": "\\ud83d"}]}', headers=supervisor),
    )
    for response in attempts:
        assert response.status_code == 400, (response.request.path, response.get_data(as_text=True)[:200])
        assert envelope(response)["code"] == "invalid_characters"
    emoji = client.post("/api/v1/session", data='{"username": "\\ud83d\\ude00", "password": "x"}', headers=supervisor)
    assert emoji.status_code == 401  # a whole pair is a character (😀): an ordinary wrong login
