"""A tiny OpenAI-format HTTP server on 127.0.0.1 for client-side tests: it records every request
and answers by a policy (prose by default), optionally after scripted faults (429 with
Retry-After, 5xx).  Not a model: the offline-reasoner-backed server is a separate component.

    with StubServer() as srv:
        srv.base_url           # http://127.0.0.1:PORT/v1
        srv.requests           # the JSON bodies received, in order
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[dict[str, Any], int], str]


def prose(_body: dict[str, Any], n: int) -> str:
    """Every answer is prose (numbered, so an answer replayed from a cache is recognisable)."""
    return f"I looked at the incident and I think something is wrong with the services (answer {n})."


def completion(content: str, body: dict[str, Any], n: int) -> dict[str, Any]:
    prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", [])) // 4
    return {"id": f"chatcmpl-{n}", "object": "chat.completion", "created": 0, "model": body.get("model", "stub"),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": len(content) // 4,
                      "total_tokens": prompt + len(content) // 4}}


class StubServer:
    """Start with ``with``; ``faults`` is a list of (status, headers) answered first, in order."""

    def __init__(self, answer: Answer = prose, faults: list[tuple[int, dict[str, str]]] | None = None,
                 delay: float = 0.0) -> None:
        self.answer = answer
        self.faults = list(faults or [])
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with stub._lock:
                    stub.requests.append(body)
                    stub.times.append(time.monotonic())
                    n = len(stub.requests)
                    fault = stub.faults.pop(0) if stub.faults else None
                    stub.in_flight += 1
                    stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
                try:
                    if stub.delay:
                        time.sleep(stub.delay)
                    if fault is not None:
                        status, headers = fault
                        data = json.dumps({"error": {"message": "stub fault", "type": "server_error"}}).encode()
                    else:
                        status, headers = 200, {}
                        data = json.dumps(completion(stub.answer(body, n), body, n)).encode()
                    self.send_response(status)
                    for k, v in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                finally:
                    with stub._lock:
                        stub.in_flight -= 1

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> "StubServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


MODEL_INFO = {"vision": False, "function_calling": True, "json_output": True, "structured_output": True,
              "family": "unknown"}


def write_profile(folder: Any, name: str, base_url: str, **fields: Any) -> None:
    """``folder/models/<name>.yaml``: an endpoint profile for the stub (no API key)."""
    import yaml

    models = folder / "models"
    models.mkdir(parents=True, exist_ok=True)
    openai = {"model": "stub-model", "base_url": base_url, "api_key_env": "", "model_info": MODEL_INFO,
              "timeout_seconds": 10, "max_retries": 2, **fields}
    (models / f"{name}.yaml").write_text(yaml.safe_dump({"kind": "openai", "openai": openai}), encoding="utf-8")
