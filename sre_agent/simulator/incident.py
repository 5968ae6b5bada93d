"""What a fault (and the noise) does to the running system, as data the generators consult.

A fault never writes rows itself except Kubernetes objects and events: it registers effects
here (failing or slow calls, traffic changes, resource curves, extra log lines and spans), and
the traffic, metrics and alert generators apply them.  That keeps the evidence consistent
across files: a failing call is an error span, an error log and an error-rate sample at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallFault:
    """Calls to ``callee`` (from ``caller``; any caller when None) fail or slow down in [start, end).

    ``kind``: ``error`` (the callee answers with an error: its server span fails),
    ``refused`` / ``unavailable`` / ``abort`` (the callee is never reached; the client span
    fails fast), ``timeout`` (never reached; the client span fails after the timeout),
    ``slow`` (the callee answers late; only ``latency_ms`` applies).
    """

    callee: str
    start: int
    end: int
    kind: str = "error"
    caller: str | None = None
    operation: str | None = None
    product: str | None = None
    prob: float = 1.0
    latency_ms: tuple[float, float] = (0.0, 0.0)
    message: str = ""
    caller_message: str = ""
    grpc_code: int = 13
    http_status: int = 500
    exception: str = ""
    stack: str = ""

    def applies(self, caller: str, callee: str, op: str, t: int, product: str | None) -> bool:
        return (self.callee == callee and self.start <= t < self.end
                and (self.caller is None or self.caller == caller)
                and (self.operation is None or self.operation in op)
                and (self.product is None or self.product == product))


@dataclass
class TrafficChange:
    """Request volume of ``flow`` (all flows when None) times ``factor`` in [start, end)."""

    start: int
    end: int
    factor: float
    flow: str | None = None


@dataclass
class ResourceCurve:
    """CPU / memory of a service's pods: ``cpu(t)`` multiplier and ``memory(t)`` MB override."""

    service: str
    start: int
    end: int
    cpu_factor: float = 1.0
    memory_mb: Callable[[int], float] | None = None
    pod: str | None = None


@dataclass
class LogLine:
    time: int
    service: str
    severity: str
    body: str
    pod: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoneSpan:
    """A span outside the request flows (a background job, a consumer poll)."""

    time: int
    service: str
    name: str
    kind: str
    duration_ms: float
    status: str = "Unset"
    message: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Incident:
    """Everything the fault and the noise changed, for the generators to apply."""

    call_faults: list[CallFault] = field(default_factory=list)
    traffic: list[TrafficChange] = field(default_factory=list)
    resources: list[ResourceCurve] = field(default_factory=list)
    logs: list[LogLine] = field(default_factory=list)
    spans: list[LoneSpan] = field(default_factory=list)
    restarts: dict[str, list[int]] = field(default_factory=dict)  # pod -> restart times
    critical_edges: set[tuple[str, str]] = field(default_factory=set)
    untraced: set[str] = field(default_factory=set)
    consumer_lag_ms: list[tuple[int, int, float]] = field(default_factory=list)
    gauges: list[tuple[str, str, Callable[[int], float | None]]] = field(default_factory=list)
    onsets: dict[str, int] = field(default_factory=dict)  # service -> first symptom time
    sparse_pods: set[str] = field(default_factory=set)
    extra_alerts: list[tuple[dict[str, str], dict[str, str], int, int]] = field(default_factory=list)
    #: (time, canonical flag, variant, key as the flag file spells it): a flag's variant from then on
    flag_variants: list[tuple[int, str, str, str]] = field(default_factory=list)

    def flag_variant(self, flag: str, t: int) -> tuple[str, str]:
        """(key as spelled in the flag file, variant in force at ``t``): "off" until a change."""
        key, variant = flag, "off"
        for when, f, v, spelled in sorted(self.flag_variants):
            if f == flag:
                key = spelled
                if when <= t:
                    variant = v
        return key, variant

    def faults_for(self, callee: str) -> list[CallFault]:
        return [f for f in self.call_faults if f.callee == callee]

    def traffic_factor(self, flow: str, t: int) -> float:
        factor = 1.0
        for c in self.traffic:
            if c.start <= t < c.end and (c.flow is None or c.flow == flow):
                factor *= c.factor
        return factor

    def lag_ms(self, t: int) -> float:
        return max((lag for a, b, lag in self.consumer_lag_ms if a <= t < b), default=0.0)

    def mark(self, service: str, t: int) -> None:
        """Remember the first time ``service`` showed a symptom."""
        if service not in self.onsets or t < self.onsets[service]:
            self.onsets[service] = t
