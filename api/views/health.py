"""GET /api/health: is the database reachable, and Redis when configured."""

from __future__ import annotations

from typing import Any

import redis
from flask_smorest import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from complaints.database import db

from ..auth import public
from ..schemas import HealthSchema
from ..settings import config

blp = Blueprint("health", __name__, url_prefix="/api", description="运行状态")


@blp.route("/health", methods=["GET"])
@blp.response(200, HealthSchema)
@public
def health() -> Any:
    database = _database_status()
    body = {"status": "ok" if database == "ok" else "degraded", "database": database, "redis": _redis_status()}
    return body, 200 if database == "ok" else 503


def _database_status() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return "unreachable"
    return "ok"


def _redis_status() -> str:
    url = config().redis_url
    if url is None:
        return "not_configured"
    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        return "unreachable"
    finally:
        client.close()
    return "ok"
