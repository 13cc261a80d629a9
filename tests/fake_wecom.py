"""A local fake of the WeCom API: gettoken and message/send, recording each message; ``unknown`` user ids
come back in ``invaliduser`` as WeCom does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fake_server import LocalServer


@dataclass
class FakeWeCom:
    corp_id: str = "ww-test-corp"
    secret: str = "wecom-test-secret"
    known_users: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = LocalServer(self._app)
        self.base_url = f"http://127.0.0.1:{self._server.port}"
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/cgi-bin/gettoken":
            ok = request.args.get("corpid") == self.corp_id and request.args.get("corpsecret") == self.secret
            answer = (
                {"errcode": 0, "errmsg": "ok", "access_token": "WECOM_TOKEN", "expires_in": 7200}
                if ok
                else {"errcode": 40001, "errmsg": "invalid credential"}
            )
        elif request.path == "/cgi-bin/message/send" and request.args.get("access_token") == "WECOM_TOKEN":
            body = json.loads(request.get_data())
            users = body["touser"].split("|")
            invalid = [user for user in users if user not in self.known_users]
            self.messages.append({"to": users, "agentid": body["agentid"], "text": body["text"]["content"]})
            answer = {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid)}
        else:
            answer = {"errcode": 40014, "errmsg": "invalid access_token"}
        return Response(json.dumps(answer, ensure_ascii=False), content_type="application/json")(
            environ, start_response
        )
