"""Access to the typed configuration of the running app, and the policies derived from it."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app

from complaints.crypto import PersonalDataCipher
from complaints.sessions import LoginPolicy

from .config import Config


def install(app: Flask, config: Config) -> None:
    app.extensions["complaints.config"] = config
    app.extensions["complaints.login_policy"] = LoginPolicy(
        max_failures=config.login_max_failures,
        lockout=timedelta(minutes=config.login_lockout_minutes),
        idle_timeout=timedelta(minutes=config.session_idle_minutes),
        absolute_lifetime=timedelta(hours=config.session_absolute_hours),
        failures_per_ip=config.login_failures_per_ip,
        ip_window=timedelta(minutes=config.login_ip_window_minutes),
    )
    assert config.lookup_hash_key is not None
    app.extensions["complaints.cipher"] = PersonalDataCipher(config.data_encryption_keys, config.lookup_hash_key)


def config() -> Config:
    value: Config = current_app.extensions["complaints.config"]
    return value


def login_policy() -> LoginPolicy:
    value: LoginPolicy = current_app.extensions["complaints.login_policy"]
    return value


def personal_data_cipher() -> PersonalDataCipher:
    value: PersonalDataCipher = current_app.extensions["complaints.cipher"]
    return value
