"""SMS providers. Carriers only send pre-approved templates: each event maps to a template code and the
template's variables take our values (the reference and a status word, never personal data).

- ``AliyunSms``: Dysmsapi ``SendSms`` (2017-05-25), RPC style, signed with HMAC-SHA1 over the canonicalized
  query (signature version 1.0).
- ``TencentSms``: SMS API 3.0 ``SendSms`` (2021-01-11), signed with TC3-HMAC-SHA256.
- ``FileSms``: development; appends the rendered text to a file.

What a refusal means decides what happens to the message: a per-number rate limit (Tencent ``LimitExceeded.*``,
Aliyun ``isv.BUSINESS_LIMIT_CONTROL``) defers it until the limit's window has passed (a daily limit: 08:00 Beijing
time the next day, not midnight); a provider-side fault (Tencent ``InternalError.*``, Aliyun ``isp.SYSTEM_ERROR``)
or an account matter someone can fix in hours (balance, a monthly cap) is retried on the delivery backoff; a wrong
number, an opted-out number or a template / signature / parameter problem is permanent: retrying cannot help and
the message is dead-lettered at once for staff to see.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from enum import Enum
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import requests

from complaints.masking import mask_phone
from complaints.workdays import CHINA_TZ

from .delivery import DeliveryDeferred, DeliveryError
from .http import http_session

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com/"
MORNING = time_of_day(8)  # a message held back by a daily limit goes out the next day from this hour (Beijing)

log = logging.getLogger(__name__)


class Refusal(Enum):
    """What a provider's refusal means for the message (a rate limit with a known window is a ``timedelta``)."""

    PERMANENT = "permanent"  # retrying cannot help: dead-letter at once
    RETRY = "retry"  # retry on the delivery backoff
    NEXT_DAY = "next_day"  # a daily limit: try again the next morning


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    event: str
    params: dict[str, str]
    text: str  # the rendered text, for the development provider and logs of what was meant


class SmsProvider(Protocol):
    def send(self, message: SmsMessage) -> str: ...


@dataclass(frozen=True)
class SmsTemplate:
    code: str
    variables: dict[str, str]  # template variable → our value name ("reference", "status")


@dataclass(frozen=True)
class FileSms:
    """Development provider (refused in production): one JSON line per message in an owner-only file, the phone
    number masked (139****5678); nothing leaves the machine."""

    path: Path

    def send(self, message: SmsMessage) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"phone": mask_phone(message.phone), "text": message.text}, ensure_ascii=False)
        with os.fdopen(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a", encoding="utf-8") as out:
            out.write(line + "\n")
        return "file"


def aliyun_percent(value: str) -> str:
    return quote(value, safe="-_.~")


def aliyun_signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(f"{aliyun_percent(k)}={aliyun_percent(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{aliyun_percent('/')}&{aliyun_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class AliyunSms:
    access_key_id: str
    access_key_secret: str
    sign_name: str
    templates: dict[str, SmsTemplate]
    endpoint: str = ALIYUN_ENDPOINT
    http: requests.Session = field(default_factory=http_session)
    clock: Callable[[], datetime] = utc_now

    def send(self, message: SmsMessage) -> str:
        template = _template(self.templates, message)
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": message.phone,
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template.code,
            "TemplateParam": json.dumps(
                {k: message.params[v] for k, v in template.variables.items()}, ensure_ascii=False
            ),
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(self.access_key_secret, "GET", params)
        body = _call(lambda: self.http.get(self.endpoint, params=params, timeout=5))
        code = str(body.get("Code"))
        if code != "OK":
            _refused(f"aliyun sms: {code}", aliyun_refusal(code, str(body.get("Message") or "")), self.clock())
        return "sms"


ALIYUN_PERMANENT = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",  # not a number the carriers know
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SIGN_STATE_ILLEGAL",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.BLACK_KEY_CONTROL_LIMIT",  # a template variable holds a blacklisted word
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "isv.EXTEND_CODE_ERROR",
        "isv.DENY_IP_RANGE",
        "isv.PRODUCT_UN_SUBSCRIPT",
        "isv.PRODUCT_UNSUBSCRIBE",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.ACCOUNT_ABNORMAL",
        "isp.RAM_PERMISSION_DENY",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId.NotFound",
    }
)
ALIYUN_PERMANENT_PREFIXES = ("isv.TEMPLATE", "isv.SMS_TEMPLATE", "isv.SMS_SIGN", "isv.INVALID", "InvalidAccessKeyId")
ALIYUN_FLOW_CONTROL: dict[str, Refusal | timedelta] = {
    "分钟": timedelta(minutes=1),
    "小时": timedelta(hours=1),
    "天": Refusal.NEXT_DAY,
}


def aliyun_refusal(code: str, text: str) -> Refusal | timedelta:
    """What an Aliyun ``Code`` (with its ``Message``) means. ``isv.BUSINESS_LIMIT_CONTROL`` is the per-number flow control; its
    ``Message`` says which window was hit (触发分钟级流控 / 小时级 / 天级); ``isv.DAY_LIMIT_CONTROL`` is the account's
    daily cap. Unknown codes (``isp.SYSTEM_ERROR``, ``Throttling.*``, balance ``isv.OUT_OF_SERVICE`` /
    ``isv.AMOUNT_NOT_ENOUGH``, ``isv.MONTH_LIMIT_CONTROL``) are retried: a fault on their side or a matter fixed in
    the console."""
    if code == "isv.BUSINESS_LIMIT_CONTROL":
        return next((wait for unit, wait in ALIYUN_FLOW_CONTROL.items() if f"{unit}级" in text), Refusal.RETRY)
    if code == "isv.DAY_LIMIT_CONTROL":
        return Refusal.NEXT_DAY
    permanent = code in ALIYUN_PERMANENT or code.startswith(ALIYUN_PERMANENT_PREFIXES)
    return Refusal.PERMANENT if permanent else Refusal.RETRY


def tc3_signature(
    secret_key: str, *, host: str, payload: bytes, timestamp: int, service: str = "sms"
) -> tuple[str, str]:
    """(credential scope, signature) of a TC3-HMAC-SHA256 request with headers content-type and host."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json; charset=utf-8\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def sign(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    signing_key = sign(sign(sign(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return scope, hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class TencentSms:
    secret_id: str
    secret_key: str
    sdk_app_id: str
    sign_name: str
    templates: dict[str, SmsTemplate]
    endpoint: str = TENCENT_ENDPOINT
    region: str = "ap-guangzhou"
    http: requests.Session = field(default_factory=http_session)
    clock: Callable[[], datetime] = utc_now

    def send(self, message: SmsMessage) -> str:
        template = _template(self.templates, message)
        payload = json.dumps(
            {
                "PhoneNumberSet": [f"+86{message.phone}"],
                "SmsSdkAppId": self.sdk_app_id,
                "SignName": self.sign_name,
                "TemplateId": template.code,
                "TemplateParamSet": [message.params[v] for v in template.variables.values()],
            },
            ensure_ascii=False,
        ).encode()
        timestamp = int(time.time())
        host = urlsplit(self.endpoint).netloc
        scope, signature = tc3_signature(self.secret_key, host=host, payload=payload, timestamp=timestamp)
        headers = {
            "Authorization": f"TC3-HMAC-SHA256 Credential={self.secret_id}/{scope}, SignedHeaders=content-type;host, "
            f"Signature={signature}",
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": "2021-01-11",
            "X-TC-Region": self.region,
            "X-TC-RequestClient": f"complaint-desk-{secrets.token_hex(2)}",
        }
        body = _call(lambda: self.http.post(self.endpoint, data=payload, headers=headers, timeout=5))
        response: dict[str, Any] = body.get("Response") or {}  # type: ignore[assignment]
        if "Error" in response:  # the request as a whole was refused
            code = str(response["Error"].get("Code"))
            _refused(f"tencent sms: {code}", tencent_refusal(code), self.clock())
        status = (response.get("SendStatusSet") or [{}])[0]
        code = str(status.get("Code"))
        if code != "Ok":  # this number was refused
            _refused(f"tencent sms: {code}", tencent_refusal(code), self.clock())
        return "sms"


TENCENT_WINDOWS: dict[str, Refusal | timedelta] = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": timedelta(seconds=30),
    "LimitExceeded.PhoneNumberOneHourLimit": timedelta(hours=1),
    "LimitExceeded.PhoneNumberDailyLimit": Refusal.NEXT_DAY,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": Refusal.NEXT_DAY,
    "LimitExceeded.AppDailyLimit": Refusal.NEXT_DAY,
    "LimitExceeded.DailyLimit": Refusal.NEXT_DAY,
    "LimitExceeded.AppMainlandChinaDailyLimit": Refusal.NEXT_DAY,
    "LimitExceeded.AppGlobalDailyLimit": Refusal.NEXT_DAY,
    "LimitExceeded.AppCountryOrRegionDailyLimit": Refusal.NEXT_DAY,
}
TENCENT_PERMANENT_PREFIXES = (
    "FailedOperation.",  # wrong or opted-out number, template or signature not approved, sensitive words …
    "InvalidParameter",  # InvalidParameter.* and InvalidParameterValue.* (IncorrectPhoneNumber …)
    "MissingParameter",
    "UnsupportedOperation",
    "UnauthorizedOperation.",
    "AuthFailure.",
)
TENCENT_PERMANENT = frozenset(
    {
        "LimitExceeded.AppCountryOrRegionInBlacklist",
        "LimitExceeded.PhoneNumberCountLimit",
        "InternalError.SigVerificationFail",
        "InternalError.SigFieldMissing",
        "InternalError.RestApiInterfaceNotExist",
        "InternalError.JsonParseFail",
    }
)
TENCENT_RETRIED = frozenset(
    {
        "FailedOperation.InsufficientBalanceInSmsPackage",  # someone tops up
        "UnauthorizedOperation.ServiceSuspendDueToArrears",
        "AuthFailure.SignatureExpire",  # our clock is off; fixed without touching the message
    }
)


def tencent_refusal(code: str) -> Refusal | timedelta:
    """What a Tencent SMS ``Code`` (request-level ``Error.Code`` or a number's ``SendStatus.Code``) means. Per-number and daily ``LimitExceeded.*`` wait for
    their window; ``InternalError.*`` (Timeout, SendAndRecvFail, OtherError …), ``RequestLimitExceeded.*``,
    ``LimitExceeded.DeliveryFrequencyLimit`` (a window Tencent does not name) and unknown codes are retried."""
    if code in TENCENT_WINDOWS:
        return TENCENT_WINDOWS[code]
    if code in TENCENT_RETRIED:
        return Refusal.RETRY
    permanent = code in TENCENT_PERMANENT or code.startswith(TENCENT_PERMANENT_PREFIXES)
    return Refusal.PERMANENT if permanent else Refusal.RETRY


def lifts_at(window: Refusal | timedelta, now: datetime) -> datetime:
    """When a rate limit's window has passed: ``now`` plus the window, or for a daily limit the next morning in
    Beijing (a limit counted per calendar day lifts at midnight; nobody should be texted then)."""
    if isinstance(window, timedelta):
        return now + window
    local = now.astimezone(CHINA_TZ)
    return datetime.combine(local.date() + timedelta(days=1), MORNING, CHINA_TZ).astimezone(UTC)


def _refused(detail: str, meaning: Refusal | timedelta, now: datetime) -> None:
    """Raise what the delivery records: a failure (permanent or retried) or a deferral past the limit's window,
    which is not an attempt (the code is logged, the row says "deferred")."""
    if meaning in (Refusal.PERMANENT, Refusal.RETRY):
        raise DeliveryError(detail, permanent=meaning is Refusal.PERMANENT)
    until = lifts_at(meaning, now)
    log.info("%s: deferred until %s", detail, until.isoformat())
    raise DeliveryDeferred(until)


def _template(templates: dict[str, SmsTemplate], message: SmsMessage) -> SmsTemplate:
    template = templates.get(message.event)
    if template is None:
        raise DeliveryError(f"no SMS template for {message.event}", permanent=True)
    return template


def _call(request: object) -> dict[str, object]:
    try:
        response = request()  # type: ignore[operator]
    except requests.RequestException as error:
        raise DeliveryError(f"sms provider unreachable: {type(error).__name__}") from None
    if response.status_code >= 500:
        raise DeliveryError(f"sms provider answered {response.status_code}")
    try:
        body: dict[str, object] = response.json()
    except ValueError:
        raise DeliveryError("sms provider answered no JSON") from None
    return body
