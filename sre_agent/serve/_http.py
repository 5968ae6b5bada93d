"""The HTTP front: webhook posts, ``/healthz``, ``/readyz``, ``/metrics``; never crashes on a request.

=====================================  ==================================================================
``POST /`` (``/webhook``, ``/alerts``)  202 queued ``{"queued": true, "id"}``; 200 repeat
                                        ``{"queued": false, "duplicate_of"}``; 200 nothing firing; 400 bad
                                        payload; 401 no or wrong credentials; 429 over the sender's rate
                                        (``Retry-After``); 503 queue full or shutting down
``GET /healthz``                        200 ``{"status": "ok", "queued", "running", "done", "failed", ...}``
``GET /readyz``                         200 ready / 503 not (queue, folder or worker unusable; shutting down)
``GET /metrics``                        Prometheus text (``sre_agent_*`` series)
=====================================  ==================================================================

A post is checked in this order: path, rate limit, credentials, body; nothing is read into the
queue before the credentials pass.  The probes and ``/metrics`` need no credentials (they hold no
secret and no alert content).  Request headers are never logged.
"""

from __future__ import annotations

import json
import logging
import math
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..backends._redact import one_line
from ._auth import Authenticator
from ._intake import WebhookError, parse_webhook
from ._ratelimit import RateLimiter
from ._service import WebhookService
from ._store import QueueFull

log = logging.getLogger("sre_agent.serve")

MAX_BODY = 5 * 1024 * 1024
WEBHOOK_PATHS = {"/", "/webhook", "/alerts"}
REQUEST_TIMEOUT_S = 30


def make_server(host: str, port: int, service: WebhookService, auth: Authenticator | None = None,
                limiter: RateLimiter | None = None) -> ThreadingHTTPServer:
    """Bind ``host:port`` (0 = a free port) in front of ``service``; ``auth=None`` accepts any sender.

    The caller decides whether running without ``auth`` is allowed (the CLI allows it only on a
    loopback address with ``--no-auth``).
    """
    metrics = service.metrics

    class Handler(BaseHTTPRequestHandler):
        server_version = "sre-agent"
        sys_version = ""
        timeout = REQUEST_TIMEOUT_S

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._send_bytes(status, (json.dumps(body, sort_keys=True) + "\n").encode("utf-8"), "application/json",
                             headers)

        def _send_bytes(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _drain(self) -> None:
            """Read an unwanted body, so closing the socket does not reset the answer away."""
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                return
            if 0 < length <= MAX_BODY:
                self.rfile.read(length)

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                self._send(200, {"status": "ok", **service.stats()})
            elif path == "/readyz":
                ready, detail = service.ready()
                self._send(200 if ready else 503, {"ready": ready, **detail})
            elif path == "/metrics":
                body, content_type = metrics.render()
                self._send_bytes(200, body, content_type)
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            if self.path.split("?", 1)[0] not in WEBHOOK_PATHS:
                self._drain()
                self._send(404, {"error": "not found"})
                return
            if service.stopping:
                self._drain()
                self._send(503, {"error": "shutting down; retry later"}, {"Retry-After": "5"})
                return
            wait = limiter.wait_for(self.client_address[0]) if limiter else 0.0
            if wait > 0:
                metrics.rate_limited.inc()
                self._drain()
                retry = max(1, math.ceil(wait))
                self._send(429, {"error": f"too many requests from this sender; retry after {retry} s"},
                           {"Retry-After": str(retry)})
                return
            if auth is not None and not auth.check(self.headers.get("Authorization")):
                metrics.auth_failures.inc()
                self._drain()
                self._send(401, {"error": "missing or wrong credentials"}, {"WWW-Authenticate": auth.challenge()})
                return
            self._post_webhook()

        def _post_webhook(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or "")
            except ValueError:
                self._send(411, {"error": "a Content-Length header is required"})
                return
            if length < 0 or length > MAX_BODY:
                metrics.webhooks.labels(result="invalid").inc()
                self._send(413, {"error": f"payload larger than {MAX_BODY} bytes"})
                return
            raw = self.rfile.read(length)
            try:
                note = parse_webhook(json.loads(raw.decode("utf-8")))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                metrics.webhooks.labels(result="invalid").inc()
                self._send(400, {"error": "payload is not valid JSON"})
                return
            except WebhookError as exc:
                metrics.webhooks.labels(result="invalid").inc()
                self._send(400, {"error": str(exc)})
                return
            try:
                admission = service.accept(note)
            except QueueFull:
                metrics.webhooks.labels(result="queue_full").inc()
                self._send(503, {"error": "triage queue is full; retry later"}, {"Retry-After": "30"})
                return
            except OSError as exc:
                metrics.webhooks.labels(result="error").inc()
                self._send(500, {"error": one_line(f"cannot write the group folder: {exc.strerror}")})
                return
            resolved = {"resolved_recorded": list(admission.resolved_jobs)} if admission.resolved_jobs else {}
            if admission.kind == "queued" and admission.job is not None:
                metrics.webhooks.labels(result="accepted").inc()
                self._send(202, {"queued": True, "id": admission.job.id, **resolved})
            elif admission.kind == "duplicate" and admission.job is not None:
                metrics.webhooks.labels(result="duplicate").inc()
                self._send(200, {"queued": False, "duplicate_of": admission.job.id, "state": admission.job.state,
                                 "reason": "this alert group was already received; not triaged again", **resolved})
            else:
                metrics.webhooks.labels(result="no_firing").inc()
                self._send(200, {"queued": False, "reason": "no firing alerts", **resolved})

        def do_PUT(self) -> None:  # noqa: N802
            self._drain()
            self._send(405, {"error": "method not allowed"})

        do_DELETE = do_PATCH = do_PUT

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), fmt % args)

    server = _Server((host, port), Handler)
    server.daemon_threads = True
    return server


class _Server(ThreadingHTTPServer):
    #: the listen backlog (socketserver's default, 5, drops connections when many senders post at once)
    request_queue_size = 128
