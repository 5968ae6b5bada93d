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

    def _reply(self, req: SeenRequest) -> Reply:
        with self._lock:
            self.seen.append(req)
            route = self.routes.get(req.path)
            if route is None:
                if self.fallback is not None:
                    return self.fallback(req)
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


def forward_to(base_url: str) -> Callable[[SeenRequest], Reply]:
    """A :class:`StubHTTPServer` fallback that relays a GET to ``base_url`` (same path and query)."""
    from urllib.parse import urlencode
    session = requests.Session()
    session.trust_env = False

    def relay(req: SeenRequest) -> Reply:
        query = urlencode([(k, v) for k, vs in req.query.items() for v in vs])
        r = session.get(f"{base_url}{req.path}" + (f"?{query}" if query else ""), timeout=30,
                        headers={k: v for k, v in req.headers.items() if k.lower() in ("accept", "authorization")})
        return r.status_code, r.content

    return relay


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


# -- a recorded scenario served live -----------------------------------------------------------
def _rfc3339(t: float | None) -> str | None:
    """Epoch seconds -> RFC 3339 UTC (microseconds only when the time has a fraction)."""
    if t is None:
        return None
    from datetime import datetime, timezone
    dt = datetime.fromtimestamp(t, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{dt.microsecond:06d}Z" if dt.microsecond else "Z")


def _jaeger_tag(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "type": "bool", "value": value}
    if isinstance(value, int):
        return {"key": key, "type": "int64", "value": value}
    if isinstance(value, float):
        return {"key": key, "type": "float64", "value": value}
    return {"key": key, "type": "string", "value": value if isinstance(value, str) else str(value)}


_JAEGER_KINDS = {"Server": "server", "Client": "client", "Internal": "internal", "Producer": "producer",
                 "Consumer": "consumer"}


def spans_to_jaeger(spans: Iterable[Any]) -> list[dict[str, Any]]:
    """:class:`~sre_agent.models.Span` records -> Jaeger query-API trace objects (``/api/traces`` data).

    Times are whole microseconds (Jaeger's resolution); kind and status become the ``span.kind`` /
    ``otel.status_code`` / ``otel.status_description`` tags; the span's attributes become tags and its
    resource attributes the process tags (one process per distinct service + resource).
    """
    by_trace: dict[str, list[Any]] = {}
    for s in spans:
        by_trace.setdefault(s.trace_id, []).append(s)
    out: list[dict[str, Any]] = []
    for trace_id, members in by_trace.items():
        processes: dict[tuple[str, str], str] = {}
        procs_json: dict[str, Any] = {}
        raw_spans = []
        for s in members:
            pkey = (s.service, s.resource_text)
            pid = processes.get(pkey)
            if pid is None:
                pid = processes[pkey] = f"p{len(processes) + 1}"
                res = {k: v for k, v in s.resource.items() if k != "service.name"}
                procs_json[pid] = {"serviceName": s.service, "tags": [_jaeger_tag(k, v) for k, v in res.items()]}
            tags = [_jaeger_tag(k, v) for k, v in s.attributes.items()]
            if s.kind in _JAEGER_KINDS:
                tags.append(_jaeger_tag("span.kind", _JAEGER_KINDS[s.kind]))
            if s.status in ("Error", "Ok"):
                tags.append(_jaeger_tag("otel.status_code", s.status.upper()))
            if s.status_message:
                tags.append(_jaeger_tag("otel.status_description", s.status_message))
            refs = [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": s.parent_span_id}] if s.parent_span_id else []
            raw_spans.append({"traceID": trace_id, "spanID": s.span_id, "operationName": s.name, "references": refs,
                              "startTime": int(round(s.start * 1e6)), "duration": int(round(s.duration_ns / 1000)),
                              "tags": tags, "logs": [], "processID": pid, "warnings": None})
        out.append({"traceID": trace_id, "spans": raw_spans, "processes": procs_json, "warnings": None})
    return out


def jaeger_routes(spans: Iterable[Any]) -> dict[str, Callable[[SeenRequest], Reply]]:
    """:class:`StubHTTPServer` routes answering Jaeger's ``/api/services`` and ``/api/traces`` like
    the query service: a trace is returned whole when one of its spans is emitted by ``service``
    and starts within ``[start, end]`` (µs); ``limit`` caps the number of traces."""
    traces = spans_to_jaeger(spans)
    index: dict[str, list[tuple[int, int, dict[str, Any]]]] = {}
    for tr in traces:
        first: dict[str, tuple[int, int]] = {}
        for sp in tr["spans"]:
            svc = tr["processes"][sp["processID"]]["serviceName"]
            lo, hi = first.get(svc, (sp["startTime"], sp["startTime"]))
            first[svc] = (min(lo, sp["startTime"]), max(hi, sp["startTime"]))
        for svc, (lo, hi) in first.items():
            index.setdefault(svc, []).append((lo, hi, tr))
    for rows in index.values():
        rows.sort(key=lambda r: r[0])
    encoded = {id(tr): json.dumps(tr).encode() for tr in traces}

    def services(req: SeenRequest) -> Reply:
        return 200, {"data": sorted(index), "total": len(index)}

    def find(req: SeenRequest) -> Reply:
        q = {k: v[-1] for k, v in req.query.items()}
        svc = q.get("service", "")
        start = int(q.get("start", 0))
        end = int(q.get("end", 2 ** 62))
        limit = int(q.get("limit", 20))
        # a trace matches when one of the service's spans starts in [start, end]
        hits = [tr for lo, hi, tr in index.get(svc, []) if hi >= start and lo <= end
                and any(start <= sp["startTime"] <= end for sp in tr["spans"]
                        if tr["processes"][sp["processID"]]["serviceName"] == svc)]
        hits = hits[:limit]
        return 200, b'{"data": [' + b",".join(encoded[id(tr)] for tr in hits) + b'], "total": %d}' % len(hits)

    return {"/api/services": services, "/api/traces": find}


#: Kind -> kmock resource key (group/version/plural) of the kinds ``KubernetesBackend`` reads
KMOCK_RESOURCES = {
    "Pod": "v1/pods", "Service": "v1/services", "Endpoints": "v1/endpoints", "ConfigMap": "v1/configmaps",
    "Namespace": "v1/namespaces", "Node": "v1/nodes", "Deployment": "apps/v1/deployments",
    "ReplicaSet": "apps/v1/replicasets", "StatefulSet": "apps/v1/statefulsets", "DaemonSet": "apps/v1/daemonsets",
    "HorizontalPodAutoscaler": "autoscaling/v2/horizontalpodautoscalers",
    "NetworkPolicy": "networking.k8s.io/v1/networkpolicies",
}


def namespace_routes(source: Any) -> dict[str, Reply]:
    """Routes serving a backend's Namespace objects at ``/api/v1/namespaces[/<name>]``."""
    items = [o.body for o in source.list_objects("Namespace")]
    routes: dict[str, Reply] = {"/api/v1/namespaces": (200, {"apiVersion": "v1", "kind": "NamespaceList",
                                                              "metadata": {}, "items": items})}
    for body in items:
        routes[f"/api/v1/namespaces/{body['metadata']['name']}"] = (200, body)
    return routes


def event_to_json(event: Any, index: int) -> dict[str, Any]:
    """A :class:`~sre_agent.models.K8sEvent` -> a core v1 Event object as the API server returns it."""
    ns = event.involved_namespace
    name = f"{event.involved_name}.{index:016x}"
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": ns, "uid": f"event-{index}"},
            "involvedObject": {"kind": event.involved_kind, "namespace": ns, "name": event.involved_name},
            "reason": event.reason, "message": event.message, "type": event.type, "count": event.count,
            "firstTimestamp": _rfc3339(event.first_time), "lastTimestamp": _rfc3339(event.time),
            "source": {"component": event.source}}


def pod_log_text(records: Iterable[Any]) -> bytes:
    """Log records -> what ``GET .../pods/<pod>/log?timestamps=true`` prints: one line per body line,
    each prefixed by its RFC 3339 (nanosecond) time, as the kubelet writes multi-line output."""
    from datetime import datetime, timezone
    lines = []
    for r in records:
        ns = int(round(r.time * 1e9))
        stamp = datetime.fromtimestamp(ns // 10 ** 9, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{ns % 10 ** 9:09d}Z"
        for line in (r.body or "").splitlines() or [""]:
            lines.append(f"{stamp} {line}")
    return ("\n".join(lines) + "\n").encode() if lines else b""


def kube_setup_from_backend(source: Any, with_logs: bool = True) -> Callable[[Any], None]:
    """A :class:`KubeMockServer` ``setup`` loading a backend's current objects (every kind the live
    backend reads), its events, and (``with_logs``) each pod's log records as the pod's log."""
    objects = [o for o in source.list_objects() if o.kind in KMOCK_RESOURCES]
    events = list(source.events())
    logs: dict[tuple[str, str], list[Any]] = {}
    if with_logs:
        for r in source.logs():
            if r.pod:
                logs.setdefault((r.namespace, r.pod), []).append(r)

    def setup(k: Any) -> None:
        for res in list(KMOCK_RESOURCES.values()) + ["v1/events", "events.k8s.io/v1/events"]:
            k.resources[res] = {}
        for o in objects:
            k.objects[KMOCK_RESOURCES[o.kind], o.namespace or None, o.name] = o.body
        for i, e in enumerate(events):
            body = event_to_json(e, i)
            k.objects["v1/events", body["metadata"]["namespace"] or None, body["metadata"]["name"]] = body
        for (ns, pod), recs in logs.items():
            k[f"get /api/v1/namespaces/{ns}/pods/{pod}/log"] << pod_log_text(recs)

    return setup


class LiveScenario:
    """Every live source of one recorded incident, on loopback, behind a :class:`LiveBackend`.

    From a snapshot backend (normally :class:`~sre_agent.snapshot.SnapshotBackend`): all metric
    series backfilled into a real Prometheus, the current objects, events and pod logs in kmock,
    the spans behind a Jaeger query-API stub, the firing alerts posted to a real Alertmanager.

    Clocks: :attr:`backend` has ``now()`` = the end of the recording and the recording's window;
    each source's default look-back is widened to cover every recorded sample (a snapshot's
    "whole recording" for metrics can reach a fraction of a second past its window), as a
    live deployment's one-hour look-back would.

    Example::

        with LiveScenario(SnapshotBackend("Scenario-27"), tmp_path) as live:
            live.backend.metric_series("container_memory_rss", {"pod": "cart-..."})
    """

    def __init__(self, source: Any, workdir: Path, *, with_alertmanager: bool = True, with_logs: bool = True) -> None:
        self.source = source
        self.workdir = Path(workdir)
        self.with_alertmanager = with_alertmanager
        self.with_logs = with_logs
        self.backend: Any = None
        self.prometheus: PrometheusServer | None = None
        self.kube: KubeMockServer | None = None
        self.kube_front: StubHTTPServer | None = None
        self.jaeger: StubHTTPServer | None = None
        self.webhook: StubHTTPServer | None = None
        self.alertmanager: AlertmanagerServer | None = None
        self.series: list[MetricSeries] = []
        self._stack: Any = None

    def __enter__(self) -> "LiveScenario":
        import contextlib

        src = self.source
        start, end = src.window()
        self.series = [s for n in src.metric_names() for s in src.metric_series(n)]
        spans = list(src.spans())
        times = [t for s in self.series for t, _ in s.points] + [s.start for s in spans]
        data_start = min([start] + times)
        data_end = max([end] + times)
        lookback = data_end - data_start + 1.0
        stack = self._stack = contextlib.ExitStack()
        try:
            self.prometheus = stack.enter_context(PrometheusServer(self.series, self.workdir / "prometheus"))
            self.kube = stack.enter_context(KubeMockServer(kube_setup_from_backend(src, self.with_logs)))
            # kmock cannot parse the cluster-scoped /api/v1/namespaces paths: a front server answers
            # them from the recording and relays every other request to kmock
            self.kube_front = stack.enter_context(StubHTTPServer(routes=namespace_routes(src),
                                                                 fallback=forward_to(self.kube.url)))
            self.jaeger = stack.enter_context(StubHTTPServer(routes=jaeger_routes(spans)))
            self._kubeconfig = write_kubeconfig(self.workdir / "kubeconfig", self.kube_front.url)
            if self.with_alertmanager:
                self.webhook = stack.enter_context(StubHTTPServer(routes={"/hook": (200, {})}))
                self.alertmanager = stack.enter_context(
                    AlertmanagerServer(f"{self.webhook.url}/hook", self.workdir / "alertmanager"))
                self.alertmanager.post_alerts(alerts_to_alertmanager(src.alerts()))
            self._clocks = (data_end, lookback, start, end)
            self.backend = self.fresh_backend()
            stack.callback(self.backend.close)
        except BaseException:
            stack.close()
            raise
        return self

    def fresh_backend(self) -> Any:
        """A new :class:`LiveBackend` over the running servers (the caller closes it)."""
        from ._retry import RetryPolicy
        from .alertmanager import AlertmanagerBackend
        from .jaeger import JaegerBackend
        from .kubernetes import KubernetesBackend
        from .live import LiveBackend
        from .prometheus import PrometheusBackend

        data_end, lookback, start, end = self._clocks
        clock = lambda: data_end  # noqa: E731
        policy = RetryPolicy(attempts=1, timeout=30.0, deadline=60.0)
        kube = KubernetesBackend.from_kubeconfig(str(self._kubeconfig), policy=policy, log_tail_lines=10 ** 6,
                                                 max_log_pods=10 ** 4, lookback_s=lookback, clock=clock)
        prom = PrometheusBackend(self.prometheus.url, policy=policy, lookback_s=lookback, clock=clock)
        jaeger = JaegerBackend(self.jaeger.url, policy=policy, max_traces=10 ** 7, lookback_s=lookback, clock=clock)
        am = AlertmanagerBackend(self.alertmanager.url, policy=policy) if self.alertmanager else None
        return LiveBackend(kubernetes=kube, prometheus=prom, jaeger=jaeger, alertmanager=am,
                           lookback_s=end - start, clock=lambda: end)

    def __exit__(self, *exc: Any) -> None:
        if self._stack is not None:
            self._stack.close()


def alerts_to_alertmanager(alerts: Iterable[Any]) -> list[dict[str, Any]]:
    """:class:`~sre_agent.models.Alert` records -> ``POST /api/v2/alerts`` bodies (still firing)."""
    out = []
    for a in alerts:
        item: dict[str, Any] = {"labels": {"alertname": a.name, **a.labels}, "annotations": dict(a.annotations)}
        if a.active_at:
            item["startsAt"] = _rfc3339(a.active_at)
        out.append(item)
    return out
