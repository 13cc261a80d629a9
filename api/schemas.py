"""Marshmallow schemas of the staff API: separate load (arguments), dump (responses) and query schemas.

Schemas never touch the database. Unknown fields are refused (marshmallow's RAISE), which answers 400.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from complaints.permissions import ROLE_LABELS, Role
from complaints.workdays import PeriodUnit

from .converters import LARGEST_BIG_KEY, LARGEST_KEY


def database_key(largest: int = LARGEST_KEY, **options: Any) -> fields.Integer:
    """An id of ours given as input: a positive integer that the key's column can hold (a larger one would fail
    the query, and the request with it, instead of finding that nothing has that id)."""
    return fields.Integer(validate=validate.Range(1, largest, error="编号超出范围"), **options)


class AwareDateTime(fields.AwareDateTime):
    """An ISO 8601 instant that must carry its offset."""

    default_error_messages = {  # noqa: RUF012
        "invalid": "时间格式不正确",
        "invalid_awareness": "时间必须带时区，例如 2026-10-01T09:00:00+08:00",
    }


class LoginArgs(Schema):
    username = fields.String(required=True, validate=validate.Length(1, 80))
    password = fields.String(required=True, load_only=True, validate=validate.Length(1, 256))


class RefSchema(Schema):
    code = fields.String()
    name = fields.String()


class StaffUserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    role_label = fields.Function(lambda user: ROLE_LABELS[Role(user.role)])
    department = fields.Nested(RefSchema, allow_none=True)
    is_active = fields.Boolean()
    locked_until = fields.DateTime(allow_none=True)
    last_login_at = fields.DateTime(allow_none=True)


class LoginResultSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    idle_timeout_seconds = fields.Integer()
    second_factor_required = fields.Boolean(
        metadata={
            "description": "true: the token reaches nothing but /me and /session/second-factor until a code is verified"
        }
    )
    user = fields.Nested(StaffUserSchema)


class SecondFactorArgs(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))


class CreateUserArgs(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True, validate=validate.Length(1, 80))
    password = fields.String(required=True, load_only=True)
    role = fields.String(required=True, validate=validate.OneOf([role.value for role in Role]))
    department_code = fields.String(load_default=None)
    wecom_userid = fields.String(load_default=None, validate=validate.Length(1, 64))


class PasswordArgs(Schema):
    password = fields.String(required=True, load_only=True)


class AuditQueryArgs(Schema):
    action = fields.String(load_default=None)
    actor_id = database_key(load_default=None)
    before_id = database_key(LARGEST_BIG_KEY, load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class AuditEventSchema(Schema):
    id = fields.Integer()
    occurred_at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    action = fields.String()
    target = fields.String(allow_none=True)
    ip_address = fields.String(allow_none=True)
    details = fields.Dict()


class HolidayEntrySchema(Schema):
    date = fields.Date(required=True)
    name = fields.String(required=True, validate=validate.Length(1, 60))


class YearScheduleArgs(Schema):
    holidays = fields.List(fields.Nested(HolidayEntrySchema), required=True, validate=validate.Length(max=120))
    workdays = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=30))

    @validates_schema
    def _no_duplicates(self, data: dict[str, list[Any]], **_: object) -> None:
        days = [entry["date"] for entry in data["holidays"]]
        if len(days) != len(set(days)) or len(data["workdays"]) != len(set(data["workdays"])):
            raise ValidationError("同一日期不能重复录入")


class YearScheduleSchema(Schema):
    year = fields.Integer()
    source = fields.String(metadata={"description": "entered, published or unknown"})
    holidays = fields.List(fields.Nested(HolidayEntrySchema))
    workdays = fields.List(fields.Date())


class YearEnteredSchema(YearScheduleSchema):
    deadlines_firmed = fields.Integer()


class CalendarStatusSchema(Schema):
    today = fields.Date()
    current_year_known = fields.Boolean()
    next_year_known = fields.Boolean()
    provisional_deadlines = fields.Integer()
    warning = fields.String(allow_none=True)


class PeriodArgs(Schema):
    start = AwareDateTime(required=True)
    length = fields.Integer(required=True, strict=True, validate=validate.Range(1, 3650))
    unit = fields.String(required=True, validate=validate.OneOf([unit.value for unit in PeriodUnit]))


class PeriodSchema(Schema):
    start_day = fields.Date()
    length = fields.Integer()
    unit = fields.String()
    last_day = fields.Date()
    ends_at = fields.DateTime()
    provisional = fields.Boolean()
    unknown_years = fields.List(fields.Integer())


class HealthSchema(Schema):
    status = fields.String()
    database = fields.String()
    redis = fields.String()
