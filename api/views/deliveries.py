"""Delivery state of the outbox for staff: what failed or was dead-lettered, and resending it."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from complaints.database import db, utcnow
from complaints.permissions import Action
from notifications import texts
from notifications.delivery import messages_in, resend

from ..auth import current_actor, requires
from ..schemas import database_key

blp = Blueprint("deliveries", __name__, url_prefix="/api/v1/deliveries", description="消息投递")


class DeliveryQueryArgs(Schema):
    status = fields.String(
        load_default="dead", validate=validate.OneOf(["pending", "sending", "sent", "failed", "dead"])
    )
    complaint_id = database_key(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class DeliverySchema(Schema):
    id = fields.Integer()
    event = fields.String()
    audience = fields.String()
    complaint_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    status = fields.String()
    channel = fields.String(allow_none=True)
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


@blp.route("", methods=["GET"])
@blp.arguments(DeliveryQueryArgs(), location="query")
@blp.response(200, DeliverySchema(many=True))
@requires(Action.MANAGE_DELIVERIES)
def list_deliveries(args: dict[str, Any]) -> Any:
    return messages_in(db.session, args["status"], args["complaint_id"], args["limit"])


@blp.route("/<int:message_id>/resend", methods=["POST"])
@blp.response(200, DeliverySchema)
@requires(Action.MANAGE_DELIVERIES)
def resend_message(message_id: int) -> Any:
    return resend(db.session, message_id, utcnow())


class MessageTextSchema(Schema):
    channel = fields.String()
    event = fields.String()
    text = fields.String()
    default = fields.String()
    customized = fields.String()


class RewordArgs(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(list(texts.CHANNELS)))
    event = fields.String(required=True)
    text = fields.String(required=True, validate=validate.Length(1, 500))


texts_blp = Blueprint("message_texts", __name__, url_prefix="/api/v1/message-texts", description="消息文案")


@texts_blp.route("", methods=["GET"])
@texts_blp.response(200, MessageTextSchema(many=True))
@requires(Action.EDIT_MESSAGE_TEXTS)
def list_texts() -> Any:
    """Our own WeCom and in-app wording, as administrators have set it (or the defaults)."""
    return texts.all_texts(db.session)


@texts_blp.route("", methods=["PUT"])
@texts_blp.arguments(RewordArgs())
@texts_blp.response(200, MessageTextSchema)
@requires(Action.EDIT_MESSAGE_TEXTS)
def reword(args: dict[str, str]) -> Any:
    row = texts.reword(db.session, **args, actor=current_actor().name, now=utcnow())
    return {
        "channel": row.channel,
        "event": row.event,
        "text": row.text,
        "default": texts.DEFAULTS[row.event],
        "customized": "true",
    }
