"""Triage for staff: a case's suggestion, the queue, classification, similar past cases, routing rules,
auto-routing thresholds, risk alerts and the current model."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from complaints.access import get_visible
from complaints.database import db, utcnow
from complaints.errors import NotFound
from complaints.permissions import Action
from complaints.taxonomy import set_auto_route_threshold
from triage import corrections, overview, routing
from triage.history import similar_closed_cases
from triage.jobs import suggest_now

from ..auth import requires
from ..case_context import case_context, on_case, staff_actor
from ..case_schemas import CaseStateSchema
from ..settings import triage_policy, triage_store
from ..triage_schemas import (
    CategorySchema,
    ClassifyArgs,
    ModelInfoSchema,
    PastCaseSchema,
    QueueItemSchema,
    RiskAlertSchema,
    RoutingRuleArgs,
    RoutingRuleSchema,
    SimilarArgs,
    SuggestionSchema,
    ThresholdArgs,
)

blp = Blueprint("triage", __name__, url_prefix="/api/v1", description="分流：建议、分办规则、类案风险")


@blp.route("/complaints/<int:complaint_id>/triage", methods=["GET"])
@blp.response(200, SuggestionSchema)
@requires(Action.VIEW_TRIAGE)
def suggestion(complaint_id: int) -> Any:
    ctx = case_context()
    complaint = get_visible(ctx.session, ctx.actor, complaint_id)
    found = overview.suggestion_of(ctx.session, complaint.id)
    if found is None:
        raise NotFound("该案件尚无分流建议（正在分析或案件已不在分流阶段）", code="no_suggestion")
    return found


@blp.route("/complaints/<int:complaint_id>/triage", methods=["POST"])
@blp.response(200, SuggestionSchema)
@requires(Action.TRIAGE_COMPLAINT)
def suggest(complaint_id: int) -> Any:
    """Suggest now instead of waiting for the job. A case keeps its suggestion, unless it was made without a model
    and one is usable now (cases filed while none was get their prediction)."""
    ctx = case_context()
    complaint = get_visible(ctx.session, ctx.actor, complaint_id)
    return suggest_now(ctx, complaint, triage_store(), triage_policy())


@blp.route("/complaints/<int:complaint_id>/classification", methods=["PUT"])
@blp.arguments(ClassifyArgs())
@blp.response(200, CaseStateSchema)
@requires(Action.TRIAGE_COMPLAINT)
def classify(args: dict[str, Any], complaint_id: int) -> Any:
    return on_case(complaint_id, lambda ctx, c: corrections.classify_case(ctx, c, **args))


@blp.route("/complaints/<int:complaint_id>/similar", methods=["GET"])
@blp.arguments(SimilarArgs(), location="query")
@blp.response(200, PastCaseSchema(many=True))
@requires(Action.VIEW_COMPLAINTS)
def similar(args: dict[str, Any], complaint_id: int) -> Any:
    """Similar closed cases among those the caller may open: a department sees only cases it had a part in."""
    viewer = staff_actor()
    complaint = get_visible(db.session, viewer, complaint_id)
    return similar_closed_cases(db.session, complaint, args["k"], viewer=viewer)


@blp.route("/triage/queue", methods=["GET"])
@blp.response(200, QueueItemSchema(many=True))
@requires(Action.VIEW_TRIAGE)
def triage_queue() -> Any:
    return overview.queue(db.session)


@blp.route("/triage/model", methods=["GET"])
@blp.response(200, ModelInfoSchema)
@requires(Action.VIEW_TRIAGE)
def model_info() -> Any:
    return overview.model_info(triage_store())


@blp.route("/routing-rules", methods=["GET"])
@blp.response(200, RoutingRuleSchema(many=True))
@requires(Action.VIEW_TAXONOMY)
def list_rules() -> Any:
    return routing.list_rules(db.session)


@blp.route("/routing-rules", methods=["POST"])
@blp.arguments(RoutingRuleArgs())
@blp.response(201, RoutingRuleSchema)
@requires(Action.MANAGE_ROUTING)
def add_rule(args: dict[str, Any]) -> Any:
    return routing.add_rule(db.session, staff_actor(), routing.RuleInput(**args), utcnow())


@blp.route("/routing-rules/<int:rule_id>", methods=["DELETE"])
@blp.response(204)
@requires(Action.MANAGE_ROUTING)
def delete_rule(rule_id: int) -> None:
    routing.delete_rule(db.session, staff_actor(), rule_id, utcnow())


@blp.route("/categories/<code>/auto-route-threshold", methods=["PUT"])
@blp.arguments(ThresholdArgs())
@blp.response(200, CategorySchema)
@requires(Action.MANAGE_ROUTING)
def set_threshold(args: dict[str, Any], code: str) -> Any:
    actor = staff_actor()
    return set_auto_route_threshold(
        db.session, code, args["auto_route_threshold"], actor_id=actor.id, actor_name=actor.name, now=utcnow()
    )


@blp.route("/risk-alerts", methods=["GET"])
@blp.response(200, RiskAlertSchema(many=True))
@requires(Action.VIEW_TRIAGE)
def risk_alerts() -> Any:
    return overview.open_alerts(db.session)


@blp.route("/risk-alerts/<int:alert_id>/close", methods=["POST"])
@blp.response(200, RiskAlertSchema)
@requires(Action.CLOSE_RISK_ALERT)
def close_alert(alert_id: int) -> Any:
    return overview.close_alert(db.session, staff_actor(), alert_id, utcnow())
