"""The WeChat mini-program API (/api/mp/v1): login, phone, consents, uploads, filing, and after filing."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from channel import miniprogram
from channel.accounts import PRIVACY_NOTICE_VERSION, record_grants, unspent_grants
from channel.uploads import PURPOSES, store_upload
from complaints import after_closure
from complaints.complainants import PersonInput
from complaints.database import db, utcnow
from complaints.documents import KINDS as DOCUMENT_KINDS
from complaints.documents import build_document
from complaints.errors import InvalidInput
from complaints.machine import CaseContext
from complaints.progress import progress_of
from notifications.subscribe import TemplateMapping, template_for

from ..auth import current_mp_account, miniprogram_user, public
from ..case_schemas import ComplaintTextArgs, PersonArgs
from ..schemas import database_key
from ..settings import config, personal_data_cipher, senders, upload_store, wechat_client
from .public import ProgressSchema

blp = Blueprint("miniprogram", __name__, url_prefix="/api/mp/v1", description="微信小程序")


class CodeArgs(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 128))


class MpSessionSchema(Schema):
    token = fields.String()
    expires_in = fields.Integer()
    privacy_notice_version = fields.String()
    privacy_accepted = fields.Boolean()
    phone_bound = fields.Boolean()


class PhoneBoundSchema(Schema):
    phone_bound = fields.Boolean()


class PrivacyArgs(Schema):
    version = fields.String(required=True)


class FilingArgs(ComplaintTextArgs):
    anonymous = fields.Boolean(load_default=False)
    persons = fields.List(fields.Nested(PersonArgs), load_default=list, validate=validate.Length(max=10))
    category_hint = fields.String(load_default=None)
    # At most 9: counted by the domain, which answers too_many_attachments in words the user reads.
    attachment_ids = fields.List(database_key(), load_default=list, metadata={"maxItems": miniprogram.MAX_ATTACHMENTS})


class FiledSchema(Schema):
    id = fields.Integer(allow_none=True)
    reference = fields.String()
    status = fields.String()
    query_code = fields.String()


class MyCaseSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    title = fields.String()
    status = fields.String()
    status_label = fields.String()
    submitted_at = fields.DateTime()


class MaterialArgs(Schema):
    text = fields.String(load_default="", validate=validate.Length(max=5000))
    # At most 9 a time and 29 from the complainant per case, counted by the domain (too_many_attachments).
    attachment_ids = fields.List(database_key(), load_default=list, metadata={"maxItems": miniprogram.MAX_ATTACHMENTS})


class WithdrawArgs(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class RatingArgs(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["satisfied", "dissatisfied"]))
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


class RecheckArgs(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class SubscriptionArgs(Schema):
    template_ids = fields.List(
        fields.String(validate=validate.Length(1, 64)), required=True, validate=validate.Length(1, 10)
    )


class GrantsSchema(Schema):
    unspent = fields.Dict(keys=fields.String(), values=fields.Integer())


class UploadSchema(Schema):
    id = fields.Integer()
    content_type = fields.String()
    size_bytes = fields.Integer()
    purpose = fields.String()


def _ctx() -> CaseContext:
    return CaseContext.build(
        db.session, miniprogram.complainant_actor(current_mp_account()), utcnow(), personal_data_cipher()
    )


@blp.route("/session", methods=["POST"])
@blp.arguments(CodeArgs())
@blp.response(201, MpSessionSchema)
@public
def log_in(args: dict[str, str]) -> Any:
    """Log in with the code from wx.login; answers our own session token (the session_key never leaves us)."""
    account, token = miniprogram.log_in(db.session, wechat_client(), args["code"], utcnow())
    return {
        "token": token,
        "expires_in": 7 * 24 * 3600,
        "privacy_notice_version": PRIVACY_NOTICE_VERSION,
        "privacy_accepted": account.privacy_accepted,
        "phone_bound": account.phone_hash is not None,
    }


@blp.route("/phone", methods=["POST"])
@blp.arguments(CodeArgs())
@blp.response(200, PhoneBoundSchema)
@miniprogram_user
def bind_phone(args: dict[str, str]) -> Any:
    miniprogram.bind_phone(wechat_client(), personal_data_cipher(), current_mp_account(), args["code"])
    return {"phone_bound": True}


@blp.route("/consents/privacy", methods=["POST"])
@blp.arguments(PrivacyArgs())
@blp.response(204)
@miniprogram_user
def accept_privacy(args: dict[str, str]) -> None:
    miniprogram.accept_privacy(current_mp_account(), args["version"], utcnow())


@blp.route("/consents/id-number", methods=["POST"])
@blp.response(204)
@miniprogram_user
def consent_to_id_number() -> None:
    miniprogram.consent_to_id_number(current_mp_account(), utcnow())


@blp.route("/attachments", methods=["POST"])
@blp.response(201, UploadSchema)
@miniprogram_user
def upload() -> Any:
    """One file per request (wx.uploadFile), form field ``file``, optional ``purpose``."""
    uploaded = request.files.get("file")
    purpose = request.form.get("purpose", "evidence")
    if uploaded is None:
        raise InvalidInput("请选择要上传的文件", code="file_required")
    if purpose not in PURPOSES:
        raise InvalidInput("附件用途不正确", code="invalid_purpose")
    return store_upload(
        db.session,
        upload_store(),
        uploaded.read(),
        original_name=uploaded.filename or "upload",
        purpose=purpose,
        account_id=current_mp_account().id,
        uploaded_by="complainant",
        now=utcnow(),
    )


@blp.route("/complaints", methods=["POST"])
@blp.arguments(FilingArgs())
@blp.response(201, FiledSchema)
@miniprogram_user
def file_complaint(args: dict[str, Any]) -> Any:
    persons = [PersonInput(**person) for person in args.pop("persons")]
    filing = miniprogram.Filing(**args, persons=persons)
    complaint, code = miniprogram.file(
        _ctx(),
        wechat_client(),
        current_mp_account(),
        filing,
        store=upload_store(),
        public_base_url=config().public_base_url,
    )
    return {
        "id": None if filing.anonymous else complaint.id,
        "reference": complaint.reference,
        "status": complaint.status,
        "query_code": code,
    }


@blp.route("/complaints", methods=["GET"])
@blp.response(200, MyCaseSchema(many=True))
@miniprogram_user
def my_cases() -> Any:
    return miniprogram.my_cases(db.session, current_mp_account())


@blp.route("/complaints/<int:complaint_id>", methods=["GET"])
@blp.response(200, ProgressSchema)
@miniprogram_user
def my_case(complaint_id: int) -> Any:
    return progress_of(db.session, miniprogram.my_case(db.session, current_mp_account(), complaint_id))


@blp.route("/complaints/<int:complaint_id>/documents/<kind>", methods=["GET"])
@miniprogram_user
def document(complaint_id: int, kind: str) -> Any:
    complaint = miniprogram.my_case(db.session, current_mp_account(), complaint_id)
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput("文书类型不存在", code="unknown_document")
    doc = build_document(db.session, complaint, kind, None, config().center_name)
    return render_template("documents/document.html", doc=doc)


@blp.route("/complaints/<int:complaint_id>/materials", methods=["POST"])
@blp.arguments(MaterialArgs())
@blp.response(204)
@miniprogram_user
def add_material(args: dict[str, Any], complaint_id: int) -> None:
    account = current_mp_account()
    complaint = miniprogram.my_case(db.session, account, complaint_id)
    miniprogram.add_material(
        _ctx(),
        wechat_client(),
        account,
        complaint,
        args["text"],
        args["attachment_ids"],
        store=upload_store(),
        public_base_url=config().public_base_url,
    )


@blp.route("/complaints/<int:complaint_id>/withdraw", methods=["POST"])
@blp.arguments(WithdrawArgs())
@blp.response(204)
@miniprogram_user
def withdraw(args: dict[str, Any], complaint_id: int) -> None:
    miniprogram.withdraw(_ctx(), miniprogram.my_case(db.session, current_mp_account(), complaint_id), args["reason"])


@blp.route("/complaints/<int:complaint_id>/rating", methods=["POST"])
@blp.arguments(RatingArgs())
@blp.response(204)
@miniprogram_user
def rate(args: dict[str, Any], complaint_id: int) -> None:
    complaint = miniprogram.my_case(db.session, current_mp_account(), complaint_id)
    miniprogram.rate(_ctx(), complaint, args["outcome"], args["comment"])


@blp.route("/complaints/<int:complaint_id>/recheck", methods=["POST"])
@blp.arguments(RecheckArgs())
@blp.response(204)
@miniprogram_user
def request_recheck(args: dict[str, Any], complaint_id: int) -> None:
    complaint = miniprogram.my_case(db.session, current_mp_account(), complaint_id)
    after_closure.request_recheck(_ctx(), complaint, args["reason"])


@blp.route("/subscriptions", methods=["POST"])
@blp.arguments(SubscriptionArgs())
@blp.response(200, GrantsSchema)
@miniprogram_user
def subscribe(args: dict[str, list[str]]) -> Any:
    """Record the templates the user accepted in wx.requestSubscribeMessage (one tap buys one message each); only
    templates this center sends with can be recorded (an unknown one answers 400 unknown_template)."""
    account = current_mp_account()
    record_grants(db.session, account, args["template_ids"], _templates_in_use(), utcnow())
    db.session.flush()
    return {"unspent": unspent_grants(db.session, account.id)}


def _templates_in_use() -> set[str]:
    """The template ids notifications are sent with: per event, the administrators' mapping, else the configured
    template (the same choice the outbox relay makes)."""
    configured, session = senders().templates, db.session()
    mapped = {row.event for row in session.scalars(select(TemplateMapping))}
    chosen = (template_for(session, event, configured) for event in set(configured) | mapped)
    return {template.template_id for template in chosen if template is not None}
