"""Form schemas of the administration pages that are new with account management; each field declares the Chinese
label its errors are worded with."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from complaints.permissions import Role


class RoleForm(Schema):
    next = fields.String(load_default=None)
    role = fields.String(
        required=True, validate=validate.OneOf([role.value for role in Role]), metadata={"label": "角色"}
    )
    department_code = fields.String(load_default=None, validate=validate.Length(max=40), metadata={"label": "所属单位"})
