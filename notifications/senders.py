"""Senders: how each audience is reached.

- ``center`` and ``department`` messages are in-app: the row itself is what the desks show (WeCom pushes to
  department handlers come with the WeCom sender).
- ``hotline`` messages go back to the 12345 platform as a signed callback (the mirror of our push contract).
- ``complainant`` messages go by a WeChat subscribe message when the user granted one for the event's template,
  else by SMS to the mobile number on file (the development provider appends them to a file), else they wait on
  the progress page (no number, or a landline that cannot take a text). A template WeChat refuses (47003 a value
  or key it does not accept, 40037 an unknown template id, 41030 a page the mini-program lacks) is our
  misconfiguration, not the complainant's: the grant is given back, the message goes by the fallback channel at
  once and a warning names the template and event for staff to fix the mapping.
  Messages carry the reference and a status, never the complaint's text or anyone's personal data.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime

import urllib3
from sqlalchemy import select
from sqlalchemy.orm import Session

from channel import wechat
from channel.accounts import MiniProgramAccount
from channel.hotline import sign
from complaints.cases import STATUS_LABELS, CaseStatus, Complaint
from complaints.complainants import ComplaintParty, can_take_sms
from complaints.crypto import PersonalDataCipher
from complaints.errors import DomainError
from complaints.outbox import OutboxMessage

from . import subscribe
from .delivery import DeliveryError, Sender
from .http import http_pool, http_session
from .sms import SmsMessage, SmsProvider
from .wecom import WeComSender

EVENT_TEXTS = {
    "complaint.received": "您的诉求已登记",
    "complaint.accepted": "您的诉求已受理",
    "complaint.rejected": "您的诉求不予受理，请查看告知书",
    "complaint.merged": "您的诉求已与相关案件合并办理",
    "complaint.transferred": "您的诉求已转送有权机关办理",
    "complaint.signed": "承办单位已签收",
    "complaint.extended": "办理期限已依法延长",
    "complaint.closed": "您的诉求已办结，请对办理结果进行评价",
    "complaint.reopened": "您的诉求已重新交办",
    "recheck.concluded": "您的复查申请已办结",
}


log = logging.getLogger(__name__)

STATUS_VALUES = frozenset(status.value for status in CaseStatus)
WECHAT_NO_SUBSCRIPTION_LEFT = 43101
WECHAT_TEMPLATE_REFUSED = {
    47003: "argument invalid (a value or key the template refuses)",
    40037: "invalid template id",
    41030: "invalid page",
}


def event_status(message: OutboxMessage, complaint: Complaint) -> str:
    """The status the event left the case in, recorded in the payload when the row was written: by the time the
    message goes out the case may have moved on. Rows written without one (older rows) fall back to the current
    status."""
    recorded = (message.payload or {}).get("status")
    return recorded if isinstance(recorded, str) and recorded in STATUS_VALUES else complaint.status


def complainant_text(message: OutboxMessage) -> str:
    """What the complainant is told: the event's status text, and for an extension the short category of its
    reason (never the department's own words, which may name people; they are on the progress page)."""
    text = EVENT_TEXTS.get(message.event, "您的诉求有新进展")
    reason = (message.payload or {}).get("reason")
    if message.event == "complaint.extended" and isinstance(reason, str) and reason:
        return f"{text}：{reason}"
    return text


@dataclass(frozen=True)
class HotlineCallback:
    url: str
    secret: str
    pool: urllib3.PoolManager
    timeout: float = 5.0

    def send(self, message: OutboxMessage, complaint: Complaint) -> None:
        status = CaseStatus(event_status(message, complaint))
        body = json.dumps(
            {
                "order_id": complaint.external_ref,
                "reference": complaint.reference,
                "event": message.event,
                "status": status.value,
                "status_label": STATUS_LABELS[status],
                "conclusion": complaint.conclusion if status == CaseStatus.CLOSED else None,
                "lawful_channel": complaint.lawful_channel,
                "message_id": message.id,
            },
            ensure_ascii=False,
        ).encode()
        timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
        headers = {
            "Content-Type": "application/json",
            "X-Hotline-Timestamp": timestamp,
            "X-Hotline-Nonce": nonce,
            "X-Hotline-Signature": sign(self.secret, timestamp, nonce, body),
        }
        try:
            response = self.pool.request("POST", self.url, body=body, headers=headers, timeout=self.timeout)
        except urllib3.exceptions.HTTPError as error:
            raise DeliveryError(f"hotline callback unreachable: {type(error).__name__}") from None
        if response.status >= 500 or response.status == 429:
            raise DeliveryError(f"hotline callback answered {response.status}")
        if response.status >= 400:
            raise DeliveryError(f"hotline callback refused: {response.status}", permanent=True)


@dataclass(frozen=True)
class Senders:
    cipher: PersonalDataCipher
    sms: SmsProvider
    hotline: HotlineCallback | None = None
    wechat: wechat.MiniProgramClient | None = None
    templates: dict[str, subscribe.Template] = field(default_factory=lambda: subscribe.DEFAULT_TEMPLATES)
    wecom: WeComSender | None = None

    def __call__(self, session: Session, message: OutboxMessage, now: datetime) -> str:
        if message.audience == "department" and self.wecom is not None and message.department_id is not None:
            values = {key: str(value) for key, value in (message.payload or {}).items()}
            if self.wecom.send(session, message.event, message.department_id, values, now):
                return "wecom"
        if message.audience in ("center", "department"):
            return "in_app"
        complaint = session.get(Complaint, message.complaint_id) if message.complaint_id else None
        if complaint is None:
            raise DeliveryError("the case no longer exists", permanent=True)
        if message.audience == "hotline":
            if self.hotline is None:
                raise DeliveryError("no hotline callback configured (HOTLINE_CALLBACK_URL)")
            self.hotline.send(message, complaint)
            return "hotline"
        return self._to_complainant(session, message, complaint, now)

    def _to_complainant(self, session: Session, message: OutboxMessage, complaint: Complaint, now: datetime) -> str:
        text = complainant_text(message)
        if self._by_subscribe_message(session, message, complaint, text, now):
            return "wechat"
        phone = self._principal_phone(session, complaint)
        if phone is None or not can_take_sms(phone):
            return "in_app"  # the progress page shows it; there is no mobile number to text
        params = {"reference": complaint.reference, "status": text}
        self.sms.send(SmsMessage(phone, message.event, params, f"【{complaint.reference}】{text}"))
        return "sms"

    def _by_subscribe_message(
        self, session: Session, message: OutboxMessage, complaint: Complaint, text: str, now: datetime
    ) -> bool:
        """True when a subscribe message went out; False when this channel cannot carry it (fall back)."""
        template = subscribe.template_for(session, message.event, self.templates)
        if self.wechat is None or template is None or complaint.owner_account_id is None:
            return False
        account = session.get(MiniProgramAccount, complaint.owner_account_id)
        grant = subscribe.take_grant(session, complaint.owner_account_id, template.template_id, now)
        if account is None or grant is None:
            return False
        values = subscribe.values_for(complaint, event_status(message, complaint), text, now)
        try:
            subscribe.send(self.wechat, account.openid, template, values)
        except DomainError as error:
            if _no_subscription_left(error):
                return False  # the grant is gone on WeChat's side too: keep it spent, use SMS
            # Any other failure (a refused template, WeChat unreachable …) did not use up the user's grant.
            subscribe.give_back(session, grant)
            errcode = _wechat_errcode(error)
            if errcode in WECHAT_TEMPLATE_REFUSED:
                _warn_template_refused(message, template, errcode)
                return False  # retrying the same template cannot help: tell the complainant now by SMS
            raise DeliveryError(_wechat_failure(error)) from None
        return True

    def _principal_phone(self, session: Session, complaint: Complaint) -> str | None:
        party = session.scalar(
            select(ComplaintParty).where(
                ComplaintParty.complaint_id == complaint.id, ComplaintParty.role == "principal"
            )
        )
        if party is None or party.complainant.phone_encrypted is None:
            return None
        return self.cipher.decrypt(party.complainant.phone_encrypted)


def _wechat_errcode(error: DomainError) -> int | None:
    errcode = error.details.get("errcode") if isinstance(error.details, dict) else None
    return errcode if isinstance(errcode, int) else None


def _no_subscription_left(error: DomainError) -> bool:
    """43101 (the user refused, or has no grant left on WeChat's side), not 47003, which shares its class."""
    errcode = _wechat_errcode(error)
    return errcode == WECHAT_NO_SUBSCRIPTION_LEFT or (errcode is None and isinstance(error, wechat.NoSubscription))


def _wechat_failure(error: DomainError) -> str:
    """The provider's error as recorded on the delivery (and shown to staff)."""
    errcode = _wechat_errcode(error)
    if errcode is None:
        return f"wechat subscribe: {error.code}"
    return f"wechat subscribe errcode {errcode}: {error.code}"


def _warn_template_refused(message: OutboxMessage, template: subscribe.Template, errcode: int) -> None:
    """The row is marked sent by the fallback channel (delivery records no note on a sent row), so the log is where
    staff see that the template mapping needs fixing. Ids and keys only: no value, no personal data."""
    log.warning(
        "wechat refused subscribe template %s (fields %s) for event %s, outbox message %s: errcode %s, %s; "
        "sent by the fallback channel instead; fix the template mapping",
        template.template_id,
        ",".join(f"{key}={name}" for key, name in template.fields.items()),
        message.event,
        message.id,
        errcode,
        WECHAT_TEMPLATE_REFUSED[errcode],
    )


__all__ = ["EVENT_TEXTS", "HotlineCallback", "Sender", "Senders", "http_pool", "http_session"]
