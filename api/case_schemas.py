"""Schemas of the case API: arguments (load), responses (dump) and the list query."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from complaints.case_views import SORTS
from complaints.cases import CHANNELS, CONFIDENTIALITY, SUPERVISION_LABELS, URGENCIES, CaseStatus, SupervisionLevel
from complaints.complainants import KINDS, PARTY_ROLES
from complaints.deadlines import CLOCK_LABELS, Clock
from complaints.legs import LegStatus
from complaints.machine import LEG_LABELS
from complaints.notices import NoticeKind

from .schemas import AwareDateTime, RefSchema


def _required_text(max_length: int) -> fields.String:
    return fields.String(required=True, validate=validate.Length(1, max_length))


class PersonArgs(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    role = fields.String(load_default="principal", validate=validate.OneOf(PARTY_ROLES))
    name = fields.String(load_default=None, validate=validate.Length(max=60))
    phone = fields.String(load_default=None, validate=validate.Length(max=30))
    id_number = fields.String(load_default=None, validate=validate.Length(max=18))
    enterprise_name = fields.String(load_default=None, validate=validate.Length(max=200))
    credit_code = fields.String(load_default=None, validate=validate.Length(max=18))


class ComplaintTextArgs(Schema):
    """What every channel's filing says: the matter, the unit complained about, and where."""

    title = _required_text(200)
    content = _required_text(20000)
    respondent = _required_text(200)
    place = fields.String(load_default=None, validate=validate.Length(max=200))


class RegisterArgs(ComplaintTextArgs):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    confidentiality = fields.String(load_default="confidential", validate=validate.OneOf(CONFIDENTIALITY))
    urgency = fields.String(load_default="normal", validate=validate.OneOf(URGENCIES))
    category_code = fields.String(load_default=None)
    domain_code = fields.String(load_default=None)
    respondent_department_code = fields.String(load_default=None)
    external_ref = fields.String(load_default=None, validate=validate.Length(max=64))
    external_due_at = AwareDateTime(load_default=None)
    persons = fields.List(fields.Nested(PersonArgs), load_default=list, validate=validate.Length(max=20))


class CaseQueryArgs(Schema):
    status = fields.List(fields.String(validate=validate.OneOf([s.value for s in CaseStatus])), load_default=list)
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    category = fields.String(load_default=None)
    lead_department = fields.String(load_default=None)
    supervision_level = fields.String(load_default=None, validate=validate.OneOf([s.value for s in SupervisionLevel]))
    overdue = fields.Boolean(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    sort = fields.String(load_default="-submitted_at", validate=validate.OneOf(SORTS))
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class NoteArgs(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class RejectArgs(Schema):
    reason = _required_text(2000)
    lawful_channel = _required_text(200)


class MergeArgs(Schema):
    into_reference = _required_text(24)
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class TransferArgs(Schema):
    body = _required_text(200)
    reason = _required_text(2000)


class AssignArgs(Schema):
    lead_department = _required_text(40)
    assisting_departments = fields.List(fields.String(), load_default=list, validate=validate.Length(max=10))
    instructions = fields.String(load_default=None, validate=validate.Length(max=2000))


class ReasonArgs(Schema):
    reason = _required_text(2000)


class ReplyArgs(Schema):
    reply = _required_text(20000)


class ConclusionArgs(Schema):
    conclusion = _required_text(20000)


class ExtensionArgs(Schema):
    days = fields.Integer(required=True, strict=True, validate=validate.Range(1, 30, error="延期天数须在1至30日之间"))
    reason = _required_text(2000)


class DecisionArgs(Schema):
    approve = fields.Boolean(required=True)
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class FollowUpArgs(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["satisfied", "dissatisfied"]))
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


class SupervisionArgs(Schema):
    level = fields.String(required=True, validate=validate.OneOf(["normal", "yellow", "red"]))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class DisclosureArgs(Schema):
    department = _required_text(40)
    reason = _required_text(2000)


class NoticeArgs(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in NoticeKind]))
    department = _required_text(40)
    subject = _required_text(200)
    body = _required_text(20000)
    rectify_by = fields.Date(load_default=None, metadata={"description": "整改期限"})


class LegSchema(Schema):
    id = fields.Integer()
    department = fields.Nested(RefSchema)
    role = fields.String()
    status = fields.String()
    status_label = fields.Function(lambda leg: LEG_LABELS[LegStatus(leg.status)])
    round = fields.Integer()
    assigned_at = fields.DateTime()
    signed_at = fields.DateTime(allow_none=True)
    replied_at = fields.DateTime(allow_none=True)
    reply = fields.String(allow_none=True)
    objection_reason = fields.String(allow_none=True)
    instructions = fields.String(allow_none=True)


class CaseStateSchema(Schema):
    """What an action answers: the case's tracks, without anyone's identity."""

    id = fields.Integer()
    reference = fields.String()
    status = fields.String()
    status_label = fields.String()
    supervision_level = fields.String()
    supervision_label = fields.Function(lambda c: SUPERVISION_LABELS[SupervisionLevel(c.supervision_level)])
    lead_department = fields.Nested(RefSchema, allow_none=True)
    redo_count = fields.Integer()
    follow_up_outcome = fields.String(allow_none=True)
    recheck_status = fields.String(allow_none=True)
    legs = fields.List(fields.Nested(LegSchema))


class RegisteredSchema(Schema):
    case = fields.Nested(CaseStateSchema)
    query_code = fields.String(metadata={"description": "shown once; only its hash is stored"})


class CaseRowSchema(Schema):
    id = fields.Function(lambda row: row.complaint.id)
    reference = fields.Function(lambda row: row.complaint.reference)
    title = fields.Function(lambda row: row.complaint.title)
    status = fields.Function(lambda row: row.complaint.status)
    status_label = fields.Function(lambda row: row.complaint.status_label)
    channel = fields.Function(lambda row: row.complaint.channel)
    urgency = fields.Function(lambda row: row.complaint.urgency)
    supervision_level = fields.Function(lambda row: row.complaint.supervision_level)
    respondent = fields.Function(lambda row: row.complaint.respondent)
    category = fields.Function(lambda row: _ref(row.complaint.category))
    lead_department = fields.Function(lambda row: _ref(row.complaint.lead_department))
    submitted_at = fields.Function(lambda row: row.complaint.submitted_at.isoformat())
    next_due_at = fields.Function(
        lambda row: row.next_due_at.isoformat() if row.next_due_at else None,
        metadata={
            "description": "the earliest end among the viewer's clocks: for department staff those it answers for "
            "(its legs, notices sent to it); for center staff the case's earliest open clock; null when none"
        },
    )
    overdue = fields.Boolean(metadata={"description": "next_due_at has passed (as on the board and dashboard)"})
    center_due_at = fields.Function(
        lambda row: row.center_due_at.isoformat() if row.center_due_at else None,
        metadata={"description": "the end of the center's own open clock (acceptance, review, 复查), if any"},
    )


class CasePageSchema(Schema):
    items = fields.List(fields.Nested(CaseRowSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class IdentitySchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    role = fields.String()
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    id_number_masked = fields.String(allow_none=True)
    enterprise_name = fields.String(allow_none=True)
    credit_code = fields.String(allow_none=True)


class TimelineEventSchema(Schema):
    occurred_at = fields.DateTime()
    actor_label = fields.String()
    action = fields.String()
    action_label = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    public = fields.Boolean()


class ClockSchema(Schema):
    id = fields.Integer()
    clock = fields.String()
    clock_label = fields.Function(lambda d: CLOCK_LABELS[Clock(d.clock)])
    leg_id = fields.Integer(allow_none=True)
    state = fields.String()
    starts_at = fields.DateTime()
    length = fields.Integer()
    unit = fields.String()
    extension_days = fields.Integer()
    last_day = fields.Date()
    ends_at = fields.DateTime()
    provisional = fields.Boolean()
    stopped_at = fields.DateTime(allow_none=True)


class NoticeSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    label = fields.String()
    number = fields.String()
    complaint_id = fields.Integer(allow_none=True)
    department_id = fields.Integer()
    subject = fields.String()
    body = fields.String()
    status = fields.String()
    issued_at = fields.DateTime()
    reply = fields.String(allow_none=True)
    replied_at = fields.DateTime(allow_none=True)
    rectify_by = fields.Date(allow_none=True)


class ExtensionSchema(Schema):
    id = fields.Integer()
    leg_id = fields.Integer()
    days = fields.Integer()
    reason = fields.String()
    status = fields.String()
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)


class FollowUpSchema(Schema):
    round = fields.Integer()
    outcome = fields.String()
    comment = fields.String(allow_none=True)
    source = fields.String()
    recorded_at = fields.DateTime()


class DisclosureSchema(Schema):
    department_id = fields.Integer()
    reason = fields.String()
    decided_by_id = fields.Integer()
    decided_at = fields.DateTime()


class CaseDetailSchema(CaseStateSchema):
    channel = fields.String()
    urgency = fields.String()
    confidentiality = fields.String()
    title = fields.String()
    content = fields.String()
    place = fields.String(allow_none=True)
    respondent = fields.String()
    category = fields.Nested(RefSchema, allow_none=True)
    domain = fields.Nested(RefSchema, allow_none=True)
    external_ref = fields.String(allow_none=True)
    external_due_at = fields.DateTime(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    lawful_channel = fields.String(allow_none=True)
    merged_into = fields.Function(lambda c: c.merged_into.reference if c.merged_into else None)
    transferred_to = fields.String(allow_none=True)
    conclusion = fields.String(allow_none=True)
    recheck_reason = fields.String(allow_none=True)
    recheck_conclusion = fields.String(allow_none=True)
    content_flag = fields.String(
        allow_none=True,
        metadata={"description": "review: WeChat's text check asks for a look; unchecked: WeChat could not check it"},
    )
    submitted_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class AttachmentSchema(Schema):
    id = fields.Integer()
    original_name = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    purpose = fields.String()
    uploaded_by = fields.String()
    flagged = fields.Boolean()
    media_check = fields.String(allow_none=True)
    created_at = fields.DateTime()


class DeliveryStateSchema(Schema):
    id = fields.Integer()
    event = fields.String()
    audience = fields.String()
    status = fields.String()
    channel = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)


class CaseDetailEnvelopeSchema(Schema):
    case = fields.Function(lambda d: CaseDetailSchema().dump(d.complaint))
    identity_redacted = fields.Boolean()
    complainants = fields.List(fields.Nested(IdentitySchema))
    timeline = fields.List(fields.Nested(TimelineEventSchema))
    clocks = fields.List(fields.Nested(ClockSchema))
    notices = fields.List(fields.Nested(NoticeSchema))
    extensions = fields.List(fields.Nested(ExtensionSchema))
    follow_ups = fields.List(fields.Nested(FollowUpSchema))
    disclosures = fields.List(fields.Nested(DisclosureSchema))
    attachments = fields.List(fields.Nested(AttachmentSchema))
    deliveries = fields.List(fields.Nested(DeliveryStateSchema))


class QueryCodeSchema(Schema):
    reference = fields.String()
    query_code = fields.String()


def _ref(obj: Any) -> dict[str, str] | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None
