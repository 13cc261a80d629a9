"""A test client that uses the console as a browser would: cookies, CSRF tokens read from the pages."""

from __future__ import annotations

import re
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from complaints.demo import DEMO_PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleUser:
    def __init__(self, app: Flask) -> None:
        self.client: FlaskClient = app.test_client()

    def csrf(self, path: str = "/console/login") -> str:
        page = self.client.get(path)
        found = TOKEN.search(page.get_data(as_text=True))
        assert found, (path, page.status_code)
        return found.group(1)

    def log_in(self, username: str, password: str = DEMO_PASSWORD) -> TestResponse:
        token = self.csrf()
        return self.client.post(
            "/console/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, token_from: str = "/console/search"
    ) -> TestResponse:
        return self.client.post(path, data={**(data or {}), "csrf_token": self.csrf(token_from)})

    def get(self, path: str) -> TestResponse:
        return self.client.get(path)

    def enroll_second_factor(self) -> str:
        """Set up TOTP from the setup page as a person would with an authenticator app; returns the secret."""
        page = self.get("/console/second-factor/setup").get_data(as_text=True)
        found = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
        assert found, page[:500]
        secret = found.group(1)
        response = self.post(
            "/console/second-factor/setup",
            {"code": pyotp.TOTP(secret).now()},
            token_from="/console/second-factor/setup",
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return secret
