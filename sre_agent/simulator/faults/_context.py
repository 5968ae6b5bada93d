"""What a mechanism sees (:class:`Context`) and how the ground truth's groups map onto services."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from ..app import CALLS, SERVICES, Builder, PodInfo, Topology
from ..clock import NS
from ..cluster import Cluster
from ..events import EventLog
from ..groundtruth import GroundTruth, Group, group_service, service_of
from ..incident import Incident
from ..names import name_for_group


CHAOS_KINDS = {"networkchaos": "NetworkChaos", "podchaos": "PodChaos", "stresschaos": "StressChaos",
               "httpchaos": "HTTPChaos", "jvmchaos": "JVMChaos", "schedule": "Schedule"}


@dataclass
class Context:
    """Everything a mechanism may touch."""

    gt: GroundTruth
    rng: random.Random
    start: int
    fault_start: int
    end: int
    cluster: Cluster
    topo: Topology
    builder: Builder
    events: EventLog
    inc: Incident
    root_names: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # group id -> (ns, kind, name)

    def later(self, lo: float, hi: float, base: int | None = None) -> int:
        return (base if base is not None else self.fault_start) + int(self.rng.uniform(lo, hi) * NS)

    def pods(self, service: str, t: int | None = None) -> list[PodInfo]:
        t = self.fault_start if t is None else t
        return [p for p in self.topo.pods.get(service, []) if p.exists(t)]


# --- reading the ground truth ------------------------------------------------------------------

def _ids(gt: GroundTruth, gid: str) -> set[str]:
    out = {gid}
    for group in gt.aliases:
        if gid in group:
            out |= set(group)
    return out


def direct_targets(gt: GroundTruth, rc: Group) -> list[str]:
    """Services the root cause acts on directly (propagation targets of the root-cause group)."""
    ids = _ids(gt, rc.id)
    out: list[str] = []
    for p in gt.propagations:
        if p.source in ids:
            svc = group_service(gt, p.target)
            if svc and svc not in out:
                out.append(svc)
    return out


def chain(gt: GroundTruth, rc: Group) -> list[tuple[str, int]]:
    """(service, hops) reached from the root cause along the propagations, nearest first."""
    seen: dict[str, int] = {}
    frontier = [(g, 0) for g in _ids(gt, rc.id)]
    visited = set()
    while frontier:
        gid, d = frontier.pop(0)
        if gid in visited:
            continue
        visited.add(gid)
        svc = group_service(gt, gid) if gid != rc.id else None
        if svc and svc not in seen:
            seen[svc] = d
        for p in gt.propagations:
            if p.source == gid:
                frontier.append((p.target, d + 1))
    return sorted(seen.items(), key=lambda x: x[1])


def services_in_name(text: str) -> list[str]:
    """Demo services named inside an object name (``otel-demo-checkout-kafka-network-partition``)."""
    out = []
    low = text.lower()
    for s in sorted(SERVICES, key=len, reverse=True):
        if re.search(rf"(^|-){re.escape(s)}(-|$|service)", low) and s not in out and not any(s in o for o in out):
            out.append(s)
    for alias in ("valkey", "redis"):
        if alias in low and "valkey-cart" not in out:
            out.append("valkey-cart")
    return out


def mark_critical(ctx: Context) -> None:
    """Callers that the ground truth says fail because of a callee propagate its errors."""
    gt = ctx.gt
    erroring = {group_service(gt, a.group_id) for a in gt.alerts if a.id == "RequestErrorRate"}
    for p in gt.propagations:
        a, b = group_service(gt, p.source), group_service(gt, p.target)
        says_error = b in erroring or any(w in p.effect.lower() for w in ("error", "fail"))
        if a and b and a != b and a in CALLS.get(b, ()) and says_error:
            ctx.inc.critical_edges.add((b, a))


# --- shared building blocks -------------------------------------------------------------------

def rc_name(ctx: Context, rc: Group, *hints: str) -> str:
    name = name_for_group(rc.id, list(rc.filters), rc.name, [h for h in hints if h])
    ctx.root_names[rc.id] = (rc.namespace, rc.kind, name)
    return name


def direct_service(ctx: Context, rc: Group, default: str = "checkout") -> str:
    """The demo service a non-chaos root cause is about."""
    svc = service_of(rc.id, rc.filters, rc.name)
    if svc is None:
        for f in ctx.gt.faults:
            svc = svc or service_of(f.group_id or f.entity_name, (), f.entity_name)
    return svc or (direct_targets(ctx.gt, rc) or [default])[0]
