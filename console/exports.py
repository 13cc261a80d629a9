"""Excel downloads of case lists and statistics (personal data masked unless the role may export it)."""

from __future__ import annotations

from io import BytesIO

from flask import Response, request, send_file
from openpyxl import Workbook

from api.case_context import staff_actor
from api.settings import metric_formulas, personal_data_cipher
from complaints.case_views import CaseFilters
from complaints.database import db, utcnow
from complaints.exports import CASE_HEADERS, case_rows, statistics_sheets
from complaints.permissions import Action, is_allowed
from complaints.statistics import dashboard

from .blueprint import bp, page
from .dashboard import period_from_request

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/export/cases.xlsx")
@page(Action.EXPORT)
def export_cases() -> Response:
    actor = staff_actor()
    filters = CaseFilters(text=request.args.get("q") or None, statuses=request.args.getlist("status"))
    personal = is_allowed(actor.role, Action.EXPORT_PERSONAL_DATA)
    rows = case_rows(db.session, personal_data_cipher(), actor, filters, personal_data=personal, now=utcnow())
    table: list[list[object]] = [list(CASE_HEADERS)]
    table.extend(list(row) for row in rows)
    return _download({"案件": table}, "cases.xlsx")


@bp.route("/export/statistics.xlsx")
@page(Action.EXPORT)
def export_statistics() -> Response:
    figures = dashboard(db.session, period_from_request(), metric_formulas(), utcnow())
    return _download(statistics_sheets(db.session, staff_actor(), figures, utcnow()), "statistics.xlsx")


def _download(sheets: dict[str, list[list[object]]], name: str) -> Response:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    response = send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response
