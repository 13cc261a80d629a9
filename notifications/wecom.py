"""WeCom (企业微信) app messages to department handlers and heads.

WeCom drops messages beyond 30 a minute or 1000 an hour per member *silently*, so every message sent is logged
per member and a message that would exceed either limit is deferred (not counted as a failed attempt) until
the oldest send in the full window has aged out. The check and the log of a send are one short transaction,
serialised per member and committed before WeCom is called (see :func:`take_budget`). Texts are cut to WeCom's
2048 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, delete, func, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, Session, mapped_column
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.work import WeChatClient

from complaints.database import UTCDateTime, db, rows_affected
from complaints.staff import StaffUser

from .delivery import DeliveryDeferred, DeliveryError
from .texts import render

LIMITS = ((timedelta(minutes=1), 30), (timedelta(hours=1), 1000))
MAX_BYTES = 2048
HEADS_ONLY = frozenset({"deadline.overdue", "case.supervised", "notice.reply_overdue"})


class WeComSend(db.Model):  # type: ignore[name-defined]
    __tablename__ = "wecom_send"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class WeComClient(WeChatClient):
    def __init__(self, corp_id: str, secret: str, api_base: str, storage: SessionStorage) -> None:
        super().__init__(corp_id, secret, session=storage, timeout=5)
        self.base = api_base.rstrip("/") + "/"
        self.API_BASE_URL = self.base + "cgi-bin/"

    def fetch_access_token(self) -> dict[str, Any]:
        result: dict[str, Any] = self._fetch_access_token(
            url=self.base + "cgi-bin/gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret}
        )
        return result


@dataclass(frozen=True)
class WeComSender:
    client: WeComClient
    agent_id: int

    def send(self, session: Session, event: str, department_id: int, values: dict[str, str], now: datetime) -> bool:
        """False when nobody in the department can be reached on WeCom (the desk shows it in-app)."""
        members = recipients(session, department_id, heads_only=event in HEADS_ONLY)
        if not members:
            return False
        text = fit(render(session, "wecom", event, values))
        take_budget(session, [m.id for m in members], now)
        try:
            result = self.client.message.send_text(self.agent_id, [m.wecom_userid for m in members], text)
        except WeChatClientException as error:
            raise DeliveryError(f"wecom: {error.errcode}") from None
        invalid = result.get("invaliduser")
        return not invalid or len(str(invalid).split("|")) < len(members)


def recipients(session: Session, department_id: int, *, heads_only: bool) -> list[StaffUser]:
    roles = ("department_head",) if heads_only else ("department_handler", "department_head")
    return list(
        session.scalars(
            select(StaffUser)
            .where(
                StaffUser.department_id == department_id,
                StaffUser.is_active.is_(True),
                StaffUser.role.in_(roles),
                StaffUser.wecom_userid.is_not(None),
            )
            .order_by(StaffUser.id)
        )
    )


def fit(text: str) -> str:
    data = text.encode()
    return text if len(data) <= MAX_BYTES else data[: MAX_BYTES - 3].decode(errors="ignore") + "…"


def take_budget(session: Session, member_ids: list[int], now: datetime) -> None:
    """Log one send to each member now, or raise :class:`DeliveryDeferred` when any member is at a limit.

    Its own transaction on its own connection (the relay's lanes run in autocommit), committed before WeCom is
    called and serialised per member, so two workers with messages for one member cannot both take its last
    slot: PostgreSQL locks the members' staff rows (FOR NO KEY UPDATE, which does not hold up rows that merely
    refer to them), SQLite takes its single write lock up front (BEGIN IMMEDIATE). A crash or a refused call
    after the commit leaves a slot logged but unused: the budget is under-used, never exceeded. On SQLite the
    caller's session must hold no write transaction here (the relay commits each claim before sending).
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            members = select(StaffUser.id).where(StaffUser.id.in_(member_ids)).order_by(StaffUser.id)
            connection.execute(members.with_for_update(key_share=True))
        until = _rate_limited_until(connection, member_ids, now)
        if until is not None:
            connection.rollback()
            raise DeliveryDeferred(until)
        connection.execute(
            insert(WeComSend), [{"staff_user_id": member_id, "sent_at": now} for member_id in member_ids]
        )
        connection.commit()


def _rate_limited_until(connection: Connection, member_ids: list[int], now: datetime) -> datetime | None:
    """The instant when every member is under both limits again, or None when they are now."""
    until: datetime | None = None
    for window, limit in LIMITS:
        for member_id in member_ids:
            recent = select(WeComSend.sent_at).where(
                WeComSend.staff_user_id == member_id, WeComSend.sent_at > now - window
            )
            count = connection.scalar(select(func.count()).select_from(recent.subquery())) or 0
            if count >= limit:
                oldest = connection.scalars(recent.order_by(WeComSend.sent_at).limit(count - limit + 1)).all()[-1]
                candidate = oldest + window
                until = candidate if until is None or candidate > until else until
    return until


def forget_old_sends(session: Session, now: datetime) -> int:
    """Delete the log of sends older than the longest limit window: they can no longer hold up a message."""
    oldest_needed = now - max(window for window, _ in LIMITS)
    return rows_affected(session.execute(delete(WeComSend).where(WeComSend.sent_at < oldest_needed)))
