"""Public progress lookup: a JSON endpoint and the H5 page that the receipt's QR code opens."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from complaints.database import db, utcnow
from complaints.progress import LookupLimits, LookupRefused, look_up

from ..auth import public
from ..errors import domain_error_response
from ..settings import config, personal_data_cipher

blp = Blueprint("public", __name__, description="公开查询")


class LookupArgs(Schema):
    reference = fields.String(required=True, validate=validate.Length(1, 24))
    query_code = fields.String(required=True, validate=validate.Length(1, 32))


class PublicEventSchema(Schema):
    occurred_at = fields.DateTime()
    actor_label = fields.String()
    action = fields.String()
    action_label = fields.String()
    to_status = fields.String(allow_none=True)
    note = fields.String(attribute="public_note", allow_none=True)


class ProgressSchema(Schema):
    reference = fields.String()
    status = fields.String()
    status_label = fields.String()
    submitted_on = fields.Date()
    acceptance_decided_by = fields.Date(allow_none=True)
    timeline = fields.List(fields.Nested(PublicEventSchema))
    conclusion = fields.String(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    lawful_channel = fields.String(allow_none=True)


@blp.route("/api/public/v1/progress", methods=["POST"])
@blp.arguments(LookupArgs())
@blp.response(200, ProgressSchema)
@public
def progress(args: dict[str, str]) -> Any:
    """Progress of a case for whoever holds its reference and query code."""
    result = look_up(
        db.session,
        personal_data_cipher(),
        reference=args["reference"],
        query_code=args["query_code"],
        client=request.remote_addr or "unknown",
        limits=LookupLimits(),
        now=utcnow(),
    )
    if isinstance(result, LookupRefused):
        return domain_error_response(result.error)
    return result


@blp.route("/progress", methods=["GET"])
@public
def progress_page() -> str:
    """The H5 page: the reference comes in the query string, the code in the URL fragment (never sent)."""
    return render_template("public/progress.html", center_name=config().center_name)
