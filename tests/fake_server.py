"""The HTTP server under every local fake provider: waitress, threaded and keeping connections alive as the real
platforms do (werkzeug's development server closes every connection, which would make each call pay a TCP
handshake the product does not pay in production)."""

from __future__ import annotations

import threading
from typing import Any

from waitress import wasyncore
from waitress.server import create_server


class LocalServer:
    """A WSGI app served on a free port of 127.0.0.1 from a daemon thread."""

    def __init__(self, app: Any, threads: int = 8) -> None:
        self._server: Any = create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.port = int(self._server.effective_port)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"fake-server-{self.port}", daemon=True)

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the serving thread to finish and wait for it: it closes the sockets itself, since closing one under
        its select() from here fails that select with EBADF."""
        self._stopping.set()
        if self._thread.is_alive():
            self._server.pull_trigger()  # wakes the select at once
            self._thread.join(timeout=10)

    def join(self) -> None:
        self._thread.join()

    def _serve(self) -> None:
        server = self._server
        while not self._stopping.is_set():
            server.asyncore.loop(timeout=1.0, map=server._map, count=1)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        wasyncore.close_all(server._map, ignore_all=True)
