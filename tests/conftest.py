"""Fixtures: every database test runs once on SQLite and once on PostgreSQL, each test on a fresh database
cloned from a template migrated once per run (a file copy for SQLite, ``CREATE DATABASE ... TEMPLATE`` for
PostgreSQL). Outbound network access beyond loopback is refused."""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from api import create_app
from api.config import Config
from complaints import accounts
from complaints.database import db, utcnow
from complaints.departments import Department
from complaints.staff import StaffUser

from .desk import Desk, seed_center, vouch_second_factor
from .services import postgres_admin, postgres_problem, postgres_url_for, require

PASSWORD = "Correct-Horse-9"
BACKENDS = [b.strip() for b in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",") if b.strip()]
_counter = itertools.count()


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if not (host.startswith("127.") or host in {"::1", "localhost"}):
                raise RuntimeError(f"tests may not reach the network ({host})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


def make_config(data_dir: Path, database_url: str, **overrides: Any) -> Config:
    values: dict[str, Any] = {
        "app_env": "test",
        "data_dir": data_dir,
        "database_url": database_url,
        "secret_key": secrets.token_urlsafe(32),
        "data_encryption_keys": (Fernet.generate_key().decode(),),
        "lookup_hash_key": secrets.token_bytes(32),
    }
    values.update(overrides)
    return Config(**values)


def keys_of(app: Flask) -> dict[str, Any]:
    """The keys of ``app``, for another process on its database (one with other keys is refused: api/key_guard.py)."""
    settings: Config = app.extensions["complaints.config"]
    return {name: getattr(settings, name) for name in ("secret_key", "data_encryption_keys", "lookup_hash_key")}


def migrate_to_head(database_url: str, data_dir: Path) -> None:
    app = create_app(make_config(data_dir, database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sqlite-template")
    path = directory / "template.db"
    migrate_to_head(f"sqlite:///{path}", directory)
    return path


@pytest.fixture(scope="session")
def postgres_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require("PostgreSQL", postgres_problem())
    name = f"complaints_template_{os.getpid()}"
    with postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    migrate_to_head(postgres_url_for(name), tmp_path_factory.mktemp("pg-template"))
    yield name
    with postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgresql":
        require("PostgreSQL", postgres_problem())
    return name


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for this test."""
    if backend == "sqlite":
        path = tmp_path / "app.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"complaints_test_{os.getpid()}_{next(_counter)}"
    with postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    yield postgres_url_for(name)
    with postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, for migration tests."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"complaints_empty_{os.getpid()}_{next(_counter)}"
    with postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield postgres_url_for(name)
    with postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, config_overrides: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(make_config(tmp_path, database_url, **config_overrides))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def department(app: Flask) -> str:
    with app.app_context():
        db.session.add(Department(code="city-samr", name="市市场监督管理局", created_at=utcnow()))
        db.session.commit()
    return "city-samr"


@pytest.fixture
def make_user(app: Flask) -> Callable[..., int]:
    def make(username: str, role: str, department_code: str | None = None, password: str = PASSWORD) -> int:
        with app.app_context():
            user = accounts.create_staff_user(
                db.session,
                username=username,
                display_name=username,
                password=password,
                role=role,
                department_code=department_code,
                actor=accounts.CLI_ACTOR,
                now=utcnow(),
            )
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def login(client: FlaskClient) -> Callable[[str], dict[str, str]]:
    """Log in through the API and return the Authorization header (administrators' sessions are vouched past
    their second factor; see desk.vouch_second_factor)."""

    def do_login(username: str, password: str = PASSWORD) -> dict[str, str]:
        response = client.post("/api/v1/session", json={"username": username, "password": password})
        assert response.status_code == 201, response.get_json()
        token = response.get_json()["token"]
        if response.get_json()["second_factor_required"]:
            vouch_second_factor(client.application, token)
        return {"Authorization": f"Bearer {token}"}

    return do_login


def reload_user(app: Flask, user_id: int) -> StaffUser:
    with app.app_context():
        user = db.session.get(StaffUser, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


@pytest.fixture
def desk(app: Flask, client: FlaskClient) -> Desk:
    seed_center(app)
    return Desk(app, client)


@pytest.fixture(scope="session")
def seed_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed triage model, trained once for the session (about two seconds); tests copy it into their DATA_DIR."""
    from triage.store import ModelStore
    from triage.training import current_or_seed_model

    root = tmp_path_factory.mktemp("models") / "triage"
    current_or_seed_model(ModelStore(root), utcnow())
    return root
