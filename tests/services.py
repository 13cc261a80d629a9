"""Reaching the real PostgreSQL and Redis the suite runs against, and the rule for when they are missing:
skip with the reason, except under CI=true, where a missing service fails the test."""

from __future__ import annotations

import functools
import os

import psycopg
import pytest
import redis

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(service: str, problem: str | None) -> None:
    """Skip (or, under CI=true, fail) the current test when ``problem`` says the service is unusable."""
    if problem is None:
        return
    message = f"{service} is not reachable ({problem})"
    if in_ci():
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


@functools.cache
def postgres_problem() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"{POSTGRES_URL}: {str(error).strip().splitlines()[0]}"
    return None


@functools.cache
def redis_problem() -> str | None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        return f"{REDIS_URL}: {error}"
    finally:
        client.close()
    return None


def postgres_admin() -> psycopg.Connection:
    return psycopg.connect(POSTGRES_URL, autocommit=True)


def postgres_url_for(database: str) -> str:
    base = POSTGRES_URL.rsplit("/", 1)[0]
    return f"{base}/{database}".replace("postgresql://", "postgresql+psycopg://", 1)
