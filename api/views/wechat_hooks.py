"""What WeChat's servers call: signed media links for mediaCheckAsync, and the message push (events)."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

from flask import Response, request, send_file
from flask_smorest import Blueprint
from sqlalchemy import select

from channel.miniprogram import apply_media_verdict
from channel.wechat import verify_push
from complaints.attachments import Attachment
from complaints.database import db, utcnow
from complaints.errors import NotFound, ServiceUnavailable

from ..auth import public
from ..input_guard import holds_unstorable
from ..settings import config, upload_store

blp = Blueprint("wechat_hooks", __name__, description="微信服务器回调")


@blp.route("/api/media/<storage_key>", methods=["GET"])
@public
def media(storage_key: str) -> Any:
    """An uploaded file behind a signed, expiring link (only ever handed to WeChat's media check)."""
    content = upload_store().open_signed(storage_key, request.args.get("e", ""), request.args.get("s", ""), utcnow())
    attachment = db.session.scalar(select(Attachment).where(Attachment.storage_key == storage_key))
    if attachment is None:
        raise NotFound("链接无效或已过期", code="file_not_found")
    response = send_file(BytesIO(content), mimetype=attachment.content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/api/wechat/events", methods=["GET", "POST"])
@public
def events() -> Any:
    """The message push URL: GET answers WeChat's URL check, POST receives events (JSON format). Both must be
    signed with our token and timestamped within five minutes."""
    token = config().wechat_event_token
    if not token:
        raise ServiceUnavailable("未配置微信消息推送 Token", code="wechat_not_configured")
    args = request.args
    verify_push(token, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""), utcnow())
    if request.method == "GET":
        return Response(request.args.get("echostr", ""), mimetype="text/plain")
    try:
        event = json.loads(request.get_data() or b"{}")
    except ValueError:
        event = {}
    if not isinstance(event, dict) or holds_unstorable(event):
        event = {}  # signed, yet nothing WeChat sends: acknowledged and ignored
    result = event.get("result")
    if event.get("Event") == "wxa_media_check" and event.get("trace_id"):
        suggest = result.get("suggest", "") if isinstance(result, dict) else ""
        apply_media_verdict(db.session, str(event["trace_id"]), str(suggest))
    return Response("success", mimetype="text/plain")
