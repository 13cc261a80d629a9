"""The audit trail, read-only, for the audit administrator."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from complaints import audit
from complaints.database import db
from complaints.permissions import Action

from ..auth import requires
from ..schemas import AuditEventSchema, AuditQueryArgs

blp = Blueprint("audit_log", __name__, url_prefix="/api/v1/audit-events", description="审计日志")


@blp.route("", methods=["GET"])
@blp.arguments(AuditQueryArgs(), location="query")
@blp.response(200, AuditEventSchema(many=True))
@requires(Action.READ_AUDIT_LOG)
def list_events(args: dict[str, Any]) -> Any:
    return audit.recent_events(db.session, **args)
