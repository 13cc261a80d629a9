"""The HTTP server under every local fake provider: waitress, threaded and keeping connections alive as the real
platforms do (werkzeug's development server closes every connection, which would make each call pay a TCP
handshake the product does not pay in production)."""

from __future__ import annotations

import threading
from typing import Any

from waitress.server import create_server


class LocalServer:
    """A WSGI app served on a free port of 127.0.0.1 from a daemon thread."""

    def __init__(self, app: Any, threads: int = 8) -> None:
        self._server: Any = create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.port = int(self._server.effective_port)
        self._thread = threading.Thread(target=self._server.run, name=f"fake-server-{self.port}", daemon=True)

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.close()
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

    def join(self) -> None:
        self._thread.join()
