"""The command line: creating users, resetting passwords, unlocking, seeding the demo center."""

from __future__ import annotations

import dataclasses

from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from api.config import Config
from api.settings import config as current_config
from complaints.demo import DEMO_PASSWORD, USERS

from .conftest import PASSWORD


def test_create_user_and_reset_password(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "Zhang.Hua", "--role", "supervisor", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert client.post("/api/v1/session", json={"username": "zhang.hua", "password": PASSWORD}).status_code == 201

    duplicate = runner.invoke(
        args=["users", "create", "zhang.hua", "--role", "supervisor", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert duplicate.exit_code != 0 and "username_taken" in duplicate.output

    weak = runner.invoke(args=["users", "reset-password", "zhang.hua", "--password-stdin"], input="123\n")
    assert weak.exit_code != 0 and "weak_password" in weak.output

    reset = runner.invoke(args=["users", "reset-password", "zhang.hua", "--password-stdin"], input="New-Passw0rd!\n")
    assert reset.exit_code == 0, reset.output
    assert client.post("/api/v1/session", json={"username": "zhang.hua", "password": PASSWORD}).status_code == 401
    assert (
        client.post("/api/v1/session", json={"username": "zhang.hua", "password": "New-Passw0rd!"}).status_code == 201
    )


def test_unlock_from_the_command_line(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    runner.invoke(
        args=["users", "create", "clerk9", "--role", "intake_clerk", "--password-stdin"], input=f"{PASSWORD}\n"
    )
    for _ in range(5):
        client.post("/api/v1/session", json={"username": "clerk9", "password": "bad"})
    assert client.post("/api/v1/session", json={"username": "clerk9", "password": PASSWORD}).status_code == 403
    assert runner.invoke(args=["users", "unlock", "clerk9"]).exit_code == 0
    assert client.post("/api/v1/session", json={"username": "clerk9", "password": PASSWORD}).status_code == 201


def test_demo_seed_is_idempotent_and_every_login_works(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert f"{len(USERS)} accounts created" in first.output
    assert "0 accounts created" in runner.invoke(args=["demo", "seed"]).output
    for username, _, role, department in USERS:
        response = client.post("/api/v1/session", json={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 201, username
        user = response.get_json()["user"]
        assert user["role"] == role.value
        assert (user["department"] or {}).get("code") == department


def test_demo_seed_is_refused_in_production(app: Flask) -> None:
    with app.app_context():
        production: Config = dataclasses.replace(current_config(), app_env="production")
    prod_app = create_app(production)
    result = prod_app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0 and "never seeded in production" in result.output
