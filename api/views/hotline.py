"""The 12345 hotline push endpoint (our contract: see README and channel/hotline.py)."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from channel import hotline
from complaints.cases import URGENCIES
from complaints.complainants import KINDS
from complaints.database import db
from complaints.errors import InvalidInput

from ..auth import public
from ..case_context import system_context
from ..errors import error_response
from ..field_messages import chinese_details
from ..input_guard import refuse_unstorable_in
from ..schemas import AwareDateTime
from ..settings import config

blp = Blueprint("hotline", __name__, url_prefix="/api/hotline/v1", description="12345 热线工单推送")


class CallerSchema(Schema):
    kind = fields.String(load_default="individual", validate=validate.OneOf(KINDS))
    name = fields.String(load_default=None, validate=validate.Length(max=60))
    phone = fields.String(load_default=None, validate=validate.Length(max=30))
    enterprise_name = fields.String(load_default=None, validate=validate.Length(max=200))
    credit_code = fields.String(load_default=None, validate=validate.Length(max=18))


class WorkOrderSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # the platform may add fields; we keep what we know

    order_id = fields.String(required=True, validate=validate.Length(1, 64))
    title = fields.String(required=True, validate=validate.Length(1, 200))
    content = fields.String(required=True, validate=validate.Length(1, 20000))
    respondent = fields.String(required=True, validate=validate.Length(1, 200))
    place = fields.String(load_default=None, validate=validate.Length(max=200))
    category_hint = fields.String(load_default=None)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    deadline_at = AwareDateTime(load_default=None)
    anonymous = fields.Boolean(load_default=False)
    caller = fields.Nested(CallerSchema, load_default=None)


class WorkOrderReceiptSchema(Schema):
    order_id = fields.String(required=True)
    reference = fields.String(required=True, metadata={"description": "案件编号"})
    status = fields.String(required=True)
    query_code = fields.String(
        allow_none=True, metadata={"description": "查询码（重复推送时，首次应答后一天内返回同一查询码，此后为 null）"}
    )
    duplicate = fields.Boolean(required=True, metadata={"description": "重复推送时为 true"})


SIGNATURE_HEADERS = [
    {"in": "header", "name": name, "required": True, "schema": {"type": "string"}, "description": description}
    for name, description in (
        ("X-Hotline-Timestamp", "Unix 秒，与服务器时间相差不超过5分钟"),
        ("X-Hotline-Nonce", "8-64 字符，每次推送唯一"),
        ("X-Hotline-Signature", "HMAC-SHA256(密钥, 时间戳 + \\n + nonce + \\n + 原始请求体)，十六进制"),
    )
]


@blp.route("/work-orders", methods=["POST"])
@public
@blp.doc(
    parameters=SIGNATURE_HEADERS,
    requestBody={"required": True, "content": {"application/json": {"schema": WorkOrderSchema}}},
)
@blp.response(201, WorkOrderReceiptSchema, description="新工单已立案")
@blp.alt_response(200, schema=WorkOrderReceiptSchema, description="重复推送：返回首次立案的案件")
def receive_work_order() -> Any:
    """Receive one work order. 201 with the new case's reference and query code; 200 for a retried order."""
    secret = config().hotline_secret
    if secret is None:
        return error_response(503, "hotline_not_configured", "未配置12345热线对接密钥")
    ctx = system_context("12345热线")
    push = hotline.SignedPush(
        timestamp=request.headers.get("X-Hotline-Timestamp", ""),
        nonce=request.headers.get("X-Hotline-Nonce", ""),
        signature=request.headers.get("X-Hotline-Signature", ""),
        body=request.get_data(),
    )
    hotline.verify(db.session, secret, push, ctx.now)
    try:
        parsed = json.loads(push.body)
        refuse_unstorable_in(parsed)
        order = WorkOrderSchema().load(parsed)
    except (ValueError, ValidationError) as error:
        details = chinese_details(error.messages) if isinstance(error, ValidationError) else None
        raise InvalidInput("工单格式不正确", code="validation_error", details=details) from None
    outcome = hotline.receive_work_order(ctx, order)
    receipt = {
        "order_id": order["order_id"],
        "reference": outcome.complaint.reference,
        "status": outcome.complaint.status,
        "query_code": outcome.query_code,
        "duplicate": outcome.duplicate,
    }
    return receipt, 200 if outcome.duplicate else 201
