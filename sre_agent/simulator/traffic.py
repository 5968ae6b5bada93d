"""Healthy (and faulted) request traffic for the whole window: spans, logs and span metrics.

Requests arrive as a Poisson stream over the user flows of :mod:`catalog`; each request is
walked call by call, consulting the :class:`~.incident.Incident` for failing or slow calls and
the :class:`~.app.Topology` for which pod serves.  A failed critical call fails its caller's
span too, so errors pile up toward the user: the services upstream of a fault show more error
spans than the faulty one.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from .app import NAMESPACE, SERVICES, PodInfo, Topology
from .applogs import SEVERITY_NUMBER, access_line, error_line, success_line
from .catalog import FLAG_LOG_EVALUATIONS, FLOW_WEIGHTS, Node, build_flow, flags_evaluated
from .clock import MS, NS, rfc3339, ts, ts_seconds
from .flagevents import EVENT, LOG_EVERY, evaluation_attrs, evaluation_body
from .incident import CallFault, Incident

#: Latency histogram bucket bounds (ms) of the span-metrics connector.
BUCKETS_MS = (2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 15000)
GRPC_NAMES = {0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 4: "DEADLINE_EXCEEDED", 9: "FAILED_PRECONDITION",
              13: "INTERNAL", 14: "UNAVAILABLE"}
CLIENT_TIMEOUT_MS = 10_000.0


def _go_code(code: int) -> str:
    return "".join(w.capitalize() for w in GRPC_NAMES.get(code, "UNKNOWN").split("_"))


class ServiceStats:
    """Per-minute span-metrics of one service: calls by status and a latency histogram."""

    def __init__(self) -> None:
        self.minutes: dict[int, list[Any]] = {}

    def add(self, minute: int, dur_ms: float, error: bool) -> None:
        m = self.minutes.get(minute)
        if m is None:
            m = self.minutes[minute] = [0, 0, [0] * (len(BUCKETS_MS) + 1)]
        m[1 if error else 0] += 1
        for i, b in enumerate(BUCKETS_MS):
            if dur_ms <= b:
                m[2][i] += 1
                break
        else:
            m[2][-1] += 1


class Traffic:
    """Generates ``spans`` and ``logs`` rows (with their times) and ``stats`` per service."""

    def __init__(self, rng: random.Random, topo: Topology, incident: Incident, start: int, end: int,
                 rate: float) -> None:
        self.rng, self.topo, self.inc = rng, topo, incident
        self.start, self.end, self.rate = start, end, rate
        self.spans: list[tuple[int, list[Any]]] = []
        self.logs: list[tuple[int, list[Any]]] = []
        self.stats: dict[str, ServiceStats] = defaultdict(ServiceStats)
        self.error_spans: dict[str, int] = defaultdict(int)
        self._res: dict[str, str] = {}
        self._faults: dict[str, list[CallFault]] = defaultdict(list)
        for f in incident.call_faults:
            self._faults[f.callee].append(f)
        self.lg_pod: PodInfo | None = None
        self._flag_evals: dict[str, int] = defaultdict(int)  # service -> evaluations (every Nth is logged)

    # -- identity ---------------------------------------------------------------------------
    def resource(self, pod: PodInfo) -> str:
        text = self._res.get(pod.name)
        if text is None:
            spec = SERVICES[pod.service]
            text = str({"k8s.namespace.name": NAMESPACE, "k8s.pod.name": pod.name, "k8s.deployment.name": pod.service,
                        "k8s.node.name": pod.node, "k8s.pod.ip": pod.ip, "service.name": pod.service,
                        "service.namespace": "opentelemetry-demo", "service.version": "2.0.2",
                        "telemetry.sdk.language": spec.language, "telemetry.sdk.name": "opentelemetry"})
            self._res[pod.name] = text
        return text

    def _id64(self) -> str:
        return f"{self.rng.getrandbits(64):016x}"

    # -- rows -------------------------------------------------------------------------------
    def span(self, t: int, trace: str, sid: str, parent: str, name: str, kind: str, pod: PodInfo,
             attrs: dict[str, Any], dur_ns: int, status: str = "Unset", message: str = "",
             exception: tuple[str, str] | None = None, link: tuple[str, str] | None = None,
             events: list[tuple[str, dict[str, Any]]] | None = None) -> None:
        if pod.service in self.inc.untraced:
            return
        ev_t = ev_n = ev_a = "[]"
        times, names, ev_attrs = [ts(t)] * len(events or []), [n for n, _ in events or []], [a for _, a in events or []]
        if exception:
            times, names = times + [ts(t + dur_ns)], names + ["exception"]
            ev_attrs.append({"exception.type": exception[0], "exception.message": exception[1]})
        if names:
            ev_t, ev_n, ev_a = str(times), str(names), str(ev_attrs)
        lt = ls = lst = la = "[]"
        if link:
            lt, ls, lst, la = str([link[0]]), str([link[1]]), "['']", "[{}]"
        scope = SERVICES[pod.service].scope
        self.spans.append((t, [ts(t), trace, sid, parent, "", name, kind, pod.service, self.resource(pod), scope, "",
                               str(attrs), dur_ns, status, message, ev_t, ev_n, ev_a, lt, ls, lst, la]))
        if status == "Error":
            self.error_spans[pod.service] += 1

    def log(self, t: int, pod: PodInfo, severity: str, body: str, trace: str = "", sid: str = "",
            attrs: dict[str, Any] | None = None, event: str = "") -> None:
        spec = SERVICES[pod.service]
        self.logs.append((t, [ts(t), ts_seconds(t), trace, sid, 1 if trace else 0, severity,
                              SEVERITY_NUMBER.get(severity, 0), pod.service, body, "", self.resource(pod), "",
                              spec.scope or pod.service, "", "{}", str(attrs or {}), event]))

    def flag_evaluations(self, flags: tuple[str, ...], pod: PodInfo, t: int, trace: str = "",
                         sid: str = "") -> list[tuple[str, dict[str, Any]]]:
        """``feature_flag.evaluation`` span events for ``flags`` evaluated by ``pod`` at ``t`` (the
        OpenTelemetry semantic conventions); every 20th evaluation of a service is also a log record
        (OpenFeature's logging hook), so a service without traces still shows what it evaluates."""
        events = [(EVENT, evaluation_attrs(self.inc, flag, t)) for flag in flags]
        for _, attrs in events:
            self._flag_evals[pod.service] += 1
            if self._flag_evals[pod.service] % LOG_EVERY == 1:
                self.log(t, pod, "DEBUG", evaluation_body(attrs), trace, sid, attrs, EVENT)
        return events

    def stat(self, service: str, t: int, dur_ns: int, error: bool) -> None:
        self.stats[service].add((t - self.start) // (60 * NS), dur_ns / MS, error)

    # -- flows ------------------------------------------------------------------------------
    def run(self) -> None:
        """Drive user requests from the load generator over the whole window."""
        flows = list(FLOW_WEIGHTS)
        t = self.start
        minute_cache: dict[int, tuple[float, list[float]]] = {}
        while True:
            minute = (t - self.start) // (60 * NS)
            if minute not in minute_cache:
                mid = self.start + minute * 60 * NS + 30 * NS
                ws = [FLOW_WEIGHTS[f] * self.inc.traffic_factor(f, mid) for f in flows]
                minute_cache[minute] = (self.rate * sum(ws), ws)
            rate, ws = minute_cache[minute]
            t += int(self.rng.expovariate(rate) * NS)
            if t >= self.end:
                break
            flow = self.rng.choices(flows, ws)[0]
            self.request(flow, t)

    def request(self, flow: str, t: int) -> None:
        lg = self.topo.pod_at("load-generator", t, self.rng) or self.topo.any_pod("load-generator", t)
        if lg is None:
            return
        root = build_flow(flow, self.rng)
        trace = f"{self.rng.getrandbits(128):032x}"
        self.call(trace, lg, "", root, t)

    def _fault_for(self, caller: str, node: Node, t: int) -> tuple[CallFault | None, float]:
        fail, extra = None, 0.0
        for f in self._faults.get(node.service, ()):
            if not f.applies(caller, node.service, node.name, t, node.product):
                continue
            if f.kind == "slow":
                if self.rng.random() < f.prob:
                    extra += self.rng.uniform(*f.latency_ms)
            elif fail is None and self.rng.random() < f.prob:
                fail = f
                extra += self.rng.uniform(*f.latency_ms) if f.latency_ms[1] else 0.0
        return fail, extra

    def call(self, trace: str, caller: PodInfo, parent: str, node: Node, t: int) -> tuple[int, bool, str, int]:
        """Walk one call: returns (client duration ns, failed, message, http-ish status code)."""
        rng, svc = self.rng, node.service
        fault, extra_ms = self._fault_for(caller.service, node, t)
        spec = SERVICES[svc]
        pod = self.topo.pod_at(svc, t, rng) if spec.port or node.protocol == "consume" else None
        ip = self.topo.cluster_ips.get(svc, "10.96.0.1")
        if pod is None and node.protocol != "consume" and fault is None:
            fault = CallFault(svc, t, t + 1, kind="refused")
        cid = self._id64()
        client_kind = "Producer" if node.protocol == "kafka" else "Client"
        cattrs = self._client_attrs(node, spec, ip)
        net_ns = int(rng.uniform(0.2, 1.5) * MS)
        if fault is not None and fault.kind in ("refused", "unavailable", "abort", "timeout"):
            if fault.kind == "timeout":
                dur = int(rng.uniform(*(fault.latency_ms if fault.latency_ms[1] else (5000.0, 10000.0))) * MS)
            else:
                dur = int(rng.uniform(0.5, 4.0) * MS) + net_ns
            msg = fault.caller_message or self.connect_error(caller.service, node, fault.kind, ip, spec.port)
            code = 504 if fault.kind == "timeout" else 503
            self._client_fail(trace, caller, parent, cid, node, t, dur, msg, cattrs, client_kind, code)
            self.inc.mark(caller.service, t)
            return dur, True, msg, code
        if node.protocol in ("redis", "kafka") or not spec.traced:
            own = rng.uniform(*node.own_ms) + extra_ms
            dur = int(own * MS)
            if fault is not None:
                msg = fault.caller_message or fault.message
                self._client_fail(trace, caller, parent, cid, node, t, dur, msg, cattrs, client_kind, 500)
                self.inc.mark(caller.service, t)
                return dur, True, msg, 500
            self.span(t, trace, cid, parent, node.name, client_kind, caller, cattrs, dur)
            if node.protocol == "kafka":
                self.consume(trace, cid, node, t + dur)
            return dur, False, "", 200
        if pod is None:
            return 0, False, "", 200
        sid = self._id64()
        s_start = t + net_ns // 2
        own_ms = rng.uniform(*node.own_ms)
        cursor = s_start + int(own_ms * 0.3 * MS)
        child_fail = ""
        status_code = 200
        if fault is None or fault.kind == "slow":
            for child in node.children:
                d, failed, msg, code = self.call(trace, pod, sid, child, cursor)
                cursor += d + int(rng.uniform(0.05, 0.4) * MS)
                if failed and not child_fail and (child.critical or (svc, child.service) in self.inc.critical_edges):
                    child_fail, status_code = self.wrap(svc, child, msg), 500
        server_ns = cursor - s_start + int((own_ms * 0.7 + extra_ms) * MS)
        error_msg = child_fail
        if fault is not None and fault.kind == "error":
            error_msg, status_code = fault.message, fault.http_status
            self.inc.mark(svc, t)
        elif child_fail:
            self.inc.mark(svc, t)
        if extra_ms > 1000:
            self.inc.mark(svc, t)
        sattrs = dict(node.attrs)
        if node.protocol == "grpc" or node.protocol == "flagd":
            code = (fault.grpc_code if fault is not None and fault.kind == "error" else 2) if error_msg else 0
            sattrs["rpc.grpc.status_code"] = code
        elif node.protocol == "consume":
            sattrs.update({"messaging.system": "kafka", "messaging.destination.name": "orders", "messaging.operation": "process"})
        else:
            sattrs["http.request.method"] = node.method
            sattrs["http.response.status_code"] = status_code if error_msg else 200
        exc = None
        if error_msg and spec.language in ("java", "kotlin", "python", "ruby", "dotnet", "nodejs"):
            exc = (fault.exception if fault is not None and fault.exception else "Error", error_msg)
        kind = "Consumer" if node.protocol == "consume" else "Server"
        status = "Error" if error_msg else ("Ok" if svc == "flagd" else "Unset")
        flags = flags_evaluated(node)
        self.span(s_start, trace, sid, cid, node.name, kind, pod, sattrs, server_ns, status,
                  error_msg if node.protocol != "http" or svc != "frontend" else "", exc,
                  events=self.flag_evaluations(flags, pod, s_start, trace, sid) if flags else None)
        self.stat(svc, s_start, server_ns, bool(error_msg))
        self._service_logs(pod, node, s_start + server_ns, trace, sid, error_msg, fault)
        client_ns = server_ns + net_ns
        if client_ns > CLIENT_TIMEOUT_MS * MS and node.protocol == "grpc":
            client_ns = int(CLIENT_TIMEOUT_MS * MS)
            msg = self.connect_error(caller.service, node, "deadline", ip, spec.port)
            self._client_fail(trace, caller, parent, cid, node, t, client_ns, msg, cattrs, client_kind, 504)
            self.inc.mark(caller.service, t)
            return client_ns, True, msg, 504
        if error_msg:
            msg = self.client_message(caller.service, node, error_msg, fault)
            self._client_fail(trace, caller, parent, cid, node, t, client_ns, msg, cattrs, client_kind, status_code)
            return client_ns, True, msg, status_code
        self.span(t, trace, cid, parent, self._client_name(node), client_kind, caller, cattrs, client_ns)
        return client_ns, False, "", 200

    def consume(self, trace: str, producer: str, node: Node, t: int) -> None:
        """Kafka consumers pick the message up later (with the incident's consumer lag)."""
        for child in node.children:
            fault, _ = self._fault_for("kafka", child, t)
            if fault is not None:
                continue
            pod = self.topo.pod_at(child.service, t, self.rng)
            if pod is None:
                continue
            start = t + int((self.rng.uniform(5, 80) + self.inc.lag_ms(t)) * MS)
            if start >= self.end:
                continue
            dur = int(self.rng.uniform(*child.own_ms) * MS)
            sid = self._id64()
            self.span(start, trace, sid, producer, child.name, "Consumer", pod,
                      {"messaging.system": "kafka", "messaging.destination.name": "orders",
                       "messaging.operation": "process", "messaging.kafka.consumer.group": child.service},
                      dur, link=(trace, producer))
            self.stat(child.service, start, dur, False)
            line = success_line(child.service, child.name, self.rng, {})
            if line and self.rng.random() < 0.8:
                self.log(start + dur, pod, line[0], line[1], trace, sid)

    # -- messages ---------------------------------------------------------------------------
    def _client_name(self, node: Node) -> str:
        if node.service == "frontend":
            return "router frontend egress"
        if node.service == "image-provider":
            return "router image-provider egress"
        if node.protocol == "http":
            return node.method
        return node.name

    def _client_attrs(self, node: Node, spec: Any, ip: str) -> dict[str, Any]:
        if node.protocol in ("grpc", "flagd"):
            return {"rpc.system": "grpc", "rpc.service": node.attrs.get("rpc.service", ""),
                    "rpc.method": node.attrs.get("rpc.method", ""), "server.address": node.service, "server.port": spec.port}
        if node.protocol == "redis":
            return dict(node.attrs)
        if node.protocol == "kafka":
            return {"messaging.system": "kafka", "messaging.destination.name": "orders", "messaging.operation": "publish",
                    "server.address": "kafka", "server.port": 9092}
        return {"http.request.method": node.method, "server.address": node.service, "server.port": spec.port,
                "url.full": f"http://{node.service}:{spec.port}{node.route}"}

    def _client_fail(self, trace: str, caller: PodInfo, parent: str, cid: str, node: Node, t: int, dur: int,
                     msg: str, cattrs: dict[str, Any], kind: str, code: int) -> None:
        attrs = dict(cattrs)
        if node.protocol in ("grpc", "flagd"):
            attrs["rpc.grpc.status_code"] = 14 if code == 503 else (4 if code == 504 else 13)
        elif node.protocol == "http":
            attrs["http.response.status_code"] = code
            attrs["error.type"] = str(code)
        lang = SERVICES[caller.service].language
        exc = ("Error", msg) if lang in ("nodejs", "java", "kotlin", "python", "dotnet", "ruby") else None
        if node.protocol == "consume":
            return
        self.span(t, trace, cid, parent, self._client_name(node), kind, caller, attrs, dur, "Error", msg, exc)
        if node.service != "flagd" and self.rng.random() < 0.6 and caller.service not in ("frontend-proxy", "load-generator"):
            sev, body = error_line(caller.service, node.name, msg, self.rng)
            self.log(t + dur, caller, sev, body, trace, cid)

    def connect_error(self, caller: str, node: Node, kind: str, ip: str, port: int) -> str:
        """What the caller's client library says when the callee cannot be reached."""
        lang = SERVICES[caller].language
        if caller == "frontend-proxy":
            reason = {"timeout": "connection timeout", "abort": "connection termination"}.get(kind, "connection failure, transport failure reason: delayed connect error: 111")
            return f"upstream connect error or disconnect/reset before headers. reset reason: {reason}"
        if node.protocol == "redis":
            return (f"It was not possible to connect to the redis server(s). ConnectTimeout (Connect) on valkey-cart:6379/Interactive"
                    if kind == "timeout" else "UnableToConnect on valkey-cart:6379/Interactive, Initializing/NotStarted, last: NONE")
        if node.protocol == "kafka":
            return ("kafka: client has run out of available brokers to talk to: dial tcp "
                    f"{ip}:9092: {'i/o timeout' if kind == 'timeout' else 'connect: connection refused'}")
        if node.protocol == "http":
            if lang == "rust":
                return f"error sending request for url (http://{node.service}:{port}{node.route}): " + (
                    "connection closed before message completed" if kind == "abort" else "operation timed out" if kind == "timeout" else "tcp connect error: Connection refused (os error 111)")
            if lang == "go":
                return f'Post "http://{node.service}:{port}{node.route}": ' + (
                    "EOF" if kind == "abort" else "context deadline exceeded" if kind == "timeout" else f"dial tcp {ip}:{port}: connect: connection refused")
            return f"connect ECONNREFUSED {ip}:{port}" if kind not in ("timeout", "abort") else ("socket hang up" if kind == "abort" else "ETIMEDOUT")
        if kind in ("timeout", "deadline"):
            return "rpc error: code = DeadlineExceeded desc = context deadline exceeded" if lang == "go" else (
                "4 DEADLINE_EXCEEDED: Deadline exceeded" if lang == "nodejs" else "DEADLINE_EXCEEDED: deadline exceeded after 9.999s")
        if lang == "go":
            return f'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp {ip}:{port}: connect: connection refused"'
        if lang == "nodejs":
            return f"14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED {ip}:{port}"
        if lang == "python":
            return f"<_InactiveRpcError of RPC that terminated with: status = StatusCode.UNAVAILABLE details = \"failed to connect to all addresses; last error: UNKNOWN: ipv4:{ip}:{port}: Failed to connect to remote host: Connection refused\">"
        return f"Status(StatusCode=\"Unavailable\", Detail=\"Error connecting to subchannel.\", DebugException=\"System.Net.Sockets.SocketException: Connection refused ({node.service}:{port})\")"

    def client_message(self, caller: str, node: Node, server_msg: str, fault: CallFault | None) -> str:
        """The caller's view of an error answer."""
        if fault is not None and fault.caller_message:
            return fault.caller_message
        code = fault.grpc_code if fault is not None and fault.kind == "error" else 2
        lang = SERVICES[caller].language
        if node.protocol != "grpc":
            return f"{node.method} http://{node.service}:{SERVICES[node.service].port}{node.route}: 500 Internal Server Error"
        if lang == "go":
            return f"rpc error: code = {_go_code(code)} desc = {server_msg}"
        if lang == "nodejs":
            return f"{code} {GRPC_NAMES.get(code, 'UNKNOWN')}: {server_msg}"
        return f"{GRPC_NAMES.get(code, 'UNKNOWN')}: {server_msg}"

    def wrap(self, service: str, child: Node, msg: str) -> str:
        """How a service reports a failed dependency on its own span."""
        if service == "checkout":
            what = {"PaymentService/Charge": "failed to charge card: could not charge the card",
                    "ProductCatalogService/GetProduct": "failed to prepare order: failed to get product",
                    "CartService/GetCart": "failed to prepare order: failed to get user cart during checkout",
                    "CartService/EmptyCart": "failed to empty user cart during checkout",
                    "get-quote": "failed to prepare order: shipping quote failure", "ship-order": "shipping error",
                    "send_order_confirmation": "failed to send order confirmation"}
            for k, v in what.items():
                if k in child.name:
                    return f"{v}: {msg}"
        if service == "shipping" and child.service == "quote":
            return f"failed to get quote: {msg}"
        if service == "cart" and child.protocol == "redis":
            return f"Can't access cart storage. {msg}"
        return msg

    def _service_logs(self, pod: PodInfo, node: Node, t: int, trace: str, sid: str, error_msg: str,
                      fault: CallFault | None) -> None:
        rng = self.rng
        if pod.service == "frontend-proxy":
            status = 503 if error_msg else 200
            flags = "UF" if error_msg and "timeout" in error_msg else ("UO" if error_msg else "-")
            up = self.topo.pod_at("frontend", t, rng)
            line = access_line(rng, rfc3339(t, fraction=True), node.method, node.route or "/", status,
                               rng.uniform(2, 40), "frontend", f"{up.ip}:8080" if up else "-", flags)
            self.log(t, pod, "", line, trace, sid, {"event.name": "proxy.access"})
            return
        if not SERVICES[pod.service].logs:
            return
        if error_msg:
            if rng.random() < 0.7:
                if fault is not None and fault.stack:
                    self.log(t, pod, "ERROR", f"{error_msg}\n{fault.stack}", trace, sid)
                else:
                    sev, body = error_line(pod.service, node.name, error_msg, rng)
                    self.log(t, pod, sev, body, trace, sid)
            return
        line = success_line(pod.service, node.name, rng, node.attrs)
        if line:
            self.log(t, pod, line[0], line[1], trace, sid)

    # -- extras -----------------------------------------------------------------------------
    def extras(self) -> None:
        """The incident's lone spans and log lines, and flag evaluations outside requests."""
        for service, flags in FLAG_LOG_EVALUATIONS.items():
            for t in range(self.start, self.end, 60 * NS):
                pod = self.topo.any_pod(service, t)
                if pod is not None:
                    for attrs in (evaluation_attrs(self.inc, flag, t) for flag in flags):
                        self.log(t, pod, "DEBUG", evaluation_body(attrs), attrs=attrs, event=EVENT)
        for s in self.inc.spans:
            pod = self.topo.any_pod(s.service, s.time)
            if pod is None:
                continue
            trace = f"{self.rng.getrandbits(128):032x}"
            self.span(s.time, trace, self._id64(), "", s.name, s.kind, pod, s.attributes, int(s.duration_ms * MS),
                      s.status, s.message)
            if s.kind in ("Server", "Consumer"):
                self.stat(s.service, s.time, int(s.duration_ms * MS), s.status == "Error")
        for line in self.inc.logs:
            pod = None
            if line.pod:
                pod = next((p for p in self.topo.pods.get(line.service, []) if p.name == line.pod), None)
            pod = pod or self.topo.any_pod(line.service, line.time)
            if pod is not None:
                self.log(line.time, pod, line.severity, line.body, attrs=line.attributes)
