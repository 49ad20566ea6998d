"""Serve a WSGI app (werkzeug, threaded) on loopback in a thread, for the browser tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server


@contextmanager
def serve_wsgi(
    app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str | None = None
) -> Iterator[str]:
    """Serve `app` on `host:port` (0: a free port) for the block; yield `http://host:port`."""
    server = make_server(host, port, app, threaded=True)
    base = f"http://{host}:{server.socket.getsockname()[1]}"
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        thread.join(timeout=5)
