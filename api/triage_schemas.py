"""Schemas of the triage API: suggestions, the queue, routing rules, risk alerts, similar cases."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from complaints.cases import URGENCIES


class CandidateSchema(Schema):
    label = fields.String()
    probability = fields.Float()


class HeadSchema(Schema):
    label = fields.String()
    name = fields.String(allow_none=True)
    probability = fields.Float()
    candidates = fields.List(fields.Nested(CandidateSchema))
    evidence = fields.List(fields.String(), metadata={"description": "推动该结论的词语"})


class DepartmentRefSchema(Schema):
    code = fields.String()
    name = fields.String()


class SignalSchema(Schema):
    code = fields.String()
    label = fields.String()
    evidence = fields.String()


class ScopeSchema(Schema):
    code = fields.String()
    label = fields.String()
    lawful_channel = fields.String()
    evidence = fields.String()


class RepeatSchema(Schema):
    complaint_id = fields.Integer()
    reference = fields.String()
    similarity = fields.Float()
    same_complainant = fields.Boolean()
    mergeable = fields.Boolean()


class SuggestionSchema(Schema):
    complaint_id = fields.Integer()
    decision = fields.String(metadata={"description": "auto_routed 已自动分办；manual 待人工分办"})
    model_version = fields.String(allow_none=True)
    domain = fields.Nested(HeadSchema, allow_none=True)
    category = fields.Nested(HeadSchema, allow_none=True)
    lead_department = fields.Nested(DepartmentRefSchema, allow_none=True)
    route_reason = fields.String(allow_none=True)
    urgency = fields.String()
    signals = fields.List(fields.Nested(SignalSchema))
    out_of_scope = fields.Nested(ScopeSchema, allow_none=True)
    repeats = fields.List(fields.Nested(RepeatSchema))
    cluster = fields.List(fields.String())
    risk_alert_id = fields.Integer(allow_none=True)
    manual_reasons = fields.List(fields.String())
    created_at = fields.DateTime()


class QueueItemSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    title = fields.String()
    respondent = fields.String()
    channel = fields.String()
    submitted_at = fields.DateTime()
    status = fields.String(metadata={"description": "submitted: to accept; accepted: accepted, waiting to be assigned"})
    objection = fields.Dict(
        keys=fields.String(),
        values=fields.String(allow_none=True),
        allow_none=True,
        metadata={"description": "the lead department's objection that sent an accepted case back to assignment"},
    )
    suggestion = fields.Nested(SuggestionSchema, allow_none=True)


class ClassifyArgs(Schema):
    category_code = fields.String(load_default=None, validate=validate.Length(max=40))
    domain_code = fields.String(load_default=None, validate=validate.Length(max=40))
    urgency = fields.String(load_default=None, validate=validate.OneOf(URGENCIES))


class SimilarArgs(Schema):
    k = fields.Integer(load_default=5, validate=validate.Range(min=1, max=20))


class PastCaseSchema(Schema):
    complaint_id = fields.Integer()
    reference = fields.String()
    title = fields.String()
    similarity = fields.Float()
    closed_at = fields.DateTime(allow_none=True)
    reply = fields.String(allow_none=True)
    conclusion = fields.String(allow_none=True)


class RoutingRuleArgs(Schema):
    department_code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    domain_code = fields.String(load_default=None, validate=validate.Length(max=40))
    category_code = fields.String(load_default=None, validate=validate.Length(max=40))
    place_contains = fields.String(load_default=None, validate=validate.Length(max=60))
    respondent_contains = fields.String(load_default=None, validate=validate.Length(max=120))
    note = fields.String(load_default=None, validate=validate.Length(max=200))


class RoutingRuleSchema(Schema):
    id = fields.Integer()
    department_id = fields.Integer()
    domain_id = fields.Integer(allow_none=True)
    category_id = fields.Integer(allow_none=True)
    place_contains = fields.String(allow_none=True)
    respondent_contains = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class ThresholdArgs(Schema):
    auto_route_threshold = fields.Float(
        required=True, allow_none=True, validate=validate.Range(min=0, max=1, min_inclusive=False)
    )


class CategorySchema(Schema):
    code = fields.String()
    name = fields.String()
    auto_route_threshold = fields.Float(allow_none=True)


class RiskAlertSchema(Schema):
    id = fields.Integer()
    respondent = fields.String()
    status = fields.String()
    case_count = fields.Integer()
    complaint_ids = fields.List(fields.Integer())
    summary = fields.String()
    raised_at = fields.DateTime()
    updated_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class ModelInfoSchema(Schema):
    current = fields.String(allow_none=True)
    previous = fields.String(allow_none=True)
    meta = fields.Dict(allow_none=True)
    problem = fields.String(allow_none=True, metadata={"description": "当前模型无法读取时的原因"})
