"""Configuration: strict parsing, generated secrets on first start, none in production."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from api.config import Config, ConfigError, resolve_secrets

LOG = logging.getLogger("test")


def test_defaults_need_no_setup(tmp_path: Path) -> None:
    config = Config.from_env({"DATA_DIR": str(tmp_path)})
    assert config.app_env == "development"
    assert config.database_url == f"sqlite:///{tmp_path / 'app.db'}"
    assert config.redis_url is None
    assert config.session_idle_minutes == 30


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SESSION_IDLE_MINUTES": "ten"}, "SESSION_IDLE_MINUTES='ten' is not a whole number"),
        ({"SESSION_IDLE_MINUTES": "3_0"}, "SESSION_IDLE_MINUTES='3_0' is not a whole number"),
        ({"SESSION_IDLE_MINUTES": "\u0663\u0660"}, "is not a whole number"),  # Arabic-Indic digits
        ({"SECRET_KEY": "x"}, "SECRET_KEY must be at least 32 characters"),
        ({"PUBLIC_BASE_URL": "http://"}, "PUBLIC_BASE_URL must be an http:// or https:// URL with a host"),
        ({"DATABASE_URL": "sqlite:///"}, "DATABASE_URL names no SQLite file"),
        ({"DATABASE_URL": "postgresql://u@h:notaport/db"}, "DATABASE_URL cannot be read"),
        ({"APP_ENV": "production"}, "SMS_PROVIDER must be aliyun or tencent in production"),
        ({"LOGIN_MAX_FAILURES": "0"}, "LOGIN_MAX_FAILURES=0 is outside 1..100"),
        ({"APP_ENV": "prod"}, "APP_ENV='prod' is not one of"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must start with"),
        ({"DATA_ENCRYPTION_KEYS": "not-a-key"}, "Fernet key"),
        ({"LOOKUP_HASH_KEY": "c2hvcnQ="}, "at least 32 bytes"),
        ({"TRIAGE_AUTO_ROUTE": "maybe"}, "TRIAGE_AUTO_ROUTE='maybe' is not a boolean"),
        ({"METRIC_FORMULAS": "response=signed/everyone"}, "METRIC_FORMULAS: 'response=signed/everyone' is not"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Config.from_env(env)


def test_postgres_urls_use_psycopg() -> None:
    config = Config.from_env({"DATABASE_URL": "postgres://u@h:5432/d"})
    assert config.database_url == "postgresql+psycopg://u@h:5432/d"
    assert not config.sqlite


def test_first_start_generates_owner_only_secrets_and_reuses_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    first = resolve_secrets(Config.from_env({"DATA_DIR": str(tmp_path)}), LOG)
    assert first.secret_key and len(first.secret_key) >= 32
    assert len(first.data_encryption_keys) == 1
    assert first.lookup_hash_key and len(first.lookup_hash_key) == 32
    for name in ("secret_key", "data_encryption_keys", "lookup_hash_key"):
        mode = stat.S_IMODE((tmp_path / "secrets" / name).stat().st_mode)
        assert mode == 0o600, name
        assert f"generated {name}" in caplog.text
    second = resolve_secrets(Config.from_env({"DATA_DIR": str(tmp_path)}), LOG)
    assert second == first


PRODUCTION_SMS = {
    "SMS_PROVIDER": "aliyun",
    "SMS_KEY_ID": "id",
    "SMS_KEY_SECRET": "secret",
    "SMS_SIGN_NAME": "法治监督中心",
    "SMS_TEMPLATE_CODE": "SMS_0001",
}


def test_production_never_generates_secrets(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path), "APP_ENV": "production", **PRODUCTION_SMS}
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        resolve_secrets(Config.from_env(env), LOG)
    assert not (tmp_path / "secrets").exists()


def test_production_takes_secrets_from_the_environment(tmp_path: Path) -> None:
    env = {
        "DATA_DIR": str(tmp_path),
        "APP_ENV": "production",
        **PRODUCTION_SMS,
        "SECRET_KEY": "x" * 40,
        "DATA_ENCRYPTION_KEYS": f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}",
        "LOOKUP_HASH_KEY": "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
    }
    config = resolve_secrets(Config.from_env(env), LOG)
    assert len(config.data_encryption_keys) == 2
    assert config.lookup_hash_key == b"A" * 32


def test_metric_formulas_override_the_defaults() -> None:
    config = Config.from_env({"METRIC_FORMULAS": "response=signed/assigned; satisfaction=satisfied/closed"})
    assert config.metric_formulas == (("response", "signed", "assigned"), ("satisfaction", "satisfied", "closed"))
    assert Config.from_env({"TRIAGE_AUTO_ROUTE": "false"}).triage_auto_route is False


def test_the_data_directory_is_created_owner_only_and_database_errors_carry_no_values(tmp_path: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from api import create_app
    from complaints.database import db

    data_dir = tmp_path / "fresh"
    app = create_app(Config.from_env({"DATA_DIR": str(data_dir)}))
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    with app.app_context(), pytest.raises(DBAPIError) as failure:
        db.session.execute(text("SELECT * FROM no_such_table WHERE phone = :phone"), {"phone": "13912345678"})
    assert "no_such_table" in str(failure.value) and "13912345678" not in str(failure.value)
