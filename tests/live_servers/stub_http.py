"""A tiny stdlib HTTP server on 127.0.0.1 answering canned JSON (Jaeger, failure injection).

Routes are exact paths, or prefixes ending in ``/*`` (``"/api/traces/*"``); a route is a reply
``(status, body)``, a list of replies played in order (the last repeating), or a callable that
gets the :class:`SeenRequest`.  :attr:`StubHTTPServer.seen` keeps every request.

Example::

    with StubHTTPServer({"/api/services": (200, {"data": ["cart"]})}) as stub:
        JaegerBackend(stub.url).services()
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests


@dataclass
class SeenRequest:
    """One request as the stub saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


Reply = tuple[int, Any]  # (status, JSON-able body or bytes)
Route = Reply | list[Reply] | Callable[[SeenRequest], Reply]


@dataclass
class StubHTTPServer:
    """A stdlib HTTP server on 127.0.0.1 with canned replies per path."""

    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[SeenRequest] = field(default_factory=list)
    port: int = 0
    #: answers paths without a route (default: 404), e.g. :func:`forward_to` another server
    fallback: Callable[[SeenRequest], Reply] | None = None

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._played: dict[str, int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _route(self, path: str) -> tuple[str, Route | None]:
        if path in self.routes:
            return path, self.routes[path]
        for key, route in self.routes.items():
            if key.endswith("/*") and path.startswith(key[:-1]) and len(path) > len(key) - 1:
                return key, route
        return path, None

    def _reply(self, req: SeenRequest) -> Reply:
        with self._lock:
            self.seen.append(req)
            key, route = self._route(req.path)
            if route is None:
                if self.fallback is not None:
                    return self.fallback(req)
                return 404, {"error": "not found"}
            if isinstance(route, list):
                i = self._played.get(key, 0)
                self._played[key] = i + 1
                return route[min(i, len(route) - 1)]
            if not callable(route):
                return route
        return route(req)  # outside the lock: a slow route must not serialise the others

    def __enter__(self) -> "StubHTTPServer":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = SeenRequest(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
                status, payload = stub._reply(req)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="stub-http", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def forward_to(base_url: str) -> Callable[[SeenRequest], Reply]:
    """A :class:`StubHTTPServer` fallback that relays a GET to ``base_url`` (same path and query)."""
    session = requests.Session()
    session.trust_env = False

    def relay(req: SeenRequest) -> Reply:
        query = urlencode([(k, v) for k, vs in req.query.items() for v in vs])
        r = session.get(f"{base_url}{req.path}" + (f"?{query}" if query else ""), timeout=30,
                        headers={k: v for k, v in req.headers.items() if k.lower() in ("accept", "authorization")})
        return r.status_code, r.content

    return relay
