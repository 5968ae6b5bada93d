"""Kubernetes event tools: warnings, chaos experiments, image pulls, OOM kills, probes."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field

from sre_agent.analysis.analyzer import CHAOS_KINDS, INFRA_NAMESPACES, EventGroup
from sre_agent.analysis.chaos_events import lifecycles
from sre_agent.state import Finding

from .base import Tool, ToolContext, ToolOutput

#: event reason -> (signal, weight) for reasons that point at a broken component
REASON_SIGNALS = {
    "Failed": ("failed", 0.6), "ErrImagePull": ("image_pull", 0.9), "ImagePullBackOff": ("image_pull", 0.9),
    "BackOff": ("crashloop", 0.7), "CrashLoopBackOff": ("crashloop", 0.8), "OOMKilling": ("oomkilled", 0.9),
    "OOMKilled": ("oomkilled", 0.9), "Unhealthy": ("probe_failure", 0.5), "FailedScheduling": ("scheduling", 0.7),
    "FailedCreate": ("failed_create", 0.6), "Evicted": ("evicted", 0.7), "FailedMount": ("failed_mount", 0.6),
    "SuccessfulRescale": ("rescale", 0.3), "FailedGetResourceMetric": ("hpa_metrics", 0.3),
    "Killing": ("killed", 0.3),
}


class EventArgs(BaseModel):
    entity: str | None = Field(None, description="only events about this entity (namespace/Kind/name or a name prefix)")
    namespace: str | None = Field(None, description="only events in this namespace")
    warnings_only: bool = Field(False, description="only Warning events (chaos experiment events are always kept)")


def get_events(ctx: ToolContext, args: EventArgs) -> ToolOutput:
    an = ctx.analyzer
    rows, findings, chaos_groups = [], [], []
    start = an.window[0]
    for g in an.event_groups:
        ns, kind, name = g.involved.split("/")
        is_chaos = kind.lower() in CHAOS_KINDS
        if args.namespace and ns != args.namespace:
            continue
        if args.entity:
            want = args.entity
            if want.count("/") == 2:
                if g.involved != want and not (want.split("/")[1] == "Service" and name.startswith(want.split("/")[2] + "-")):
                    continue
            elif not name.startswith(want):
                continue
        if args.warnings_only and g.type != "Warning" and not is_chaos:
            continue
        if g.last < start:
            continue
        rows.append({"object": g.involved, "reason": g.reason, "type": g.type, "count": g.count,
                     "first": g.first, "last": g.last, "message": g.message[:300], "source": g.source})
        if is_chaos:
            chaos_groups.append(g)
        elif g.reason in REASON_SIGNALS and ns not in INFRA_NAMESPACES:
            signal, w = REASON_SIGNALS[g.reason]
            if g.reason == "Failed" and "image" in g.message.lower():
                signal, w = "image_pull", 0.9
            findings.append(Finding(entity=g.involved, signal=signal, weight=w, detail=f"{g.reason} x{g.count}: {g.message[:200]}",
                                    time=g.first, related=an.ownership.chain(g.involved)[1:]))
    rows.sort(key=lambda r: (r["type"] != "Warning", -r["count"], r["object"]))
    findings = _with_chaos(findings, chaos_groups, an.chaos_targets)
    chaos = sorted({f.entity for f in findings if f.signal == "chaos_experiment"})
    return ToolOutput(summary=f"{len(rows)} event group(s); {sum(r['type'] == 'Warning' for r in rows)} warning group(s)"
                              + (f"; chaos experiments: {', '.join(chaos)}" if chaos else ""),
                      findings=findings, data={"events": rows})


def _with_chaos(findings: list[Finding], groups: list[EventGroup], targets_of: Callable[[str], list[str]]) -> list[Finding]:
    """Two findings at most per chaos object (when it began; when it ended, if it did), not one per
    event: the active experiments first, the finished ones in time order among the other findings
    (their end before their start, so a cut list never shows a finished experiment as running)."""
    active: list[Finding] = []
    timed = [(f.time if f.time is not None else float("inf"), [f]) for f in findings]
    for c in lifecycles(groups, targets_of):
        start = Finding(entity=c.entity, signal="chaos_experiment", weight=0.9, detail=c.start_detail, time=c.start,
                        related=c.targets)
        if c.active:
            active.append(start)
        else:
            end = Finding(entity=c.entity, signal="chaos_experiment", weight=0.9, detail=c.end_detail, time=c.end,
                          related=c.targets)
            timed.append((c.start, [end, start]))
    timed.sort(key=lambda tf: tf[0])
    return active + [f for _, fs in timed for f in fs]


TOOLS = [Tool("get_events", "Kubernetes events grouped by object and reason (warnings, chaos experiments, image pulls, OOM kills, probe failures, scaling).", EventArgs, get_events, "kubernetes")]
