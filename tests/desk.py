"""A seeded center (reference data and the demo staff, no cases) and a client that acts as its staff."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.test import TestResponse

from api.settings import personal_data_cipher
from complaints.database import db, utcnow
from complaints.demo import DEMO_PASSWORD, seed_reference_data, seed_staff
from complaints.sessions import token_digest
from complaints.staff import StaffSession

ENTERPRISE = {
    "kind": "enterprise",
    "name": "刘建国",
    "phone": "139-1234-5678",
    "enterprise_name": "示例食品有限公司",
    "credit_code": "91350100M000100Y43",
}


class Desk:
    """Acts as any demo staff member through the HTTP API, logging in once per user."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app, self.client = app, client
        self._tokens: dict[str, str] = {}

    def headers(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            response = self.client.post("/api/v1/session", json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 201, response.get_json()
            self._tokens[username] = response.get_json()["token"]
            if response.get_json()["second_factor_required"]:
                vouch_second_factor(self.app, self._tokens[username])
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def get(self, username: str, path: str) -> TestResponse:
        return self.client.get(path, headers=self.headers(username))

    def post(self, username: str, path: str, body: dict[str, Any] | None = None) -> TestResponse:
        return self.client.post(path, json=body or {}, headers=self.headers(username))

    def ok(self, username: str, path: str, body: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
        response = self.post(username, path, body)
        assert response.status_code == status, (path, response.get_json())
        result: dict[str, Any] = response.get_json()
        return result

    def register(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "channel": "hotline",
            "title": "执法人员对小额标签瑕疵顶格罚款",
            "content": "我公司预包装食品标签字号偏小，执法人员未责令改正即处以顶格罚款。",
            "respondent": "市市场监督管理局",
            "category_code": "arbitrary-fines",
            "domain_code": "market",
            "persons": [ENTERPRISE],
            **overrides,
        }
        return self.ok("clerk", "/api/v1/complaints", body, status=201)

    def detail(self, username: str, complaint_id: int) -> dict[str, Any]:
        response = self.get(username, f"/api/v1/complaints/{complaint_id}")
        assert response.status_code == 200, response.get_json()
        result: dict[str, Any] = response.get_json()
        return result


def vouch_second_factor(app: Flask, token: str) -> None:
    """Test set-up for administrators' API sessions: mark the session as past its second factor, as verifying a
    TOTP code would (that path has its own tests in test_console and test_auth)."""
    with app.app_context():
        db.session.execute(
            update(StaffSession)
            .where(StaffSession.token_digest == token_digest(token))
            .values(second_factor_at=utcnow())
        )
        db.session.commit()


def seed_center(app: Flask) -> None:
    with app.app_context():
        now = utcnow()
        seed_reference_data(db.session, now)
        seed_staff(db.session, now)
        db.session.commit()
        assert personal_data_cipher() is not None
