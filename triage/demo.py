"""Routing rules for the demo center (the departments of complaints/demo.py); only what is missing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from complaints.database import DbSession
from complaints.machine import SYSTEM_ACTOR

from .records import RoutingRule
from .routing import RuleInput, add_rule

DEMO_RULES = [
    RuleInput("city-samr", domain_code="market", note="市场监管领域由市市场监管局主办"),
    RuleInput("dist-east-samr", domain_code="market", place_contains="东城区", note="东城区的市场监管事项由区局主办"),
    RuleInput("city-eco", domain_code="environment", note="生态环境领域"),
    RuleInput("city-transport", domain_code="transport", note="交通运输领域"),
    RuleInput("city-tax", domain_code="tax", note="税务领域"),
    RuleInput("city-police", domain_code="public-security", note="公安领域"),
    RuleInput("city-court", category_code="judicial-enforcement", note="涉企司法执行问题"),
]


def seed_routing_rules(session: DbSession, now: datetime) -> int:
    if session.scalar(select(func.count()).select_from(RoutingRule)):
        return 0
    for rule in DEMO_RULES:
        add_rule(session, SYSTEM_ACTOR, rule, now)
    return len(DEMO_RULES)
