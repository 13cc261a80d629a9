from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .services import REDIS_URL, redis_problem, require


def test_health_reports_the_database(client: FlaskClient) -> None:
    body = client.get("/api/health").get_json()
    assert body == {"status": "ok", "database": "ok", "redis": "not_configured"}


@pytest.mark.parametrize("config_overrides", [{"redis_url": REDIS_URL}])
def test_health_reaches_real_redis(client: FlaskClient, config_overrides: dict[str, str]) -> None:
    require("Redis", redis_problem())
    assert client.get("/api/health").get_json()["redis"] == "ok"


@pytest.mark.parametrize("config_overrides", [{"redis_url": "redis://127.0.0.1:1/0"}])
def test_health_reports_unreachable_redis(app: Flask, client: FlaskClient, config_overrides: dict[str, str]) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json()["redis"] == "unreachable"
