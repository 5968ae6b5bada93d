"""Trace analysis: per-service health, the call graph, and where errors originate.

An error *originates* at a span that is an error while none of its children is: the deepest
failing span of a chain.  A client span that failed with no child at all is a failed call
toward its peer (``peer.service`` / ``server.address`` / messaging destination).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..models import Span

_PEER_RE = re.compile(
    r"'(peer\.service|server\.address|net\.peer\.name|rpc\.service|messaging\.destination\.name|"
    r"messaging\.destination|db\.system|http\.host)':\s*'([^']*)'"
)


#: the finding signal (weight 0, not an anomaly) that says a service's failure cannot reach the
#: alerting services: none of them calls it, directly or through others (see llm/reach.py)
OFF_PATH_SIGNAL = "off_alert_path"


def peer_of(span: Span) -> str:
    """The remote side a client/producer span talks to, from its attributes ('' if unknown).

    The host the call went to (``server.address`` and its older names) is preferred over the
    RPC service name, which names an API (``oteldemo.AdService``), not a workload.

    >>> s = Span(0.0, "t", "s", "p", "GetAds", "Client", "frontend", 1,
    ...          attributes_text="{'rpc.service': 'oteldemo.AdService', 'server.address': 'ad.otel-demo.svc.cluster.local'}")
    >>> peer_of(s)
    'ad'
    """
    found = dict(_PEER_RE.findall(span.attributes_text or ""))
    for key in ("peer.service", "server.address", "net.peer.name", "http.host", "rpc.service",
                "messaging.destination.name", "messaging.destination", "db.system"):
        value = found.get(key, "")
        if value:
            value = value.split(":")[0]
            if key == "rpc.service":
                value = value.split(".")[-1]
            elif key in ("server.address", "net.peer.name", "http.host", "peer.service"):
                value = value.split(".")[0]  # ad.otel-demo.svc.cluster.local -> ad
            return value
    return ""


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank) of ``values``; 0.0 when empty.

    >>> p95([float(i) for i in range(1, 101)])
    96.0
    """
    if not values:
        return 0.0
    d = sorted(values)
    return d[min(len(d) - 1, int(0.95 * len(d)))]


@dataclass
class ServiceWindowStats:
    spans: int = 0
    errors: int = 0
    durations_ms: list[float] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.errors / self.spans if self.spans else 0.0

    def p95(self) -> float:
        return p95(self.durations_ms)


@dataclass
class EdgeStats:
    calls: int = 0
    errors: int = 0
    durations_ms: list[float] = field(default_factory=list)
    first_error: float | None = None

    def p95(self) -> float:
        return p95(self.durations_ms)


@dataclass
class TraceAnalysis:
    """Everything the trace tools report, split into a baseline and an incident window."""

    onset: float
    baseline: dict[str, ServiceWindowStats]
    incident: dict[str, ServiceWindowStats]
    edges: dict[tuple[str, str], EdgeStats]           # incident window, caller -> callee
    baseline_edges: dict[tuple[str, str], EdgeStats]
    origins: Counter                                   # service -> originating error spans (incident)
    origin_peers: Counter                              # (service, peer) -> failed calls without child
    origin_messages: dict[str, Counter]                # service -> status messages of origins
    error_spans: Counter                               # service -> all error spans (incident)
    first_error: dict[str, float]
    services: set[str]
    span_count: int
    #: caller -> callee pairs seen only as a message handed over (Producer -> Consumer): a failure of
    #: the consumer does not travel back to the producer or its callers
    async_edges: frozenset[tuple[str, str]] = frozenset()

    def is_anomalous(self, service: str) -> bool:
        inc = self.incident.get(service)
        base = self.baseline.get(service, ServiceWindowStats())
        if not inc or not inc.spans:
            return False
        if inc.error_rate >= max(0.05, 3 * base.error_rate) and inc.errors >= 5:
            return True
        bp, ip = base.p95(), inc.p95()
        return bool(bp and ip > 3 * bp and ip - bp > 100)

    def latency_ratio(self, service: str) -> float:
        bp = self.baseline.get(service, ServiceWindowStats()).p95()
        ip = self.incident.get(service, ServiceWindowStats()).p95()
        return ip / bp if bp else 0.0

    def callees(self, service: str) -> list[str]:
        return sorted({c for (a, c) in self.edges if a == service} | {c for (a, c) in self.baseline_edges if a == service})

    def callers(self, service: str) -> list[str]:
        return sorted({a for (a, c) in self.edges if c == service} | {a for (a, c) in self.baseline_edges if c == service})

    def sync_callees(self, service: str) -> list[str]:
        """The callees ``service`` waits for (message consumers left out)."""
        return [c for c in self.callees(service) if (service, c) not in self.async_edges]


def is_messaging(span: Span) -> bool:
    """A span that hands a message over or picks one up (its failure does not reach the sender).

    >>> is_messaging(Span(0.0, "t", "s", "p", "orders process", "Consumer", "accounting", 1))
    True
    >>> is_messaging(Span(0.0, "t", "s", "p", "GET /", "Server", "cart", 1, attributes_text="{'http.method': 'GET'}"))
    False
    """
    return span.kind in ("Consumer", "SPAN_KIND_CONSUMER") or "'messaging.operation': 'process'" in (span.attributes_text or "") \
        or "'messaging.operation': 'receive'" in (span.attributes_text or "")


def _count_call(edges: dict[tuple[str, str], EdgeStats], key: tuple[str, str], span: Span) -> None:
    """Add one call (the callee's server span, or an unanswered client span) to an edge."""
    e = edges[key]
    e.calls += 1
    e.durations_ms.append(span.duration_ns / 1e6)
    if span.is_error:
        e.errors += 1
        if e.first_error is None or span.start < e.first_error:
            e.first_error = span.start


def analyse_spans(spans: Iterable[Span], onset: float) -> TraceAnalysis:
    """One pass over the spans (plus one over the error spans) builds the whole analysis."""
    by_id: dict[str, Span] = {}
    children_err: set[str] = set()
    has_child: set[str] = set()
    baseline: dict[str, ServiceWindowStats] = defaultdict(ServiceWindowStats)
    incident: dict[str, ServiceWindowStats] = defaultdict(ServiceWindowStats)
    error_list: list[Span] = []
    services: set[str] = set()
    n = 0
    for s in spans:
        n += 1
        by_id[s.span_id] = s
        services.add(s.service)
        w = incident if s.start >= onset else baseline
        st = w[s.service]
        if s.kind in ("Server", "Consumer", "SPAN_KIND_SERVER", "SPAN_KIND_CONSUMER") or not s.parent_span_id:
            st.spans += 1
            if s.is_error:
                st.errors += 1
            st.durations_ms.append(s.duration_ns / 1e6)
        if s.parent_span_id:
            has_child.add(s.parent_span_id)
            if s.is_error:
                children_err.add(s.parent_span_id)
        if s.is_error:
            error_list.append(s)
    edges: dict[tuple[str, str], EdgeStats] = defaultdict(EdgeStats)
    baseline_edges: dict[tuple[str, str], EdgeStats] = defaultdict(EdgeStats)
    async_pairs: set[tuple[str, str]] = set()
    sync_pairs: set[tuple[str, str]] = set()
    for s in by_id.values():
        parent = by_id.get(s.parent_span_id) if s.parent_span_id else None
        if parent is not None and parent.service != s.service:
            _count_call(edges if s.start >= onset else baseline_edges, (parent.service, s.service), s)
            (async_pairs if is_messaging(s) else sync_pairs).add((parent.service, s.service))
        elif s.kind in ("Client", "Producer", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER") and s.span_id not in has_child:
            peer = peer_of(s)
            if peer and peer != s.service:
                _count_call(edges if s.start >= onset else baseline_edges, (s.service, peer), s)
    origins: Counter = Counter()
    origin_peers: Counter = Counter()
    origin_messages: dict[str, Counter] = defaultdict(Counter)
    error_spans: Counter = Counter()
    first_error: dict[str, float] = {}
    for s in error_list:
        if s.start < onset:
            continue
        error_spans[s.service] += 1
        if s.service not in first_error or s.start < first_error[s.service]:
            first_error[s.service] = s.start
        if s.span_id in children_err:
            continue
        if s.kind in ("Client", "Producer", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER") and s.span_id not in has_child:
            peer = peer_of(s)
            if peer and peer != s.service:
                origin_peers[(s.service, peer)] += 1
        origins[s.service] += 1
        if s.status_message:
            origin_messages[s.service][s.status_message[:160]] += 1
    return TraceAnalysis(
        onset=onset, baseline=dict(baseline), incident=dict(incident), edges=dict(edges),
        baseline_edges=dict(baseline_edges), origins=origins, origin_peers=origin_peers,
        origin_messages=dict(origin_messages), error_spans=error_spans, first_error=first_error,
        services=services, span_count=n, async_edges=frozenset(async_pairs - sync_pairs),
    )
