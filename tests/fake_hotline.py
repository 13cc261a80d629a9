"""A local fake of the 12345 platform's callback endpoint: checks our signature, records what it got, and can
be told to fail the next N calls."""

from __future__ import annotations

import hmac
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from channel.hotline import sign
from tests.fake_server import LocalServer


@dataclass
class FakeHotline:
    secret: str
    received: list[dict[str, Any]] = field(default_factory=list)
    client_ports: set[str] = field(default_factory=set)  # one per connection the caller kept open
    fail_next: int = 0
    refused_signatures: int = 0
    hold_first: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._server = LocalServer(self._app)
        self.url = f"http://127.0.0.1:{self._server.port}/callbacks/complaint-status"

    def start(self) -> FakeHotline:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.method == "GET":  # how many callbacks were accepted (for a fake run in another process)
            return Response(json.dumps({"received": len(self.received)}))(environ, start_response)
        body = request.get_data()
        expected = sign(
            self.secret,
            request.headers.get("X-Hotline-Timestamp", ""),
            request.headers.get("X-Hotline-Nonce", ""),
            body,
        )
        if not hmac.compare_digest(expected, request.headers.get("X-Hotline-Signature", "")):
            self.refused_signatures += 1
            return Response('{"code": "bad_signature"}', status=401)(environ, start_response)
        if self.hold_first and not self.holding.is_set():
            self.holding.set()  # the caller is now mid-delivery; the test kills it, then releases us
            self.release.wait(30)
            return Response('{"code": "busy"}', status=503)(environ, start_response)
        if self.fail_next > 0:
            self.fail_next -= 1
            return Response('{"code": "busy"}', status=503)(environ, start_response)
        self.received.append(json.loads(body))
        self.client_ports.add(environ.get("REMOTE_PORT", ""))
        return Response('{"code": 0}', content_type="application/json")(environ, start_response)


def serve_forever(secret: str, ports: Any) -> None:
    """Run a fake in its own process (so it does not share the caller's interpreter lock); reports its port."""
    fake = FakeHotline(secret).start()
    ports.put(fake._server.port)
    fake._server.join()
