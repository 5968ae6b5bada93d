"""The HTTP server: OpenAI's ``/v1/chat/completions`` and ``/v1/models`` over a ``ChatCompletionClient``.

One reasoner answers every request, one request at a time (a lock), so call ids and any seeded
failure a profile injects follow the request order exactly as they would in process.  Faults
(see :mod:`._faults`) are drawn before the reasoner is asked and never advance it.

Example (a real server on a free port of 127.0.0.1, stopped at the end of the ``with``):
    >>> import json, urllib.request
    >>> with ModelServer() as server:
    ...     body = json.dumps({"model": "offline", "messages": [
    ...         {"role": "system", "content": "ROLE: summarizer"}, {"role": "user", "content": "nothing"}]}).encode()
    ...     req = urllib.request.Request(server.base_url + "/chat/completions", data=body,
    ...                                  headers={"Content-Type": "application/json"})
    ...     answer = json.load(urllib.request.urlopen(req))
    >>> answer["choices"][0]["message"]["content"].splitlines()[0], answer["choices"][0]["finish_reason"]
    ('SUMMARY', 'stop')
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from autogen_core.models import ChatCompletionClient

from ._convert import RequestError, request_to_llm, result_to_response
from ._faults import FaultPlan

MAX_BODY = 16 * 1024 * 1024
CHAT_PATHS = {"/v1/chat/completions", "/chat/completions"}
MODELS_PATHS = {"/v1/models", "/models"}


def _error(message: str, kind: str, code: int | str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class ModelServer:
    """An OpenAI-compatible endpoint backed by ``reasoner`` (default: the offline reasoner).

    ``port=0`` picks a free port; :attr:`base_url` is what a client's ``base_url`` should be.
    ``requests`` counts chat-completion requests, ``served_faults`` the faults served, by kind;
    with ``record=True``, ``recorded`` keeps every answered request body (to replay elsewhere).
    """

    def __init__(self, reasoner: ChatCompletionClient | None = None, host: str = "127.0.0.1", port: int = 0,
                 model: str = "sre-agent-offline", faults: FaultPlan | None = None, record: bool = False) -> None:
        if reasoner is None:
            from ..llm.offline import OfflineReasoner
            reasoner = OfflineReasoner()
        self.reasoner = reasoner
        self.model = model
        self.faults = faults or FaultPlan()
        self.requests = 0
        self.served_faults: dict[str, int] = {}
        self.recorded: list[dict[str, Any]] | None = [] if record else None
        self._lock = threading.Lock()  # one reasoner call at a time
        self._count_lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer((host, port), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = self._httpd.server_address[0]
        return f"http://{host}:{self.port}/v1"

    def start(self) -> "ModelServer":
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="model-server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`stop` (or KeyboardInterrupt)."""
        self._httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving; a stalled request is released at once."""
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> "ModelServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- answering -------------------------------------------------------------------------
    def next_number(self) -> int:
        with self._count_lock:
            self.requests += 1
            return self.requests

    def note_fault(self, kind: str) -> None:
        with self._count_lock:
            self.served_faults[kind] = self.served_faults.get(kind, 0) + 1

    def complete(self, body: Any, number: int) -> dict[str, Any]:
        """The ``chat.completion`` answer to a request body (RequestError when it is unreadable)."""
        messages, tools = request_to_llm(body)
        if body.get("stream"):
            raise RequestError("stream: streaming is not supported by this server")
        cap = body.get("max_completion_tokens", body.get("max_tokens"))
        if cap is not None and (not isinstance(cap, int) or cap < 1):
            raise RequestError("max_tokens: expected a positive integer")
        with self._lock:
            result = asyncio.run(self.reasoner.create(messages, tools=tools))
            if self.recorded is not None:
                self.recorded.append(body)
        model = body.get("model") if isinstance(body.get("model"), str) else self.model
        return result_to_response(result, model, number, int(time.time()), cap)

    def stall(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def _handler(server: ModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None, raw: bytes | None = None) -> None:
            body = raw if raw is not None else json.dumps(payload).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (its timeout): nothing to tell it
                pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            if path in MODELS_PATHS:
                self._send(200, {"object": "list", "data": [
                    {"id": server.model, "object": "model", "created": 0, "owned_by": "sre-agent"}]})
            else:
                self._send(404, _error(f"no route {path[:80]}", "not_found"))

        def do_POST(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.close_connection = True
                return self._send(413, _error(f"request body over {MAX_BODY} bytes", "invalid_request_error"))
            raw = self.rfile.read(length) if length else b""
            if path not in CHAT_PATHS:
                return self._send(404, _error(f"no route {path[:80]}", "not_found"))
            try:
                body = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                return self._send(400, _error("the request body is not JSON", "invalid_request_error"))
            number = server.next_number()
            fault = server.faults.draw(number)
            if fault is not None:
                server.note_fault(fault)
                return self._fault(fault, number)
            try:
                answer = server.complete(body, number)
            except RequestError as exc:
                return self._send(400, _error(str(exc), "invalid_request_error"))
            self._send(200, answer)

        def _fault(self, kind: str, number: int) -> None:
            plan = server.faults
            if kind == "429":
                self._send(429, _error("rate limited (injected)", "rate_limit_error", "rate_limit_exceeded"),
                           headers={"Retry-After": str(plan.retry_after)})
            elif kind == "5xx":
                self._send(503, _error("service unavailable (injected)", "server_error"))
            elif kind == "timeout":
                server.stall(plan.stall_seconds)
                self._send(504, _error("gateway timeout (injected)", "server_error"))
            else:  # truncated: a well-formed answer cut in the middle
                whole = json.dumps({"id": f"chatcmpl-{number}", "object": "chat.completion", "created": 0,
                                    "model": server.model, "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": "PLAN\n{}"}}]}).encode("utf-8")
                self._send(200, None, raw=whole[: len(whole) // 2])

        def log_message(self, *args: Any) -> None:  # quiet: a test server, and a CLI that prints its own lines
            pass

    return Handler
