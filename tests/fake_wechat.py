"""A local fake of the WeChat API servers, speaking the real endpoints, bodies and error codes, on 127.0.0.1.

Login codes are ``<user>:<anything>`` (the openid is derived from ``<user>``) and single use; the codes
``bad``, ``limited`` and ``blocked`` answer 40029, 45011 and 40226. Phone codes are ``phone:<number>`` and
single use (anything else, or a code used twice, answers 40029). Text containing 违禁 is risky and 待审
needs review. msgSecCheck and mediaCheckAsync for an openid listed in ``inactive`` (no visit to the
mini-program in the last two hours) answer 61010. ``errors`` maps a path to the errcode and errmsg it
answers whatever the request; a path in ``outages`` answers a gateway's HTTP 502 page. ``observers`` see
each request before it is answered. Subscribe sends to an openid listed in ``no_quota`` answer 43101; a value
that does not suit its key's type answers 47003 naming the key, as WeChat does (``thing`` ≤ 20 characters;
``character_string`` ≤ 32 digits, letters or symbols; ``phrase`` ≤ 5 hanzi; ``number`` digits; ``letter`` letters;
``name`` ≤ 10 hanzi or ≤ 20 letters; ``time`` a 24-hour time, optionally after a date; ``date`` a date, optionally
with a time; ranges joined by ``~``; no value empty), and so does a key the approved template lacks when
``template_keys`` lists that template's keys. Every request is recorded in ``requests``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fake_server import LocalServer

_DATE = r"(\d{4}[-/.]\d{1,2}([-/.]\d{1,2})?|\d{1,2}[-/.]\d{1,2}|(\d{4}年)?\d{1,2}月(\d{1,2}日)?)"
_TIME = r"\d{1,2}:\d{2}(:\d{2})?"
_HANZI = "\u4e00-\u9fff"
VALUE_RULES = {
    "thing": re.compile(r"[^\x00-\x1f\x7f]{1,20}"),  # any text but control characters (a line break)
    "character_string": re.compile(r"[\x21-\x7e]{1,32}"),  # digits, letters and symbols: no hanzi, no spaces
    "phrase": re.compile(f"[{_HANZI}]{{1,5}}"),
    "number": re.compile(r"(?=[\d.]{1,32}$)\d+(\.\d+)?"),
    "letter": re.compile(r"[A-Za-z]{1,32}"),
    "name": re.compile(f"[{_HANZI}]{{1,10}}|[A-Za-z\\x20-\\x2f]{{1,20}}"),
    "time": re.compile(f"((?:{_DATE}\\s*)?{_TIME})(~(?:{_DATE}\\s*)?{_TIME})?"),
    "date": re.compile(f"({_DATE}(\\s*{_TIME})?)(~{_DATE}(\\s*{_TIME})?)?"),
}


def value_refusal(key: str, value: str) -> str | None:
    """WeChat's errmsg for a value that does not suit its key's type, else None."""
    if not value:
        return f"argument invalid! data.{key}.value is empty"
    rule = VALUE_RULES.get(key.rstrip("0123456789"))
    if rule is not None and rule.fullmatch(value) is None:
        return f"argument invalid! data.{key}.value invalid"
    return None


@dataclass
class Recorded:
    method: str
    path: str
    args: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeWeChat:
    appid: str = "wx-test-app"
    secret: str = "wx-test-secret"
    requests: list[Recorded] = field(default_factory=list)
    no_quota: set[str] = field(default_factory=set)
    template_keys: dict[str, set[str]] = field(default_factory=dict)  # template id → the keys WeChat approved
    inactive: set[str] = field(default_factory=set)
    errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    outages: set[str] = field(default_factory=set)
    observers: list[Callable[[Recorded], None]] = field(default_factory=list)
    tokens_issued: int = 0
    _used_codes: set[str] = field(default_factory=set)
    _used_phone_codes: set[str] = field(default_factory=set)
    _tokens: set[str] = field(default_factory=set)
    _trace: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    def __post_init__(self) -> None:
        self._server = LocalServer(self._app)
        self.base_url = f"http://127.0.0.1:{self._server.port}"

    def start(self) -> FakeWeChat:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @staticmethod
    def openid_for(user: str) -> str:
        return "o" + hashlib.sha256(user.encode()).hexdigest()[:27]

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:  # WeChat reads the body as JSON whatever the Content-Type (wechatpy sends none)
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            body = {}
        recorded = Recorded(request.method, request.path, dict(request.args), body)
        self.requests.append(recorded)
        for observer in self.observers:
            observer(recorded)
        if request.path in self.outages:
            page = Response("<html><body><h1>502 Bad Gateway</h1></body></html>", status=502, content_type="text/html")
            return page(environ, start_response)
        handler = self._routes().get(request.path)
        answer = handler(request, body) if handler else {"errcode": 404, "errmsg": "not found"}
        if request.path in self.errors:
            answer = {"errcode": self.errors[request.path][0], "errmsg": self.errors[request.path][1]}
        return Response(json.dumps(answer, ensure_ascii=False), content_type="application/json")(
            environ, start_response
        )

    def _routes(self) -> dict[str, Any]:
        return {
            "/cgi-bin/token": self._token,
            "/cgi-bin/stable_token": self._stable_token,
            "/sns/jscode2session": self._jscode2session,
            "/wxa/business/getuserphonenumber": self._phone,
            "/wxa/msg_sec_check": self._msg_sec_check,
            "/wxa/media_check_async": self._media_check_async,
            "/cgi-bin/message/subscribe/send": self._subscribe_send,
        }

    def _issue_token(self) -> dict[str, Any]:
        self.tokens_issued += 1
        token = f"ACCESS_TOKEN_{self.tokens_issued}"
        self._tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    def _token(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        if request.args.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        return self._issue_token()

    def _stable_token(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("appid") != self.appid or body.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if self._tokens and not body.get("force_refresh"):
            return {"access_token": sorted(self._tokens)[-1], "expires_in": 7200}
        return self._issue_token()

    def _authorized(self, request: Request) -> bool:
        return request.args.get("access_token") in self._tokens

    def _jscode2session(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        code = request.args.get("js_code", "")
        if request.args.get("appid") != self.appid or request.args.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        errors = {
            "bad": (40029, "invalid code"),
            "limited": (45011, "api minute-quota reach limit"),
            "blocked": (40226, "high risk user"),
        }
        if code in errors:
            return {"errcode": errors[code][0], "errmsg": errors[code][1]}
        if ":" not in code or code in self._used_codes:
            return {"errcode": 40163, "errmsg": "code been used"}
        self._used_codes.add(code)
        user = code.split(":", 1)[0]
        return {
            "openid": self.openid_for(user),
            "session_key": "SESSION_KEY_NEVER_LEAVES_THE_SERVER",
            "unionid": "u" + self.openid_for(user)[1:],
        }

    def _phone(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        if not self._authorized(request):
            return {"errcode": 40001, "errmsg": "invalid credential"}
        code = str(body.get("code", ""))
        if not code.startswith("phone:") or code in self._used_phone_codes:
            return {"errcode": 40029, "errmsg": "invalid code"}
        self._used_phone_codes.add(code)
        number = code.split(":", 1)[1]
        return {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {"phoneNumber": number, "purePhoneNumber": number, "countryCode": "86"},
        }

    def _msg_sec_check(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        if not self._authorized(request):
            return {"errcode": 40001, "errmsg": "invalid credential"}
        if body.get("version") != 2 or not body.get("openid") or "scene" not in body:
            return {"errcode": 47001, "errmsg": "data format error"}
        if body.get("openid") in self.inactive:
            return {"errcode": 61010, "errmsg": "user access expired"}
        content = str(body.get("content", ""))
        suggest, label = (
            ("risky", 20001) if "违禁" in content else ("review", 21000) if "待审" in content else ("pass", 100)
        )
        return {
            "errcode": 0,
            "errmsg": "ok",
            "result": {"suggest": suggest, "label": label},
            "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}],
            "trace_id": f"text-{next(self._trace)}",
        }

    def _media_check_async(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        if not self._authorized(request):
            return {"errcode": 40001, "errmsg": "invalid credential"}
        if body.get("version") != 2 or not body.get("media_url") or not body.get("openid"):
            return {"errcode": 47001, "errmsg": "data format error"}
        if body.get("openid") in self.inactive:
            return {"errcode": 61010, "errmsg": "user access expired"}
        return {"errcode": 0, "errmsg": "ok", "trace_id": f"media-{next(self._trace)}"}

    def _subscribe_send(self, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        if not self._authorized(request):
            return {"errcode": 40001, "errmsg": "invalid credential"}
        if body.get("touser") in self.no_quota:
            return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
        approved = self.template_keys.get(str(body.get("template_id")))
        unknown = sorted(set(body.get("data") or {}) - approved) if approved is not None else []
        if unknown:
            return {"errcode": 47003, "errmsg": f"argument invalid! data.{unknown[0]} is not in the template"}
        for key, item in (body.get("data") or {}).items():
            refusal = value_refusal(key, str(item.get("value", "")) if isinstance(item, dict) else "")
            if refusal is not None:
                return {"errcode": 47003, "errmsg": refusal}
        return {"errcode": 0, "errmsg": "ok", "msgid": next(self._trace)}

    def media_check_event(self, trace_id: str, suggest: str) -> dict[str, Any]:
        """The body WeChat pushes when an asynchronous media check is done (JSON message format)."""
        return {
            "ToUserName": "gh_test",
            "FromUserName": "system",
            "CreateTime": 1700000000,
            "MsgType": "event",
            "Event": "wxa_media_check",
            "appid": self.appid,
            "trace_id": trace_id,
            "version": 2,
            "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": 100}],
            "errcode": 0,
            "errmsg": "ok",
            "result": {"suggest": suggest, "label": 100 if suggest == "pass" else 20002},
        }
