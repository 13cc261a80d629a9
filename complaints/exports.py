"""Exports of case lists and statistics (as rows; the console writes them as Excel). Personal data is masked
unless the exporter's role may export it; every export is audited with what it contained, and a case list that
carried complainants (masked or not: the enterprise name and the unmasked parts are personal data too) is also
recorded as a read of personal data (``personal_data.read``) naming the complainants, as every other read is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from . import audit
from .access import record_personal_data_read
from .case_views import CaseFilters, CaseRow, search_cases
from .cases import CHANNEL_LABELS, STATUS_LABELS, CaseStatus
from .complainants import reveal
from .crypto import PersonalDataCipher
from .database import DbSession
from .errors import InvalidInput
from .machine import StaffActor
from .masking import mask_name, mask_phone
from .statistics import COUNTS, METRICS, Dashboard
from .workdays import CHINA_TZ

CASE_HEADERS = [
    "受理编号",
    "标题",
    "状态",
    "渠道",
    "被投诉单位",
    "问题类型",
    "主办单位",
    "收到时间",
    "诉求人",
    "联系电话",
    "企业",
]
MAX_ROWS = 50_000
PAGE_ROWS = 500


class ExportTooLarge(InvalidInput):
    code = "export_too_large"
    message = "符合条件的案件过多，请缩小筛选范围后分批导出"


def case_rows(
    session: DbSession,
    cipher: PersonalDataCipher,
    actor: StaffActor,
    filters: CaseFilters,
    *,
    personal_data: bool,
    now: datetime,
) -> list[list[str]]:
    """Every case the actor may see under the filters, one row each, read page by page; names and phones masked
    unless ``personal_data`` (which the caller grants by role). Anonymous and confidential-to-this-actor cases
    never carry identity. More than ``MAX_ROWS`` cases are refused (ExportTooLarge) rather than cut short."""
    rows = []
    complainant_ids: list[int] = []
    for row in _all_cases(session, actor, filters, now):
        complaint = row.complaint
        principal = next((p for p in complaint.parties if p.role == "principal"), None)
        shown = principal is not None and actor.department_id is None and not complaint.is_anonymous
        identity = reveal(cipher, principal.complainant, principal.role) if principal and shown else None
        if identity is not None:
            complainant_ids.append(identity.id)
        rows.append(
            [
                complaint.reference,
                complaint.title,
                STATUS_LABELS[CaseStatus(complaint.status)],
                CHANNEL_LABELS.get(complaint.channel, complaint.channel),
                complaint.respondent,
                complaint.category.name if complaint.category else "",
                complaint.lead_department.name if complaint.lead_department else "",
                complaint.submitted_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
                (identity.name or "" if personal_data else mask_name(identity.name)) if identity else "",
                (identity.phone or "" if personal_data else mask_phone(identity.phone)) if identity else "",
                identity.enterprise_name or "" if identity else "",
            ]
        )
    audit.record(
        session,
        "export.cases",
        actor_id=actor.id,
        actor_name=actor.name,
        ip_address=actor.ip_address,
        target="case_list",
        details={
            "rows": len(rows),
            "personal_data": personal_data,
            "filters": {"text": filters.text, "statuses": filters.statuses},
        },
        now=now,
    )
    if complainant_ids:
        record_personal_data_read(
            session, actor, "case_list", sorted(set(complainant_ids)), now, purpose="export", masked=not personal_data
        )
    return rows


def _all_cases(session: DbSession, actor: StaffActor, filters: CaseFilters, now: datetime) -> Iterator[CaseRow]:
    """Oldest first, so a case filed while the export runs lands after the last page instead of shifting a row
    from one page to the next (which would export it twice and skip another)."""
    number = 1
    while True:
        page = search_cases(
            session,
            actor,
            CaseFilters(**{**filters.__dict__, "page": number, "per_page": PAGE_ROWS, "sort": "submitted_at"}),
            now,
        )
        if page.total > MAX_ROWS:
            raise ExportTooLarge(
                f"符合条件的案件有 {page.total} 件，超过一次导出的上限 {MAX_ROWS} 件，请缩小筛选范围后分批导出",
                details={"total": page.total, "max_rows": MAX_ROWS},
            )
        yield from page.items
        if number * PAGE_ROWS >= page.total:
            return
        number += 1


def statistics_sheets(
    session: DbSession, actor: StaffActor, figures: Dashboard, now: datetime
) -> dict[str, list[list[object]]]:
    """The dashboard as sheets: summary, per-department rates (with the formulas), and the breakdowns."""
    audit.record(
        session,
        "export.statistics",
        actor_id=actor.id,
        actor_name=actor.name,
        ip_address=actor.ip_address,
        target="statistics",
        details={"start": figures.period.start.isoformat(), "end": figures.period.end.isoformat()},
        now=now,
    )
    departments: list[list[object]] = [["承办单位", *COUNTS.values(), *(METRICS[m] for m in figures.formulas)]]
    for row in figures.departments:
        rates: list[object] = [_rounded(row.rates[m]) for m in figures.formulas]
        departments.append([row.department.name, *(row.counts[k] for k in COUNTS), *rates])
    departments.append([])
    departments.extend([text] for text in figures.formulas.values())
    return {
        "概况": [
            ["统计期", f"{figures.period.start} 至 {figures.period.end}"],
            ["收到", figures.funnel["collected"]],
            ["受理", figures.funnel["accepted"]],
            ["办结", figures.funnel["closed"]],
            [
                "平均办理天数",
                round(figures.average_handling_days, 1) if figures.average_handling_days is not None else "",
            ],
            ["超期期限", figures.overdue_clocks],
        ],
        "三率": departments,
        "按问题类型": [["问题类型", "件数"], *([k, v] for k, v in figures.by_category)],
        "按领域": [["领域", "件数"], *([k, v] for k, v in figures.by_domain)],
        "按渠道": [["渠道", "件数"], *([CHANNEL_LABELS.get(k, k), v] for k, v in figures.by_channel)],
        "按月趋势": [["月份", "收到", "办结"], *([m, a, b] for m, a, b in figures.trend)],
    }


def _rounded(rate: float | None) -> object:
    return round(rate, 4) if rate is not None else ""
