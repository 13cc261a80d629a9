"""Triage: classify, route, prioritize, spot repeats and similar cases. Filled by the triage issue."""
