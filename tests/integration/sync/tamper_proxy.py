"""A man in the middle for sync tests: an HTTP proxy on loopback that can change bytes.

``Proxy(upstream)`` forwards every request to ``upstream`` (``http://127.0.0.1:PORT``)
and hands each answer body to ``proxy.alter(path, body) -> body`` before sending it
on; ``proxy.seen`` keeps every (path, body) as it came from the upstream, so a test
can replay an old answer later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

Alter = Callable[[str, bytes], bytes]
_PASS = ("content-type", "x-taxii-date-added-first", "x-taxii-date-added-last")


class Proxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.alter: Alter | None = None
        self.seen: list[tuple[str, bytes]] = []
        self._http = httpx.Client(timeout=30)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/taxii2/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._http.close()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _forward(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {
            k: v
            for k, v in h.headers.items()
            if k.lower() in ("authorization", "accept", "content-type")
        }
        r = self._http.request(method, self.upstream + h.path, content=body, headers=headers)
        out = r.content
        self.seen.append((h.path, out))
        if self.alter is not None:
            out = self.alter(h.path, out)
        h.send_response(r.status_code)
        for k, v in r.headers.items():
            if k.lower() in _PASS:
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(out)))
        h.end_headers()
        h.wfile.write(out)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._forward(self, "GET")

            def do_POST(self) -> None:
                proxy._forward(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
