"""SMS providers. Carriers only send pre-approved templates: each event maps to a template code and the
template's variables take our values (the reference and a status word, never personal data).

- ``AliyunSms``: Dysmsapi ``SendSms`` (2017-05-25), RPC style, signed with HMAC-SHA1 over the canonicalized
  query (signature version 1.0).
- ``TencentSms``: SMS API 3.0 ``SendSms`` (2021-01-11), signed with TC3-HMAC-SHA256.
- ``FileSms``: development; appends the rendered text to a file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import requests

from .delivery import DeliveryError
from .http import http_session

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com/"


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
    """Development provider: one JSON line per message in a file; nothing leaves the machine."""

    path: Path

    def send(self, message: SmsMessage) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"phone": message.phone, "text": message.text}, ensure_ascii=False) + "\n")
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
        if body.get("Code") != "OK":
            raise DeliveryError(f"aliyun sms: {body.get('Code')}", permanent=_aliyun_permanent(str(body.get("Code"))))
        return "sms"


def _aliyun_permanent(code: str) -> bool:
    return code.startswith(("isv.MOBILE_NUMBER_ILLEGAL", "isv.TEMPLATE", "isv.SMS_SIGNATURE", "isv.INVALID"))


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
        if "Error" in response:
            code = str(response["Error"].get("Code"))
            raise DeliveryError(f"tencent sms: {code}", permanent=code.startswith(("InvalidParameter", "AuthFailure")))
        status = (response.get("SendStatusSet") or [{}])[0]
        if status.get("Code") != "Ok":
            raise DeliveryError(f"tencent sms: {status.get('Code')}", permanent=True)
        return "sms"


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
