"""The dashboard: figures for a period, charts drawn here as SVG."""

from __future__ import annotations

from datetime import date

from flask import render_template, request

from api.settings import metric_formulas
from complaints.cases import CHANNEL_LABELS
from complaints.database import db, utcnow
from complaints.errors import InvalidInput
from complaints.permissions import Action
from complaints.statistics import COUNTS, METRICS, Period, dashboard
from complaints.workdays import china_day
from triage.overview import repeat_and_cluster_figures

from .blueprint import bp, page


@bp.route("/dashboard")
@page(Action.VIEW_DASHBOARD)
def dashboard_page() -> str:
    figures = dashboard(db.session, period_from_request(), metric_formulas(), utcnow())
    return render_template(
        "console/dashboard.html",
        d=figures,
        channels=[(CHANNEL_LABELS.get(code, code), count) for code, count in figures.by_channel],
        triage=repeat_and_cluster_figures(db.session, figures.case_ids),
        metrics=METRICS,
        counts=COUNTS,
    )


def period_from_request() -> Period:
    """?start=&end= as China days; by default from 1 January to today."""
    today = china_day(utcnow())
    period = Period(_day("start", date(today.year, 1, 1)), _day("end", today))
    if period.end < period.start:
        raise InvalidInput("结束日期不能早于开始日期", code="invalid_period")
    return period


def _day(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"日期格式不正确：{raw}（应为 YYYY-MM-DD）", code="invalid_date") from None
