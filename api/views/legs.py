"""A department's own legs: sign, object, reply, ask for an extension; and the supervisor's decision on it."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from complaints import handling
from complaints.access import get_visible
from complaints.errors import NotFound
from complaints.legs import Extension
from complaints.permissions import Action

from ..auth import requires
from ..case_context import case_context, on_leg
from ..case_schemas import CaseStateSchema, DecisionArgs, ExtensionArgs, ReasonArgs, ReplyArgs

blp = Blueprint("legs", __name__, url_prefix="/api/v1", description="承办单位办理")


@blp.route("/complaints/<int:complaint_id>/legs/<int:leg_id>/sign", methods=["POST"])
@blp.response(200, CaseStateSchema)
@requires(Action.SIGN_LEG)
def sign(complaint_id: int, leg_id: int) -> Any:
    return on_leg(complaint_id, leg_id, handling.sign)


@blp.route("/complaints/<int:complaint_id>/legs/<int:leg_id>/objection", methods=["POST"])
@blp.arguments(ReasonArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.OBJECT_LEG)
def object_to(args: dict[str, Any], complaint_id: int, leg_id: int) -> Any:
    return on_leg(complaint_id, leg_id, lambda ctx, leg: handling.object_to(ctx, leg, args["reason"]))


@blp.route("/complaints/<int:complaint_id>/legs/<int:leg_id>/reply", methods=["POST"])
@blp.arguments(ReplyArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.REPLY_LEG)
def reply(args: dict[str, Any], complaint_id: int, leg_id: int) -> Any:
    return on_leg(complaint_id, leg_id, lambda ctx, leg: handling.reply(ctx, leg, args["reply"]))


@blp.route("/complaints/<int:complaint_id>/legs/<int:leg_id>/extension", methods=["POST"])
@blp.arguments(ExtensionArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.REQUEST_EXTENSION)
def request_extension(args: dict[str, Any], complaint_id: int, leg_id: int) -> Any:
    return on_leg(complaint_id, leg_id, lambda ctx, leg: handling.request_extension(ctx, leg, **args))


@blp.route("/extensions/<int:extension_id>/decision", methods=["POST"])
@blp.arguments(DecisionArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.APPROVE_EXTENSION)
def decide_extension(args: dict[str, Any], extension_id: int) -> Any:
    ctx = case_context()
    extension = ctx.session.get(Extension, extension_id)
    if extension is None:
        raise NotFound("延期申请不存在", code="extension_not_found")
    complaint = get_visible(ctx.session, ctx.actor, extension.complaint_id)
    handling.decide_extension(ctx, extension, approve=args["approve"], note=args["note"])
    return complaint
