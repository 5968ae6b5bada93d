"""``python -m sre_agent serve``: receive Alertmanager webhooks and triage each alert group.

    python -m sre_agent serve --port 9095 [--host 127.0.0.1] [--out DIR] [--config live.yaml]
                              [--snapshot SCENARIO_DIR] [--run-config run.yaml]

* ``POST /`` (also ``/webhook``, ``/alerts``): an Alertmanager webhook (JSON, ``version: "4"``).
  A bad payload gets HTTP 400 with a one-line reason; a good one is queued (HTTP 202) and its
  firing alerts are triaged one group at a time by a worker thread.
* ``GET /healthz``: ``{"status": "ok", "queued": n, "running": bool, "done": n, "failed": n}``.
* Each group gets ``<out>/<UTC timestamp>-<sha256(groupKey)[:12]>/`` holding ``alerts.json`` (the
  webhook payload with its firing alerts), what ``triage`` writes (``agent_output.json``,
  ``report.md``, ``trace.jsonl``, ``stats.json``) and ``status.json``.
* The data comes from a fresh :class:`~sre_agent.backends.live.LiveBackend` per group (``--config``,
  default the packaged ``configs/live.yaml``), or from a recorded scenario (``--snapshot``).

The triage step is injectable (:class:`WebhookService` takes any ``triage(alert, backend,
output_dir)`` callable), so the server can be tested without the runner.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import queue
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..backends._redact import RedactingFilter, one_line
from ..errors import InputError

log = logging.getLogger("sre_agent.serve")

MAX_BODY = 5 * 1024 * 1024
WEBHOOK_PATHS = {"/", "/webhook", "/alerts"}

TriageFn = Callable[[Path, Any, Path], Any]


class WebhookError(ValueError):
    """A webhook payload that cannot be triaged; the message is one line."""


def validate_webhook(payload: Any) -> dict[str, Any]:
    """Check an Alertmanager webhook (version 4); return it with only its firing alerts."""
    if not isinstance(payload, dict):
        raise WebhookError("payload must be a JSON object")
    version = payload.get("version")
    if str(version) != "4":
        raise WebhookError(f"unsupported webhook version {one_line(repr(version), 40)}; expected \"4\"")
    group_key = payload.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        raise WebhookError("groupKey must be a non-empty string")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise WebhookError("alerts must be a non-empty list")
    for i, alert in enumerate(alerts):
        if not isinstance(alert, dict):
            raise WebhookError(f"alerts[{i}] must be an object")
        labels = alert.get("labels")
        if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
            raise WebhookError(f"alerts[{i}].labels must be an object of strings")
        if not labels.get("alertname"):
            raise WebhookError(f"alerts[{i}].labels has no alertname")
        annotations = alert.get("annotations", {})
        if annotations is not None and not isinstance(annotations, dict):
            raise WebhookError(f"alerts[{i}].annotations must be an object")
        status = alert.get("status", "firing")
        if status not in ("firing", "resolved"):
            raise WebhookError(f"alerts[{i}].status must be firing or resolved")
    firing = [a for a in alerts if a.get("status", "firing") == "firing"]
    return {**payload, "alerts": firing}


@dataclass
class Job:
    group_key: str
    payload: dict[str, Any]
    folder: Path


def job_folder(out: Path, group_key: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")
    digest = hashlib.sha256(group_key.encode("utf-8")).hexdigest()[:12]
    folder = out / f"{stamp}-{digest}"
    n = 1
    while folder.exists():
        n += 1
        folder = out / f"{stamp}-{digest}-{n}"
    return folder


class WebhookService:
    """The queue and the worker thread: one triage at a time, in arrival order."""

    def __init__(self, out: Path, triage: TriageFn, backend_factory: Callable[[], Any], max_queue: int = 100) -> None:
        self.out = Path(out)
        self.triage = triage
        self.backend_factory = backend_factory
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=max_queue)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.done = 0
        self.failed = 0
        self.running = False
        self._pending = 0
        self._worker = threading.Thread(target=self._work, name="sre-agent-triage", daemon=True)
        self._worker.start()

    def submit(self, payload: dict[str, Any]) -> Job:
        """Queue a validated payload; raises ``queue.Full`` when the backlog is full."""
        folder = job_folder(self.out, payload["groupKey"])
        folder.mkdir(parents=True, exist_ok=False)
        (folder / "alerts.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        job = Job(payload["groupKey"], payload, folder)
        with self._lock:
            self._pending += 1
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            with self._lock:
                self._pending -= 1
            self._write_status(folder, "rejected", "queue full")
            raise
        return job

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"queued": self._queue.qsize(), "running": self.running, "done": self.done, "failed": self.failed}

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued job finished (tests); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    @staticmethod
    def _write_status(folder: Path, state: str, error: str = "") -> None:
        body = {"state": state, "finished": datetime.now(timezone.utc).isoformat()}
        if error:
            body["error"] = error
        (folder / "status.json").write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                self.running = True
            ok, error = False, ""
            backend = None
            try:
                backend = self.backend_factory()
                self.triage(job.folder / "alerts.json", backend, job.folder)
                ok = True
            except Exception as exc:  # noqa: BLE001 - one failed group must not stop the server
                error = one_line(f"{type(exc).__name__}: {exc}")
                log.error("triage of group %s failed: %s", job.folder.name, error)
            finally:
                close = getattr(backend, "close", None)
                if callable(close):
                    try:
                        close()
                    except Exception:  # noqa: BLE001
                        pass
            self._write_status(job.folder, "done" if ok else "failed", error)
            log.info("group %s: %s", job.folder.name, "done" if ok else "failed")
            with self._idle:
                self.running = False
                self._pending -= 1
                if ok:
                    self.done += 1
                else:
                    self.failed += 1
                self._idle.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        self._worker.join(timeout)


def make_server(host: str, port: int, service: WebhookService) -> ThreadingHTTPServer:
    """The HTTP front: webhook POSTs and ``/healthz``; never crashes on a bad request."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "sre-agent"
        sys_version = ""

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = (json.dumps(body, sort_keys=True) + "\n").encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            if self.path.split("?", 1)[0] == "/healthz":
                self._send(200, {"status": "ok", **service.stats()})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            if self.path.split("?", 1)[0] not in WEBHOOK_PATHS:
                self._send(404, {"error": "not found"})
                return
            try:
                length = int(self.headers.get("Content-Length") or "")
            except ValueError:
                self._send(411, {"error": "a Content-Length header is required"})
                return
            if length < 0 or length > MAX_BODY:
                self._send(413, {"error": f"payload larger than {MAX_BODY} bytes"})
                return
            raw = self.rfile.read(length)
            try:
                payload = json.loads(raw.decode("utf-8"))
                payload = validate_webhook(payload)
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                self._send(400, {"error": "payload is not valid JSON"})
                return
            except WebhookError as exc:
                self._send(400, {"error": str(exc)})
                return
            if not payload["alerts"]:
                self._send(200, {"queued": False, "reason": "no firing alerts"})
                return
            try:
                job = service.submit(payload)
            except queue.Full:
                self._send(503, {"error": "triage queue is full; retry later"})
                return
            except OSError as exc:
                self._send(500, {"error": one_line(f"cannot write the group folder: {exc.strerror}")})
                return
            self._send(202, {"queued": True, "id": job.folder.name})

        def do_PUT(self) -> None:  # noqa: N802
            self._send(405, {"error": "method not allowed"})

        do_DELETE = do_PATCH = do_PUT

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), fmt % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


# -- command line -------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, required=True, help="TCP port to listen on (0 = any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--out", type=Path, default=Path("sre-agent-runs"),
                   help="where each alert group's results go (default ./sre-agent-runs)")
    p.add_argument("--config", type=Path, help="live-mode config (see configs/live.yaml): sources, timeouts, tokens' env vars")
    p.add_argument("--snapshot", type=Path, help="triage against this recorded ITBench-Lite scenario instead of live sources")
    p.add_argument("--run-config", type=Path, help="agent run configuration, as triage's --config (configs/default.yaml)")
    p.add_argument("--otel-console", action="store_true",
                   help="print the agent's OpenTelemetry spans to stderr (needs opentelemetry-sdk)")


def _default_triage(run_config: Any) -> TriageFn:
    def triage(alert: Path, backend: Any, output_dir: Path) -> Any:
        from ..runner import run_triage
        return run_triage(alert=alert, backend=backend, output_dir=output_dir, config=run_config)
    return triage


def build_service(args: argparse.Namespace) -> WebhookService:
    """Validate the options and build the service (raises ``InputError`` on bad input)."""
    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: expected 0-65535")
    try:
        Path(args.out).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {args.out}: cannot be created ({exc.strerror})") from None
    if args.snapshot is not None:
        snapshot = Path(args.snapshot)
        if not snapshot.is_dir():
            raise InputError(f"--snapshot {snapshot}: not a folder")

        def backend_factory() -> Any:
            from ..snapshot import SnapshotBackend
            return SnapshotBackend(snapshot)
    else:
        from ..backends.live import LiveBackend
        from ..backends.live_config import load_live_config
        live_config = load_live_config(args.config)

        def backend_factory() -> Any:
            return LiveBackend.from_config(live_config)
    from ..config import load_config
    run_config = load_config(args.run_config)
    return WebhookService(Path(args.out), _default_triage(run_config), backend_factory)


def run(args: argparse.Namespace) -> int:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("sre-agent serve: %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    from ..telemetry import setup_tracing
    setup_tracing(console=getattr(args, "otel_console", False))
    service = build_service(args)
    try:
        server = make_server(args.host, args.port, service)
    except OSError as exc:
        raise InputError(f"--host {args.host} --port {args.port}: cannot listen ({exc.strerror})") from None
    host, port = server.server_address[:2]
    print(f"sre-agent serve: listening on http://{host}:{port} (results in {args.out})", file=sys.stderr, flush=True)

    def on_term(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
        service.stop()
        log.removeHandler(handler)
    print("sre-agent serve: stopped", file=sys.stderr, flush=True)
    return 0
