"""The three notices: lists for center and departments, and a department's written reply."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from complaints import notice_lists, supervision
from complaints.database import db
from complaints.permissions import Action

from ..auth import requires
from ..case_context import case_context, staff_actor
from ..case_schemas import NoticeSchema, ReplyArgs

blp = Blueprint(
    "notices", __name__, url_prefix="/api/v1/notices", description="三书（风险提示单、问题督办单、线索移交单）"
)


@blp.route("", methods=["GET"])
@blp.response(200, NoticeSchema(many=True))
@requires(Action.VIEW_NOTICES)
def list_notices() -> Any:
    return notice_lists.visible_notices(db.session, staff_actor())


@blp.route("/<int:notice_id>/reply", methods=["POST"])
@blp.arguments(ReplyArgs())
@blp.response(200, NoticeSchema)
@requires(Action.REPLY_NOTICE)
def reply(args: dict[str, Any], notice_id: int) -> Any:
    ctx = case_context()
    notice = notice_lists.addressed_notice(ctx.session, ctx.actor, notice_id)
    supervision.reply_to_notice(ctx, notice, args["reply"])
    return notice
