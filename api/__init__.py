"""The Flask application factory. Importing this package does nothing: all work happens in :func:`create_app`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from flask_smorest import Api
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

import console
from channel import models as channel_models  # noqa: F401  (registers the channels' tables)
from complaints import models  # noqa: F401  (registers every table)
from complaints.database import db
from notifications import models as notification_models  # noqa: F401
from triage import models as triage_models  # noqa: F401

from . import auth, cli, converters, docs, errors, input_guard, key_guard, settings, transaction
from .config import Config, ConfigError, resolve_secrets
from .views import (
    audit_log,
    calendar,
    complaints,
    deliveries,
    health,
    hotline,
    legs,
    miniprogram,
    notices,
    public,
    reference_data,
    staff_session,
    staff_users,
    triage,
    wechat_hooks,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
log = logging.getLogger("complaints")
OWN_PACKAGES = ("api", "channel", "complaints", "console", "notifications", "triage")

BLUEPRINTS = (
    health.blp,
    staff_session.blp,
    staff_users.blp,
    audit_log.blp,
    calendar.blp,
    complaints.blp,
    legs.blp,
    notices.blp,
    reference_data.blp,
    public.blp,
    hotline.blp,
    miniprogram.blp,
    wechat_hooks.blp,
    deliveries.blp,
    deliveries.texts_blp,
    triage.blp,
)


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    _configure_logging(config)
    _make_data_dir(config)
    config = resolve_secrets(config, log)

    app = Flask(__name__, instance_path=str(config.data_dir))
    if config.trusted_proxies:
        _trust_proxies(app, config.trusted_proxies)
    app.config.update(_flask_settings(config))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    converters.init_app(app)
    settings.install(app, config)

    db.init_app(app)
    Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    if config.sqlite:
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)

    docs.init_app(app)
    api = Api(app)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    console.init_app(app)
    errors.init_app(app)
    transaction.init_app(app)
    input_guard.init_app(app)
    key_guard.init_app(app)
    auth.init_app(app)
    cli.init_app(app)
    return app


def _trust_proxies(app: Flask, count: int) -> None:
    """Behind ``count`` reverse proxies (the mini-program needs HTTPS, so there is one in production), the client's
    address, scheme and host come from their X-Forwarded-* headers; rate limits per client and the audit log would
    otherwise see every caller as the proxy. Headers beyond ``count`` hops are not trusted: a client can forge them."""
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]


def _flask_settings(config: Config) -> dict[str, Any]:
    return {
        "SECRET_KEY": config.secret_key,
        "SQLALCHEMY_DATABASE_URI": config.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(config),
        "MAX_CONTENT_LENGTH": config.max_request_mb * 1024 * 1024,
        "API_TITLE": "法治监督中心 投诉受理与督办 API",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        **docs.SETTINGS,
        "TESTING": config.app_env == "test",
    }


def _make_data_dir(config: Config) -> None:
    """Owner-only when we create it: it holds the database file, the secrets and the uploads."""
    try:
        config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"DATA_DIR={str(config.data_dir)!r} cannot be created: {error.strerror}") from None


def _engine_options(config: Config) -> dict[str, Any]:
    """``hide_parameters``: a database error's text (which is logged) must not carry the statement's values, which
    include complaint texts and ciphertexts."""
    if config.sqlite:
        return {"connect_args": {"timeout": 15}, "hide_parameters": True}
    return {"pool_pre_ping": True, "hide_parameters": True}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and the writer overlap; the busy timeout makes writers wait instead of failing."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _configure_logging(config: Config) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for package in OWN_PACKAGES:
        logging.getLogger(package).setLevel(config.log_level)
