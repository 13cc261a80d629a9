"""Command-line tools: ``flask --app api users ...``, ``keys rotate``, ``demo seed``, ``serve`` and ``jobs``.

Each command is one transaction: it commits when the domain function returns and rolls back on error (``keys
rotate`` commits batch by batch, and may simply be run again).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from channel.accounts import MiniProgramAccount
from channel.hotline import HotlineAnswer
from complaints import accounts, second_factor
from complaints.attachments import Attachment
from complaints.complainants import Complainant
from complaints.crypto import KeysDoNotMatch
from complaints.database import db, utcnow
from complaints.demo import DEMO_PASSWORD, USERS, seed_demo_center
from complaints.errors import DomainError
from complaints.key_check import KeyCheck
from complaints.key_rotation import reencrypt_rows
from complaints.permissions import Role
from complaints.staff import StaffUser
from notifications.jobs import run_housekeeping, run_relay, run_sweep
from notifications.relay import Duty, EmbeddedRunner
from triage.demo import seed_routing_rules
from triage.jobs import run_triage
from triage.text import load_segmenter

from .key_guard import ensure_keys_match
from .settings import config, personal_data_cipher, senders, triage_policy, triage_store, upload_store
from .triage_cli import triage_cli

users_cli = AppGroup("users", help="Create and manage staff accounts.")
keys_cli = AppGroup("keys", help="Personal-data encryption keys.")
demo_cli = AppGroup("demo", help="Demo data for a first start.")
log = logging.getLogger(__name__)
ENCRYPTED_COLUMNS: list[tuple[Any, tuple[str, ...]]] = [
    (Complainant, ("name_encrypted", "phone_encrypted", "id_number_encrypted")),
    (StaffUser, ("totp_secret_encrypted", "totp_pending_encrypted")),
    (MiniProgramAccount, ("phone_encrypted",)),
    (HotlineAnswer, ("query_code_encrypted",)),
    (KeyCheck, ("encrypted",)),
]


@contextmanager
def _transaction() -> Iterator[None]:
    try:
        yield
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.message} ({error.code})") from None
    except BaseException:
        db.session.rollback()
        raise


def _password_option(func: Callable[..., None]) -> Callable[..., None]:
    return click.option(
        "--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting."
    )(func)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--name", "display_name", default="", help="Display name (defaults to the username).")
@click.option("--department", "department_code", default=None, help="Department code, for department roles.")
@_password_option
def create_user(username: str, role: str, display_name: str, department_code: str | None, password_stdin: bool) -> None:
    """Create a staff account."""
    password = _read_password(password_stdin)
    with _transaction():
        user = accounts.create_staff_user(
            db.session,
            username=username,
            display_name=display_name or username,
            password=password,
            role=role,
            department_code=department_code,
            actor=accounts.CLI_ACTOR,
            now=utcnow(),
        )
    click.echo(f"created {user.username} ({role})")


@users_cli.command("reset-password")
@click.argument("username")
@_password_option
def reset_password(username: str, password_stdin: bool) -> None:
    """Set a new password, unlock the account and end its sessions."""
    password = _read_password(password_stdin)
    with _transaction():
        accounts.reset_password(db.session, _user(username), password, actor=accounts.CLI_ACTOR, now=utcnow())
    click.echo(f"password reset for {username}")


@users_cli.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Unlock an account locked after failed logins."""
    with _transaction():
        accounts.unlock(db.session, _user(username), actor=accounts.CLI_ACTOR, now=utcnow())
    click.echo(f"unlocked {username}")


@users_cli.command("reset-second-factor")
@click.argument("username")
def reset_second_factor(username: str) -> None:
    """Forget a lost authenticator (end the account's sessions; its next login sets up a new one). In the console
    the security administrator does this; this command is for the last one, who cannot log in without it."""
    with _transaction():
        second_factor.reset(db.session, _user(username), actor=accounts.CLI_ACTOR, now=utcnow())
    click.echo(f"second factor reset for {username}")


@users_cli.command("list")
def list_users() -> None:
    """List staff accounts."""
    for user in accounts.list_users(db.session):
        state = "active" if user.is_active else "inactive"
        click.echo(f"{user.username:20} {user.role:20} {state}")


@demo_cli.command("seed")
def seed() -> None:
    """Create the demo center (departments and one login per role). Refused in production."""
    if config().is_production:
        raise click.ClickException("demo data is never seeded in production (APP_ENV=production)")
    with _transaction():
        created = seed_demo_center(db.session, personal_data_cipher(), now=utcnow())
        seed_routing_rules(db.session, utcnow())
    triaged = run_triage(db.session(), personal_data_cipher(), utcnow(), triage_store(), triage_policy())
    click.echo(
        f"demo center ready ({len(created)} accounts created, {triaged} cases triaged); password {DEMO_PASSWORD}:"
    )
    for username, display_name, _, _ in USERS:
        click.echo(f"  {username:14} {display_name}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the product with waitress (a production WSGI server, pure Python)."""
    from waitress import serve as waitress_serve

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if config().redis_url is None:
        EmbeddedRunner(db.engine, _embedded_duties()).start()
        log.info("no REDIS_URL: the outbox relay, the deadline sweep and triage run in this process")
    load_segmenter()
    log.info("serving on http://%s:%d/", host, port)
    waitress_serve(app, host=host, port=port, threads=threads)


@click.command("jobs")
def jobs() -> None:
    """Run the periodic jobs (relay, sweep, triage, housekeeping) in the foreground without Redis: for web servers
    that start no job runner of their own, such as gunicorn. Any number may run; a database lease per job makes
    sure only one does each job at a time."""
    load_segmenter()
    log.info("embedded jobs running (no Redis): relay every 5 s, triage every 2 s, sweep every minute")
    EmbeddedRunner(db.engine, _embedded_duties()).start().join()


def _embedded_duties() -> list[Duty]:
    """The periodic jobs, once the keys are known to be the database's (else the command stops, saying so)."""
    _require_matching_keys()
    send, cipher, store, policy = senders(), personal_data_cipher(), triage_store(), triage_policy()
    uploads = upload_store()
    lease, lanes = timedelta(seconds=config().outbox_lease_seconds), config().outbox_send_lanes
    return [
        Duty("relay", timedelta(seconds=5), lambda session: run_relay(session, send, lease, lanes)),
        Duty("sweep", timedelta(minutes=1), lambda session: run_sweep(session, cipher, utcnow())),
        Duty("triage", timedelta(seconds=2), lambda session: run_triage(session, cipher, utcnow(), store, policy)),
        Duty("housekeeping", timedelta(hours=1), lambda session: run_housekeeping(session, uploads, utcnow())),
    ]


@keys_cli.command("rotate")
def rotate_keys() -> None:
    """Re-encrypt every encrypted value and uploaded file with the first of DATA_ENCRYPTION_KEYS; afterwards the
    other keys can be removed. Safe to run again after an interruption."""
    _require_matching_keys()
    cipher, store = personal_data_cipher(), upload_store()
    for model, columns in ENCRYPTED_COLUMNS:
        count = reencrypt_rows(db.session, cipher, model, columns)
        click.echo(f"{model.__tablename__}: {count} rows re-encrypted")
    keys = db.session.scalars(select(Attachment.storage_key).order_by(Attachment.id)).all()
    files = sum(store.reencrypt(key) for key in keys)
    click.echo(f"uploads: {files} files re-encrypted")


def _require_matching_keys() -> None:
    try:
        ensure_keys_match()
    except KeysDoNotMatch as error:
        raise click.ClickException(error.message) from None


def _user(username: str) -> StaffUser:
    user = accounts.find_user(db.session, username)
    if user is None:
        raise click.ClickException(f"no staff account named {username}")
    return user


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(serve)
    app.cli.add_command(jobs)
    app.cli.add_command(triage_cli)
