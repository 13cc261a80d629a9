"""Local fakes of the Aliyun (Dysmsapi, RPC + HMAC-SHA1) and Tencent Cloud (API 3.0, TC3-HMAC-SHA256) SMS
endpoints. Each checks the request's signature with its own implementation of the provider's documented
algorithm, records accepted messages and answers in the provider's format.

``refusals`` maps a phone number (11 digits, no country code) to the code and message the provider answers for it
instead of sending: Aliyun as its top-level ``Code``/``Message`` (e.g. ``isv.BUSINESS_LIMIT_CONTROL`` with
``触发天级流控Permits:10``), Tencent as that number's ``SendStatus`` (e.g. ``LimitExceeded.PhoneNumberDailyLimit``,
``InternalError.Timeout``, ``InvalidParameterValue.IncorrectPhoneNumber``). 13000000000 is always an illegal number
to Aliyun. Refused messages are not recorded."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from tests.fake_server import LocalServer


@dataclass
class FakeSms:
    key_id: str = "test-key-id"
    key_secret: str = "test-key-secret"
    aliyun: list[dict[str, Any]] = field(default_factory=list)
    tencent: list[dict[str, Any]] = field(default_factory=list)
    refusals: dict[str, tuple[str, str]] = field(default_factory=dict)
    bad_signatures: int = 0

    def __post_init__(self) -> None:
        self._server = LocalServer(self._app)
        self.base_url = f"http://127.0.0.1:{self._server.port}"
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        answer = self._tencent(request) if request.path.startswith("/tencent") else self._aliyun(request)
        return Response(json.dumps(answer, ensure_ascii=False), content_type="application/json")(
            environ, start_response
        )

    def _aliyun(self, request: Request) -> dict[str, Any]:
        params = {key: value for key, value in request.args.items() if key != "Signature"}

        def enc(text: str) -> str:
            return quote(text, safe="~-_.")

        query = "&".join(enc(k) + "=" + enc(params[k]) for k in sorted(params))
        to_sign = "GET&%2F&" + enc(query)
        expected = base64.b64encode(hmac.new((self.key_secret + "&").encode(), to_sign.encode(), "sha1").digest())
        if expected.decode() != request.args.get("Signature") or params.get("AccessKeyId") != self.key_id:
            self.bad_signatures += 1
            return {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}
        if params["PhoneNumbers"] == "13000000000":
            return {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "invalid mobile"}
        if params["PhoneNumbers"] in self.refusals:
            code, message = self.refusals[params["PhoneNumbers"]]
            return {"Code": code, "Message": message, "RequestId": "F655A8D6"}
        self.aliyun.append(
            {
                "phone": params["PhoneNumbers"],
                "template": params["TemplateCode"],
                "params": json.loads(params["TemplateParam"]),
                "sign": params["SignName"],
            }
        )
        return {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5"}

    def _tencent(self, request: Request) -> dict[str, Any]:
        body = request.get_data()
        timestamp = request.headers["X-TC-Timestamp"]
        day = datetime.fromtimestamp(int(timestamp), UTC).date().isoformat()
        canonical_headers = f"content-type:{request.headers['Content-Type']}\nhost:{request.headers['Host']}\n"
        canonical = f"POST\n/\n\n{canonical_headers}\ncontent-type;host\n{hashlib.sha256(body).hexdigest()}"
        to_sign = (
            f"TC3-HMAC-SHA256\n{timestamp}\n{day}/sms/tc3_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        )
        key = ("TC3" + self.key_secret).encode()
        for part in (day, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        expected = (
            f"TC3-HMAC-SHA256 Credential={self.key_id}/{day}/sms/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        )
        if request.headers.get("Authorization") != expected or request.headers.get("X-TC-Action") != "SendSms":
            self.bad_signatures += 1
            return {
                "Response": {
                    "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad signature"},
                    "RequestId": "x",
                }
            }
        payload = json.loads(body)
        phone = payload["PhoneNumberSet"][0]
        if phone.removeprefix("+86") in self.refusals:
            code, message = self.refusals[phone.removeprefix("+86")]
            status = {"SerialNo": "", "Code": code, "Message": message, "PhoneNumber": phone, "Fee": 0}
            return {"Response": {"SendStatusSet": [status], "RequestId": "a0aabda7"}}
        self.tencent.append(
            {
                "phone": payload["PhoneNumberSet"][0],
                "template": payload["TemplateId"],
                "params": payload["TemplateParamSet"],
                "app": payload["SmsSdkAppId"],
            }
        )
        return {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": "5000:1045710669157053657849499619",
                        "Code": "Ok",
                        "Message": "send success",
                        "PhoneNumber": payload["PhoneNumberSet"][0],
                    }
                ],
                "RequestId": "a0aabda6",
            }
        }
