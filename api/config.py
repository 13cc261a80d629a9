"""The one typed configuration object, read from the environment with strict parsing.

``Config.from_env`` only parses; ``resolve_secrets`` then fills in the secret key, the personal-data encryption
keys and the keyed-hash key from the environment or from files in DATA_DIR, generating the files on first start
outside production. Nothing here runs at import time.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

AppEnv = Literal["development", "production", "test"]
APP_ENVS: tuple[AppEnv, ...] = ("development", "production", "test")
SECRET_FILES = {
    "secret_key": "secret_key",
    "data_encryption_keys": "data_encryption_keys",
    "lookup_hash_key": "lookup_hash_key",
}
ENV_NAMES = {
    "secret_key": "SECRET_KEY",
    "data_encryption_keys": "DATA_ENCRYPTION_KEYS",
    "lookup_hash_key": "LOOKUP_HASH_KEY",
}


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Config:
    app_env: AppEnv = "development"
    data_dir: Path = Path("instance")
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str | None = None
    data_encryption_keys: tuple[str, ...] = ()
    lookup_hash_key: bytes | None = None
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    login_max_failures: int = 5
    login_lockout_minutes: int = 30
    login_failures_per_ip: int = 30
    login_ip_window_minutes: int = 10
    max_request_mb: int = 20
    trusted_proxies: int = 0
    log_level: str = "INFO"
    center_name: str = "法治监督中心"
    public_base_url: str = "http://127.0.0.1:5000"
    hotline_secret: str | None = None
    wechat_appid: str | None = None
    wechat_secret: str | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_event_token: str | None = None
    max_upload_mb: int = 10
    hotline_callback_url: str | None = None
    outbox_lease_seconds: int = 120
    outbox_send_lanes: int = 4
    notification_templates: Path | None = None
    wecom_corp_id: str | None = None
    wecom_secret: str | None = None
    wecom_agent_id: int | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    sms_provider: str = "file"
    sms_key_id: str | None = None
    sms_key_secret: str | None = None
    sms_sign_name: str | None = None
    sms_app_id: str | None = None
    sms_template_code: str | None = None
    sms_endpoint: str | None = None
    triage_auto_route: bool = True
    triage_repeat_days: int = 90
    triage_cluster_size: int = 3
    metric_formulas: tuple[tuple[str, str, str], ...] = ()

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        app_env = _choice(env, "APP_ENV", APP_ENVS, "development")
        data_dir = Path(env.get("DATA_DIR") or "instance").resolve()
        database_url = _database_url(env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'app.db'}")
        return cls(
            app_env=cast(AppEnv, app_env),
            data_dir=data_dir,
            database_url=database_url,
            redis_url=_redis_url(env.get("REDIS_URL")),
            secret_key=_optional_secret(env.get("SECRET_KEY"), "SECRET_KEY"),
            data_encryption_keys=_fernet_keys(env.get("DATA_ENCRYPTION_KEYS"), "DATA_ENCRYPTION_KEYS"),
            lookup_hash_key=_hash_key(env.get("LOOKUP_HASH_KEY"), "LOOKUP_HASH_KEY"),
            session_idle_minutes=_int(env, "SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
            session_absolute_hours=_int(env, "SESSION_ABSOLUTE_HOURS", 12, 1, 24 * 7),
            login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 5, 1, 100),
            login_lockout_minutes=_int(env, "LOGIN_LOCKOUT_MINUTES", 30, 1, 24 * 60),
            login_failures_per_ip=_int(env, "LOGIN_FAILURES_PER_IP", 30, 1, 10_000),
            login_ip_window_minutes=_int(env, "LOGIN_IP_WINDOW_MINUTES", 10, 1, 24 * 60),
            max_request_mb=_int(env, "MAX_REQUEST_MB", 20, 1, 1024),
            trusted_proxies=_int(env, "TRUSTED_PROXIES", 0, 0, 5),
            log_level=_choice(env, "LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
            center_name=_text(env, "CENTER_NAME", "法治监督中心", 60),
            public_base_url=_base_url(env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000", "PUBLIC_BASE_URL"),
            hotline_secret=_optional_secret(env.get("HOTLINE_SHARED_SECRET"), "HOTLINE_SHARED_SECRET"),
            wechat_appid=env.get("WECHAT_APPID") or None,
            wechat_secret=env.get("WECHAT_SECRET") or None,
            wechat_api_base=_base_url(env.get("WECHAT_API_BASE") or "https://api.weixin.qq.com", "WECHAT_API_BASE"),
            wechat_event_token=env.get("WECHAT_EVENT_TOKEN") or None,
            max_upload_mb=_int(env, "MAX_UPLOAD_MB", 10, 1, 100),
            outbox_lease_seconds=_int(env, "OUTBOX_LEASE_SECONDS", 120, 1, 3600),
            outbox_send_lanes=_int(env, "OUTBOX_SEND_LANES", 4, 1, 32),
            notification_templates=_existing_file(env.get("NOTIFICATION_TEMPLATES"), "NOTIFICATION_TEMPLATES"),
            wecom_corp_id=env.get("WECOM_CORP_ID") or None,
            wecom_secret=env.get("WECOM_SECRET") or None,
            wecom_agent_id=_int(env, "WECOM_AGENT_ID", 0, 0, 2**31) or None,
            wecom_api_base=_base_url(env.get("WECOM_API_BASE") or "https://qyapi.weixin.qq.com", "WECOM_API_BASE"),
            **_sms_settings(env),
            triage_auto_route=_bool(env, "TRIAGE_AUTO_ROUTE", True),
            triage_repeat_days=_int(env, "TRIAGE_REPEAT_DAYS", 90, 1, 3650),
            triage_cluster_size=_int(env, "TRIAGE_CLUSTER_SIZE", 3, 2, 1000),
            metric_formulas=_metric_formulas(env.get("METRIC_FORMULAS")),
            hotline_callback_url=_base_url(env["HOTLINE_CALLBACK_URL"], "HOTLINE_CALLBACK_URL")
            if env.get("HOTLINE_CALLBACK_URL")
            else None,
        )


def resolve_secrets(config: Config, log: logging.Logger) -> Config:
    """Fill in missing secrets from DATA_DIR, generating them there on first start outside production.

    In production a secret that is neither in the environment nor in DATA_DIR is a start-up error.
    """
    values: dict[str, object] = {}
    for field, filename in SECRET_FILES.items():
        if getattr(config, field):
            continue
        path = config.data_dir / "secrets" / filename
        if path.exists():
            values[field] = _parse_secret(field, path.read_text().strip(), str(path))
        elif config.is_production:
            raise ConfigError(
                f"{ENV_NAMES[field]} is not set and {path} does not exist: "
                "production never generates secrets; set the variable or provide the file"
            )
        else:
            text = _generate_secret(field)
            _write_owner_only(path, text)
            log.warning("generated %s into %s (first start; keep this file and back it up)", field, path)
            values[field] = _parse_secret(field, text, str(path))
    return dataclasses.replace(config, **values)  # type: ignore[arg-type]


def _generate_secret(field: str) -> str:
    if field == "data_encryption_keys":
        return Fernet.generate_key().decode()
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _parse_secret(field: str, text: str, source: str) -> object:
    if field == "data_encryption_keys":
        return _fernet_keys(text, source)
    if field == "lookup_hash_key":
        return _hash_key(text, source)
    if len(text) < 32:
        raise ConfigError(f"{source}: the secret key must be at least 32 characters")
    return text


def _write_owner_only(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.get(name) or default
    if value not in allowed:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(allowed)}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"[0-9]+", raw.strip()):
        raise ConfigError(f"{name}={raw!r} is not a whole number (digits 0-9 only)")
    value = int(raw.strip())
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is outside {low}..{high}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (true/false)")


def _metric_formulas(raw: str | None) -> tuple[tuple[str, str, str], ...]:
    """``response=signed/assigned;satisfaction=satisfied/visited``: which counts make each rate."""
    from complaints.statistics import COUNTS, METRICS

    formulas = []
    for part in (raw or "").split(";"):
        if not part.strip():
            continue
        metric, _, ratio = part.partition("=")
        numerator, _, denominator = ratio.partition("/")
        metric, numerator, denominator = metric.strip(), numerator.strip(), denominator.strip()
        if metric not in METRICS or numerator not in COUNTS or denominator not in COUNTS:
            raise ConfigError(
                f"METRIC_FORMULAS: {part.strip()!r} is not METRIC=COUNT/COUNT with METRIC one of "
                f"{', '.join(METRICS)} and COUNT one of {', '.join(COUNTS)}"
            )
        formulas.append((metric, numerator, denominator))
    return tuple(formulas)


def _text(env: Mapping[str, str], name: str, default: str, max_length: int) -> str:
    value = (env.get(name) or default).strip()
    if not value or len(value) > max_length:
        raise ConfigError(f"{name} must be 1..{max_length} characters")
    return value


def _sms_settings(env: Mapping[str, str]) -> dict[str, Any]:
    provider = _choice(env, "SMS_PROVIDER", ("file", "aliyun", "tencent"), "file")
    if provider == "file" and env.get("APP_ENV") == "production":
        raise ConfigError(
            "SMS_PROVIDER must be aliyun or tencent in production: the file provider is for development "
            "(it sends nothing and keeps the messages on disk)"
        )
    required = ["SMS_KEY_ID", "SMS_KEY_SECRET", "SMS_SIGN_NAME", "SMS_TEMPLATE_CODE"]
    required += ["SMS_APP_ID"] if provider == "tencent" else []
    missing = [name for name in required if provider != "file" and not env.get(name)]
    if missing:
        raise ConfigError(f"SMS_PROVIDER={provider} needs {', '.join(missing)}")
    return {
        "sms_provider": provider,
        "sms_key_id": env.get("SMS_KEY_ID") or None,
        "sms_key_secret": env.get("SMS_KEY_SECRET") or None,
        "sms_sign_name": env.get("SMS_SIGN_NAME") or None,
        "sms_app_id": env.get("SMS_APP_ID") or None,
        "sms_template_code": env.get("SMS_TEMPLATE_CODE") or None,
        "sms_endpoint": _base_url(env["SMS_ENDPOINT"], "SMS_ENDPOINT") if env.get("SMS_ENDPOINT") else None,
    }


def _existing_file(raw: str | None, name: str) -> Path | None:
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise ConfigError(f"{name}={raw!r} is not a readable file")
    return path


def _base_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ConfigError(f"{name} must be an http:// or https:// URL with a host, not {url!r}")
    return url.rstrip("/")


def _optional_secret(raw: str | None, name: str) -> str | None:
    if not raw:
        return None
    if len(raw) < 32:
        raise ConfigError(f"{name} must be at least 32 characters")
    return raw


def _database_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not (url.startswith("sqlite:///") or url.startswith("postgresql+psycopg://")):
        raise ConfigError(f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {url.split(':')[0]!r}")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:
        raise ConfigError(f"DATABASE_URL cannot be read: {error}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ConfigError("DATABASE_URL names no SQLite file (an in-memory database would lose every case)")
    return url


def _redis_url(url: str | None) -> str | None:
    if not url:
        return None
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")
    return url


def _fernet_keys(raw: str | None, source: str) -> tuple[str, ...]:
    if not raw:
        return ()
    keys = tuple(part.strip() for part in raw.split(",") if part.strip())
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, binascii.Error):
            raise ConfigError(f"{source}: every key must be a Fernet key (32 url-safe base64 bytes)") from None
    return keys


def _hash_key(raw: str | None, source: str) -> bytes | None:
    if not raw:
        return None
    try:
        key = base64.urlsafe_b64decode(raw.strip().encode())
    except (ValueError, binascii.Error):
        raise ConfigError(f"{source}: the keyed-hash key must be url-safe base64") from None
    if len(key) < 32:
        raise ConfigError(f"{source}: the keyed-hash key must decode to at least 32 bytes")
    return key
