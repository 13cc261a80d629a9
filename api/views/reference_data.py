"""Reference data kept as data: departments, categories, domains, deadline policies; and the phone lookup."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from complaints import policies
from complaints.access import find_complainants_by_phone
from complaints.database import db, utcnow
from complaints.deadlines import Clock
from complaints.departments import list_departments
from complaints.permissions import Action
from complaints.taxonomy import category_by_code, list_categories, list_domains
from complaints.workdays import PeriodUnit

from ..auth import public, requires
from ..case_context import staff_actor
from ..case_schemas import IdentitySchema
from ..schemas import RefSchema
from ..settings import personal_data_cipher

blp = Blueprint("reference_data", __name__, url_prefix="/api/v1", description="基础数据")


class NodeSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    parent_id = fields.Integer(allow_none=True)


class PublicCategorySchema(Schema):
    code = fields.String(metadata={"description": "问题类型代码，提交诉求时作为 category_hint 传入"})
    name = fields.String(metadata={"description": "问题类型名称"})


class DepartmentSchema(NodeSchema):
    level = fields.String()
    categories = fields.List(fields.Nested(RefSchema))


class PolicySchema(Schema):
    clock = fields.String()
    category_id = fields.Integer(allow_none=True)
    urgency = fields.String(allow_none=True)
    length = fields.Integer()
    unit = fields.String()
    basis = fields.String()


class PolicyArgs(Schema):
    clock = fields.String(required=True, validate=validate.OneOf([c.value for c in Clock]))
    category = fields.String(load_default=None)
    urgency = fields.String(load_default=None, validate=validate.OneOf(["normal", "urgent", "critical"]))
    length = fields.Integer(required=True, strict=True, validate=validate.Range(1, 365))
    unit = fields.String(required=True, validate=validate.OneOf([u.value for u in PeriodUnit]))
    basis = fields.String(required=True, validate=validate.Length(1, 120))


class PhoneArgs(Schema):
    phone = fields.String(required=True, validate=validate.Length(5, 30))


class FoundComplainantSchema(Schema):
    complainant = fields.Function(lambda pair: IdentitySchema().dump(pair[0]))
    references = fields.Function(lambda pair: pair[1])


@blp.route("/departments", methods=["GET"])
@blp.response(200, DepartmentSchema(many=True))
@requires(Action.VIEW_TAXONOMY)
def departments() -> Any:
    return list_departments(db.session)


@blp.route("/categories", methods=["GET"])
@blp.response(200, NodeSchema(many=True))
@requires(Action.VIEW_TAXONOMY)
def categories() -> Any:
    return list_categories(db.session)


@blp.route("/public/categories", methods=["GET"])
@blp.response(200, PublicCategorySchema(many=True))
@public
def public_categories() -> Any:
    """The categories a complainant may choose from (no login): code and name only, for the mini-program's picker
    and the 12345 platform's ``category_hint``. A hint is only a hint: an unknown one does not block filing."""
    return list_categories(db.session)


@blp.route("/domains", methods=["GET"])
@blp.response(200, NodeSchema(many=True))
@requires(Action.VIEW_TAXONOMY)
def domains() -> Any:
    return list_domains(db.session)


@blp.route("/deadline-policies", methods=["GET"])
@blp.response(200, PolicySchema(many=True))
@requires(Action.VIEW_TAXONOMY)
def list_policies() -> Any:
    return policies.list_policies(db.session)


@blp.route("/deadline-policies", methods=["PUT"])
@blp.arguments(PolicyArgs())
@blp.response(200, PolicySchema)
@requires(Action.MANAGE_POLICIES)
def set_policy(args: dict[str, Any]) -> Any:
    category_id = category_by_code(db.session, args["category"]).id if args["category"] else None
    return policies.set_policy(
        db.session,
        clock=Clock(args["clock"]),
        category_id=category_id,
        urgency=args["urgency"],
        length=args["length"],
        unit=PeriodUnit(args["unit"]),
        basis=args["basis"],
        now=utcnow(),
    )


@blp.route("/complainants/search", methods=["POST"])
@blp.arguments(PhoneArgs())
@blp.response(200, FoundComplainantSchema(many=True))
@requires(Action.FIND_COMPLAINANT)
def find_complainants(args: dict[str, str]) -> Any:
    """The number goes in the body, not the URL: a URL lands in access logs and proxies' logs."""
    return find_complainants_by_phone(db.session, personal_data_cipher(), staff_actor(), args["phone"], utcnow())
