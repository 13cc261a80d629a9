"""Who should lead a case: routing rules kept as data (领域 × 问题类型 × 地区 or 被投诉单位 → 承办单位), then the
one department that handles the category, if there is exactly one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from complaints import audit
from complaints.database import DbSession
from complaints.departments import Department, department_by_code
from complaints.errors import InvalidInput, NotFound
from complaints.machine import StaffActor
from complaints.taxonomy import category_by_code, department_category, domain_by_code

from .records import RoutingRule


@dataclass(frozen=True)
class Route:
    department_id: int
    reason: str


@dataclass(frozen=True)
class CaseFacts:
    domain_id: int | None
    category_id: int | None
    place: str
    respondent: str


def route(session: DbSession, facts: CaseFacts) -> Route | None:
    rules = [rule for rule in session.scalars(select(RoutingRule).order_by(RoutingRule.id)) if _matches(rule, facts)]
    if rules:
        best = max(rules, key=_specificity)
        return Route(best.department_id, f"分办规则 #{best.id}" + (f"（{best.note}）" if best.note else ""))
    if facts.category_id is not None:
        handlers = list(
            session.scalars(
                select(department_category.c.department_id).where(
                    department_category.c.category_id == facts.category_id
                )
            )
        )
        if len(handlers) == 1:
            return Route(handlers[0], "该问题类型只有一个承办单位")
    return None


def _matches(rule: RoutingRule, facts: CaseFacts) -> bool:
    return (
        (rule.domain_id is None or rule.domain_id == facts.domain_id)
        and (rule.category_id is None or rule.category_id == facts.category_id)
        and (rule.place_contains is None or rule.place_contains in facts.place)
        and (rule.respondent_contains is None or rule.respondent_contains in facts.respondent)
    )


def _specificity(rule: RoutingRule) -> tuple[int, int]:
    """More conditions win; among equals, the newer rule."""
    conditions = (rule.domain_id, rule.category_id, rule.place_contains, rule.respondent_contains)
    return sum(condition is not None for condition in conditions), rule.id


@dataclass(frozen=True)
class RuleInput:
    department_code: str
    domain_code: str | None = None
    category_code: str | None = None
    place_contains: str | None = None
    respondent_contains: str | None = None
    note: str | None = None


def add_rule(session: DbSession, actor: StaffActor, rule: RuleInput, now: datetime) -> RoutingRule:
    place, respondent = _blank_to_none(rule.place_contains), _blank_to_none(rule.respondent_contains)
    if not (rule.domain_code or rule.category_code or place or respondent):
        raise InvalidInput(
            "分办规则至少需要一个条件（领域、问题类型、地区或被投诉单位）", code="rule_without_condition"
        )
    department: Department = department_by_code(session, rule.department_code)
    created = RoutingRule(
        domain_id=domain_by_code(session, rule.domain_code).id if rule.domain_code else None,
        category_id=category_by_code(session, rule.category_code).id if rule.category_code else None,
        place_contains=place,
        respondent_contains=respondent,
        department_id=department.id,
        note=_blank_to_none(rule.note),
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(created)
    session.flush()
    _audit(session, actor, "routing_rule.add", created, now)
    return created


def delete_rule(session: DbSession, actor: StaffActor, rule_id: int, now: datetime) -> None:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound("分办规则不存在", code="unknown_routing_rule")
    _audit(session, actor, "routing_rule.delete", rule, now)
    session.delete(rule)
    session.flush()


def _audit(session: DbSession, actor: StaffActor, action: str, rule: RoutingRule, now: datetime) -> None:
    details = {
        "department_id": rule.department_id,
        "domain_id": rule.domain_id,
        "category_id": rule.category_id,
        "place_contains": rule.place_contains,
        "respondent_contains": rule.respondent_contains,
    }
    audit.record(
        session,
        action,
        actor_id=actor.id,
        actor_name=actor.name,
        target=f"routing_rule:{rule.id}",
        details=details,
        now=now,
    )


def list_rules(session: DbSession) -> list[RoutingRule]:
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.id)))


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if value else None
