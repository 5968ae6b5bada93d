"""Real servers on 127.0.0.1 for live-mode tests and demos (each on a free port, in a temp dir).

* :class:`PrometheusServer`: backfills :class:`~sre_agent.models.MetricSeries` into a fresh TSDB
  (``promtool tsdb create-blocks-from openmetrics``) and starts ``prometheus`` on it with no
  scrape targets: a real PromQL server holding exactly the given samples.
* :class:`AlertmanagerServer`: ``prometheus-alertmanager`` routing every alert to one webhook.
* :class:`KubeMockServer`: kmock's Kubernetes emulator on a loopback port, in a background thread
  (kmock is a dev dependency), plus :func:`write_kubeconfig` for the real ``kubernetes`` client.
* :class:`StubHTTPServer`: a tiny stdlib server answering canned JSON (Jaeger, failure injection).

Every server is a context manager that stops its process / thread and removes nothing it did
not create.  Binaries come from the Debian packages ``prometheus`` and ``prometheus-alertmanager``
(``.ci/install-servers.sh``).

Example::

    with PrometheusServer(series, workdir) as prom:
        PrometheusBackend(prom.url).metric_series("up", since=t0, until=t1)
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from ..models import MetricSeries

PROMETHEUS = os.environ.get("SRE_AGENT_PROMETHEUS_BIN", "/usr/bin/prometheus")
PROMTOOL = os.environ.get("SRE_AGENT_PROMTOOL_BIN", "/usr/bin/promtool")
ALERTMANAGER = os.environ.get("SRE_AGENT_ALERTMANAGER_BIN", "/usr/bin/prometheus-alertmanager")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    """Poll ``url`` until it answers 200; raise with the server's log tail otherwise."""
    deadline = time.monotonic() + timeout
    session = requests.Session()
    session.trust_env = False
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            if session.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise RuntimeError(f"{url} did not come up within {timeout}s\n{tail}")


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


# -- Prometheus --------------------------------------------------------------------------------
def _om_escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _om_value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v))


def write_openmetrics(series: Iterable[MetricSeries], path: Path) -> int:
    """Write series as OpenMetrics text for ``promtool``; returns the number of samples.

    Families are contiguous and sorted, points sorted by time (duplicate times dropped),
    timestamps in seconds with millisecond precision (Prometheus's resolution).
    """
    grouped: dict[str, dict[tuple[tuple[str, str], ...], dict[int, float]]] = {}
    for s in series:
        pts = grouped.setdefault(s.name, {}).setdefault(tuple(sorted(s.labels)), {})
        for t, v in s.points:
            pts[int(round(t * 1000))] = v
    n = 0
    with open(path, "w", encoding="utf-8") as out:
        for name in sorted(grouped):
            for labels in sorted(grouped[name]):
                lab = ",".join(f'{k}="{_om_escape(v)}"' for k, v in labels)
                head = f"{name}{{{lab}}}" if lab else name
                for ms, v in sorted(grouped[name][labels].items()):
                    out.write(f"{head} {_om_value(v)} {ms // 1000}.{ms % 1000:03d}\n")
                    n += 1
        out.write("# EOF\n")
    return n


class PrometheusServer:
    """``prometheus`` on a free 127.0.0.1 port over a TSDB backfilled from ``series``."""

    def __init__(self, series: Iterable[MetricSeries], workdir: Path, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.series = list(series)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self._log_file: Any = None

    def __enter__(self) -> "PrometheusServer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        data = self.workdir / "data"
        om = self.workdir / "metrics.om"
        if write_openmetrics(self.series, om):
            done = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(om), str(data)],
                                  capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise RuntimeError(f"promtool failed: {done.stderr.strip()[-1000:]}")
        cfg = self.workdir / "prometheus.yml"
        cfg.write_text("global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\nscrape_configs: []\n")
        log = self.workdir / "prometheus.log"
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={data}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=100y",
             "--log.level=warn"],
            stdout=self._log_file, stderr=subprocess.STDOUT, cwd=self.workdir)
        try:
            wait_http(f"{self.url}/-/ready", 30, self.proc, log)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        _stop(self.proc)
        if self._log_file:
            self._log_file.close()


# -- Alertmanager ------------------------------------------------------------------------------
class AlertmanagerServer:
    """``prometheus-alertmanager`` on a free port, every alert routed to ``webhook_url``."""

    def __init__(self, webhook_url: str, workdir: Path, port: int | None = None, group_wait: str = "1s") -> None:
        self.webhook_url = webhook_url
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.group_wait = group_wait
        self.proc: subprocess.Popen | None = None
        self._log_file: Any = None

    def __enter__(self) -> "AlertmanagerServer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        cfg = self.workdir / "alertmanager.yml"
        cfg.write_text(
            "route:\n"
            "  receiver: sre-agent\n"
            "  group_by: ['alertname', 'namespace']\n"
            f"  group_wait: {self.group_wait}\n"
            "  group_interval: 5s\n"
            "  repeat_interval: 1h\n"
            "receivers:\n"
            "  - name: sre-agent\n"
            "    webhook_configs:\n"
            f"      - url: '{self.webhook_url}'\n"
            "        send_resolved: false\n")
        log = self.workdir / "alertmanager.log"
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={cfg}", f"--storage.path={self.workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=", "--log.level=warn"],
            stdout=self._log_file, stderr=subprocess.STDOUT, cwd=self.workdir)
        try:
            wait_http(f"{self.url}/-/ready", 30, self.proc, log)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """POST alerts (``[{labels, annotations, startsAt?}]``) to ``/api/v2/alerts``."""
        session = requests.Session()
        session.trust_env = False
        r = session.post(f"{self.url}/api/v2/alerts", json=alerts, timeout=5)
        r.raise_for_status()

    def __exit__(self, *exc: Any) -> None:
        _stop(self.proc)
        if self._log_file:
            self._log_file.close()


# -- stub HTTP ---------------------------------------------------------------------------------
@dataclass
class SeenRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


Reply = tuple[int, Any]  # (status, JSON-able body or bytes)


@dataclass
class StubHTTPServer:
    """A stdlib HTTP server on 127.0.0.1 with canned replies per path (a list is played in order,
    its last entry repeating; a callable gets the :class:`SeenRequest`)."""

    routes: dict[str, Reply | list[Reply] | Callable[[SeenRequest], Reply]] = field(default_factory=dict)
    seen: list[SeenRequest] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._played: dict[str, int] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _reply(self, req: SeenRequest) -> Reply:
        with self._lock:
            self.seen.append(req)
            route = self.routes.get(req.path)
            if route is None:
                return 404, {"error": "not found"}
            if callable(route):
                return route(req)
            if isinstance(route, list):
                i = self._played.get(req.path, 0)
                self._played[req.path] = i + 1
                return route[min(i, len(route) - 1)]
            return route

    def __enter__(self) -> "StubHTTPServer":
        stub = self

        class Handler(BaseHTTPRequestHandler):
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


# -- Kubernetes (kmock) ------------------------------------------------------------------------
class KubeMockServer:
    """kmock's ``KubernetesEmulator`` served on a loopback port from a background event loop.

    ``setup(kmock)`` runs inside the loop before serving: load objects
    (``kmock.objects['v1/pods', 'ns', 'name'] = {...}``) and reactions
    (``kmock['get /api/v1/namespaces/ns/pods/p/log'] << b'...'``).  After the ``with`` block,
    :attr:`requests` lists ``(method, path)`` of every request the server saw.
    """

    def __init__(self, setup: Callable[[Any], None] | None = None) -> None:
        self.setup = setup
        self.handler: Any = None
        self.url = ""
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def requests(self) -> list[tuple[str, str]]:
        return [(str(r.method.value if hasattr(r.method, "value") else r.method).upper(), str(r.url.path))
                for r in list(self.handler)] if self.handler is not None else []

    def _run(self) -> None:
        import kmock

        async def main() -> None:
            self._stop = asyncio.Event()
            async with kmock.KubernetesEmulator() as handler, kmock.Server(handler) as server:
                self.handler = handler
                if self.setup is not None:
                    self.setup(handler)
                self.port = server.port
                self.url = f"http://127.0.0.1:{server.port}"
                self._ready.set()
                await self._stop.wait()

        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    def __enter__(self) -> "KubeMockServer":
        self._thread = threading.Thread(target=self._run, name="kmock", daemon=True)
        self._thread.start()
        if not self._ready.wait(20) or self._error is not None:
            raise RuntimeError(f"kmock did not start: {self._error!r}")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)


def write_kubeconfig(path: Path, server_url: str, token: str | None = None, context: str = "kmock") -> Path:
    """A kubeconfig pointing at ``server_url`` (optionally with a bearer token)."""
    user: dict[str, Any] = {"token": token} if token else {}
    doc = {
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": context, "cluster": {"server": server_url}}],
        "users": [{"name": context, "user": user}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
    }
    path.write_text(json.dumps(doc, indent=2))  # JSON is YAML
    return path


def binaries_present(*names: str) -> bool:
    return all(shutil.which(n) or os.path.exists(n) for n in names)
