"""Triage's tables, imported in one place so that Alembic sees them."""

from .records import RiskAlert, RoutingRule, TrainingExample, TriageSuggestion

__all__ = ["RiskAlert", "RoutingRule", "TrainingExample", "TriageSuggestion"]
