"""WeChat subscribe messages to mini-program users: one grant (one tap) buys one message of one template.

Values are fitted to WeChat's limits (``thing`` ≤ 20 characters, ``character_string`` ≤ 32, ``phrase`` ≤ 5
hanzi, ``time`` as 24-hour ``YYYY-MM-DD HH:MM``), and an administrator's mapping is refused when a value cannot
suit its key's type (the status phrase in a ``character_string``, the text in a ``phrase``). A 43101 (no
subscription left) answer means this channel cannot carry the message: the grant stays spent and the caller falls
back to SMS. WeChat spends a grant only on a message it sends, so after any other failure the grant is given back:
a template WeChat refuses (47003) falls back to SMS at once; WeChat unreachable fails the delivery, retried like
any other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from channel import wechat
from channel.accounts import SubscriptionGrant
from complaints.cases import Complaint
from complaints.database import UTCDateTime, db, rows_affected
from complaints.errors import InvalidInput
from complaints.workdays import CHINA_TZ

LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "name": 10}
PHRASES = {
    "submitted": "已提交",
    "accepted": "已受理",
    "rejected": "不予受理",
    "merged": "已并案",
    "transferred": "已转送",
    "withdrawn": "已撤回",
    "assigned": "已交办",
    "in_handling": "办理中",
    "replied": "已答复",
    "under_review": "审核中",
    "closed": "已办结",
}


@dataclass(frozen=True)
class Template:
    """One subscribe-message template: its id and which of our values goes into which of its keys."""

    template_id: str
    fields: dict[str, str]  # template key (e.g. "character_string1") → our value name
    page: str = "pages/case/detail"


DEFAULT_TEMPLATES = {
    "complaint.accepted": Template(
        "TEMPLATE-ACCEPTED", {"character_string1": "reference", "phrase2": "status", "thing3": "text", "time4": "time"}
    ),
    "complaint.rejected": Template(
        "TEMPLATE-ACCEPTED", {"character_string1": "reference", "phrase2": "status", "thing3": "text", "time4": "time"}
    ),
    "complaint.closed": Template(
        "TEMPLATE-REPLIED", {"character_string1": "reference", "phrase2": "status", "thing3": "text", "time4": "time"}
    ),
}


def load_templates(path: Path | None) -> dict[str, Template]:
    """Templates from a JSON file ({event: {template_id, fields, page?}}), else the defaults above."""
    if path is None:
        return DEFAULT_TEMPLATES
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {event: Template(**spec) for event, spec in raw.items()}


def fit(key: str, value: str) -> str:
    kind = key.rstrip("0123456789")
    limit = LIMITS.get(kind)
    if limit is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…" if kind == "thing" else value[:limit]


def values_for(complaint: Complaint, status: str, text: str, now: datetime) -> dict[str, str]:
    """``status`` is the one the event left the case in, not the case's status when the message goes out."""
    return {
        "reference": complaint.reference,
        "status": PHRASES.get(status, "有进展"),
        "text": text,
        "time": now.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
    }


def take_grant(session: Session, account_id: int, template_id: str, now: datetime) -> int | None:
    """Spend one unspent grant (conditional UPDATE, so two senders never spend the same one)."""
    for grant_id in session.scalars(
        select(SubscriptionGrant.id)
        .where(
            SubscriptionGrant.account_id == account_id,
            SubscriptionGrant.template_id == template_id,
            SubscriptionGrant.spent_at.is_(None),
        )
        .order_by(SubscriptionGrant.id)
    ):
        result = session.execute(
            update(SubscriptionGrant)
            .where(SubscriptionGrant.id == grant_id, SubscriptionGrant.spent_at.is_(None))
            .values(spent_at=now)
            .execution_options(synchronize_session=False)
        )
        if rows_affected(result) == 1:
            return int(grant_id)
    return None


def give_back(session: Session, grant_id: int) -> None:
    session.execute(
        update(SubscriptionGrant)
        .where(SubscriptionGrant.id == grant_id)
        .values(spent_at=None)
        .execution_options(synchronize_session=False)
    )


def send(client: wechat.MiniProgramClient, openid: str, template: Template, values: dict[str, str]) -> None:
    data: dict[str, Any] = {key: {"value": fit(key, values[name])} for key, name in template.fields.items()}
    wechat.send_subscribe(client, openid, template.template_id, data, template.page)


KEY = re.compile(r"^(thing|character_string|phrase|time|name|number|date)\d{1,2}$")
VALUES = ("reference", "status", "text", "time")
SUITS: dict[str, frozenset[str]] = {
    # Which key types each of our values fits, by WeChat's rules for the type: the reference (FZ2026-000001) is
    # letters, digits and symbols; the status a phrase of at most five hanzi; the text a sentence with punctuation
    # (a thing, cut to 20 characters); the time 24-hour YYYY-MM-DD HH:MM. A thing takes any of them.
    "reference": frozenset({"character_string", "thing"}),
    "status": frozenset({"phrase", "thing"}),
    "text": frozenset({"thing"}),
    "time": frozenset({"time", "date", "thing"}),
}
KIND_LABELS = {
    "thing": "事物（20个以内字符）",
    "character_string": "字符串（32位以内数字、字母或符号）",
    "phrase": "汉字（5个以内汉字）",
    "time": "时间（24小时制）",
    "date": "日期",
    "number": "数字（只能数字）",
    "name": "姓名（10个以内汉字）",
}
VALUE_LABELS = {"reference": "案件编号", "status": "办理状态", "text": "进展说明", "time": "发送时间"}


class TemplateMapping(db.Model):  # type: ignore[name-defined]
    """An administrator's mapping of one event to a pre-approved template, overriding the configured file."""

    __tablename__ = "template_mapping"

    event: Mapped[str] = mapped_column(String(40), primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, str]] = mapped_column(JSON)
    page: Mapped[str] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


def template_for(session: Session, event: str, configured: dict[str, Template]) -> Template | None:
    """The template an event is sent with: the administrators' mapping, else the configured one."""
    row = session.get(TemplateMapping, event)
    if row is not None:
        return Template(row.template_id, dict(row.fields), row.page)
    return configured.get(event)


def effective_mappings(session: Session, configured: dict[str, Template], events: list[str]) -> list[dict[str, Any]]:
    rows = {row.event: row for row in session.scalars(select(TemplateMapping))}
    result = []
    for event in events:
        template = template_for(session, event, configured)
        result.append(
            {
                "event": event,
                "template_id": template.template_id if template else "",
                "fields": ",".join(f"{k}={v}" for k, v in template.fields.items()) if template else "",
                "page": template.page if template else "",
                "source": "console" if event in rows else "config" if template else "none",
            }
        )
    return result


def set_mapping(
    session: Session,
    *,
    event: str,
    template_id: str,
    fields: str,
    page: str,
    known_events: list[str],
    actor: str,
    now: datetime,
) -> TemplateMapping:
    """``fields`` as ``thing3=text,character_string1=reference``: the template's keys and which value each takes."""
    if event not in known_events:
        raise InvalidInput("没有这个事件", code="unknown_event")
    parsed: dict[str, str] = {}
    for part in fields.split(","):
        key, _, value = part.strip().partition("=")
        if not KEY.match(key.strip()) or value.strip() not in VALUES:
            raise InvalidInput(
                f"字段“{part.strip()}”不正确：应为 模板字段=取值，取值为 {'、'.join(VALUES)} 之一",
                code="invalid_template_fields",
            )
        _check_suits(key.strip(), value.strip())
        parsed[key.strip()] = value.strip()
    if not template_id.strip():
        raise InvalidInput("请填写模板ID", code="missing_fields")
    row = session.get(TemplateMapping, event) or TemplateMapping(event=event)
    row.template_id, row.fields, row.page = template_id.strip(), parsed, page.strip() or "pages/case/detail"
    row.updated_by, row.updated_at = actor, now
    session.add(row)
    session.flush()
    return row


def _check_suits(key: str, value: str) -> None:
    """WeChat refuses a whole message (47003) for one value that does not suit its key's type: refuse the mapping
    when it is saved, naming the field, rather than when a complainant's message is sent."""
    kind = key.rstrip("0123456789")
    if kind in SUITS[value]:
        return
    fitting = [f"{VALUE_LABELS[name]}（{name}）" for name in VALUES if kind in SUITS[name]]
    advice = f"可填：{'、'.join(fitting)}" if fitting else "本系统没有适合该类型的取值，请选用其他字段"
    raise InvalidInput(
        f"字段“{key}”是{KIND_LABELS[kind]}类型，不能填{VALUE_LABELS[value]}（{value}）；{advice}",
        code="template_field_mismatch",
        details={"field": key, "value": value},
    )
