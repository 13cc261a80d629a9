"""The one place that commits or rolls back: after each request.

Domain functions only flush. A request that ended in an error handler rolls back; every other request commits,
including views and hooks that *return* a 4xx response on purpose so that what they recorded survives (a failed
login's counter and audit event, a permission denial's audit event).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from complaints.database import db
from notifications.queue import wake

from .errors import error_response
from .settings import config

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.after_request(_finish_transaction)


def _finish_transaction(response: Response) -> Response:
    outbox_written = db.session.info.pop("outbox_written", False)
    case_filed = db.session.info.pop("case_filed", False)
    if g.get("rollback_only"):
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        log.info("commit refused by a database constraint")
        return error_response(409, "conflict", "数据已被修改或与现有记录冲突，请刷新后重试")
    except OperationalError:
        db.session.rollback()
        log.exception("commit failed")
        return error_response(503)
    redis_url = config().redis_url
    if (outbox_written or case_filed) and redis_url is not None:
        wake(redis_url, relay=outbox_written, triage=case_filed)
    return response
