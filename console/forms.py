"""Form schemas of the console (validated with marshmallow like the API's arguments)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from complaints.cases import URGENCIES


def text(max_length: int, required: bool = True) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_length))
    return fields.String(load_default=None, validate=validate.Length(max=max_length))


class NextForm(Schema):
    next = fields.String(load_default=None)


class RejectForm(NextForm):
    reason = text(2000)
    lawful_channel = text(200)


class MergeForm(NextForm):
    target_reference = text(24)
    note = text(500, required=False)


class TransferForm(NextForm):
    body = text(200)
    reason = text(2000)


class ClassifyForm(NextForm):
    category_code = fields.String(load_default=None)
    domain_code = fields.String(load_default=None)
    urgency = fields.String(load_default=None, validate=validate.OneOf(URGENCIES))


class ReasonForm(NextForm):
    reason = text(2000)


class ReplyForm(NextForm):
    text = text(5000)


class HandlerForm(NextForm):
    username = text(40)


class ExtensionForm(NextForm):
    days = fields.Integer(required=True, validate=validate.Range(min=1, max=30))
    reason = text(2000)


class EscalateForm(NextForm):
    level = fields.String(required=True, validate=validate.OneOf(["normal", "yellow", "red"]))
    note = text(500, required=False)


class RevealForm(NextForm):
    department_code = text(40)
    reason = text(500)


class ConclusionForm(NextForm):
    conclusion = text(20000)


class ExtensionDecisionForm(NextForm):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    note = text(2000, required=False)


class NoteForm(NextForm):
    note = text(2000, required=False)


class ReceiptForm(Schema):
    format = fields.String(load_default="html", validate=validate.OneOf(["html", "pdf"]))
    void_old_code = fields.String(required=True, validate=validate.Equal("yes"))  # the clerk saw the old code dies


class RegisterForm(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(["hotline", "walkin", "letter", "web"]))
    title = text(200)
    content = text(5000)
    respondent = text(200)
    place = text(200, required=False)
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    confidentiality = fields.String(load_default="confidential", validate=validate.OneOf(["confidential", "anonymous"]))
    kind = fields.String(required=True, validate=validate.OneOf(["individual", "enterprise"]))
    name = text(80, required=False)
    phone = text(40, required=False)
    enterprise_name = text(200, required=False)
    credit_code = text(18, required=False)


class YearScheduleForm(NextForm):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2200))
    schedule = text(20000)


class RoutingRuleForm(NextForm):
    department_code = text(40)
    domain_code = fields.String(load_default=None)
    category_code = fields.String(load_default=None)
    place_contains = fields.String(load_default=None, validate=validate.Length(max=60))
    respondent_contains = fields.String(load_default=None, validate=validate.Length(max=120))
    note = fields.String(load_default=None, validate=validate.Length(max=200))


class ThresholdForm(NextForm):
    threshold_percent = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=100))


class FollowUpForm(NextForm):
    outcome = fields.String(required=True, validate=validate.OneOf(["satisfied", "dissatisfied"]))
    comment = text(1000, required=False)


class NoticeForm(NextForm):
    kind = fields.String(required=True, validate=validate.OneOf(["risk_alert", "supervision_notice", "clue_transfer"]))
    department_code = text(40)
    subject = text(200)
    body = text(5000)
    rectify_by = fields.Date(load_default=None)


class NoticeReplyForm(NextForm):
    reply = text(5000)


class NewUserForm(NextForm):
    username = text(40)
    display_name = text(80)
    password = text(256)
    role = text(32)
    department_code = fields.String(load_default=None)


class PasswordForm(NextForm):
    password = text(256)


class MessageTextForm(NextForm):
    channel = text(10)
    event = text(40)
    text = text(500)


class TaxonomyForm(NextForm):
    code = text(40)
    name = text(80)
    parent_code = fields.String(load_default=None)


class DepartmentForm(TaxonomyForm):
    class Meta:
        unknown = EXCLUDE  # category_codes is a multiple choice, read by the view

    name = text(120)
    level = fields.String(required=True, validate=validate.OneOf(["city", "district", "town", "external"]))


class PolicyForm(NextForm):
    clock = fields.String(
        required=True,
        validate=validate.OneOf(["triage", "assignment", "sign", "handling", "review", "recheck", "notice_reply"]),
    )
    category_code = fields.String(load_default=None)
    urgency = fields.String(load_default=None, validate=validate.OneOf(URGENCIES))
    length = fields.Integer(required=True, validate=validate.Range(min=1, max=365))
    unit = fields.String(required=True, validate=validate.OneOf(["calendar_days", "working_days"]))
    basis = text(120)


class TemplateMappingForm(NextForm):
    event = text(40)
    template_id = text(64)
    field_map = fields.String(required=True, data_key="fields", validate=validate.Length(min=1, max=300))
    page = text(200, required=False)
