"""Metric tools: anomaly summaries per entity and raw metric queries."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sre_agent.analysis.metrics import is_counter, series_anomaly, to_rates
from sre_agent.state import Finding

from .base import Tool, ToolContext, ToolOutput

#: metric name fragments that mean a resource signal worth a finding
RESOURCE_HINTS = ("memory", "cpu", "restart", "oom", "throttl", "gc", "heap", "network", "receive", "transmit",
                  "replicas", "request", "latency", "duration", "error", "calls")


class EntityArg(BaseModel):
    entity: str = Field(..., description="a pod or service: namespace/Kind/name or a bare service name")


class QueryArgs(BaseModel):
    metric: str = Field(..., description="metric name, e.g. container_memory_working_set_bytes")
    matchers: dict[str, str] = Field(default_factory=dict, description="label equality matchers, e.g. {'service_name': 'cart'}")
    window_minutes: int | None = Field(None, ge=1, le=24 * 60, description="look back this many minutes from now")


def _matchers_for(ctx: ToolContext, entity: str) -> list[dict[str, str]]:
    an = ctx.analyzer
    entity = an.resolve(entity)
    _, kind, name = entity.split("/")
    if kind == "Pod":
        return [{"pod_name": name}]
    service = an.service_of(entity) or name
    pods = [p.split("/")[-1] for p in an.entities_of_service(service) if "/Pod/" in p]
    return [{"service_name": service}] + [{"pod_name": p} for p in pods]


def metric_anomalies(ctx: ToolContext, args: EntityArg) -> ToolOutput:
    an = ctx.analyzer
    rows, findings = [], []
    onset = an.onset
    seen = 0
    for matchers in _matchers_for(ctx, args.entity):
        for name in ctx.backend.metric_names(matchers):
            for series in ctx.backend.metric_series(name, matchers):
                seen += 1
                anomaly = series_anomaly(series, onset)
                if anomaly is None:
                    continue
                who = series.label("pod_name") or series.label("pod") or series.label("service_name") or matchers.get("service_name", "")
                ent = an.resolve(who) if "pod_name" not in matchers else f"{an.namespace}/Pod/{matchers['pod_name']}"
                rows.append({"metric": name, "entity": ent, "labels": {k: v for k, v in series.labels if k not in ("namespace",)},
                             "baseline": round(anomaly.baseline, 4), "incident": round(anomaly.incident, 4),
                             "direction": anomaly.direction, "score": round(min(anomaly.score, 999), 1),
                             "first_anomalous": anomaly.first_anomalous})
    rows.sort(key=lambda r: (-r["score"], r["metric"]))
    by_entity: dict[tuple[str, str], dict] = {}
    for r in rows:
        key = (r["entity"], r["metric"])
        by_entity.setdefault(key, r)
    for (ent, metric), r in by_entity.items():
        if any(h in metric for h in RESOURCE_HINTS):
            findings.append(Finding(entity=ent, signal="metric_anomaly", weight=min(0.8, 0.3 + r["score"] / 100),
                                    detail=f"{metric} {r['direction']}: {r['baseline']} -> {r['incident']}",
                                    time=r["first_anomalous"]))
    return ToolOutput(summary=f"{args.entity}: {len(rows)} anomalous series of {seen} examined",
                      findings=findings[:12], data={"anomalies": rows}, missing=[] if seen else ["metrics"])


def query_metric(ctx: ToolContext, args: QueryArgs) -> ToolOutput:
    since = ctx.analyzer.now - args.window_minutes * 60 if args.window_minutes else None
    out = []
    for s in ctx.backend.metric_series(args.metric, args.matchers, since=since):
        pts = to_rates(s.points) if is_counter(s) else list(s.points)
        vals = [v for _, v in pts]
        out.append({"labels": dict(s.labels), "kind": "rate/s" if is_counter(s) else "gauge", "points": len(vals),
                    "min": min(vals) if vals else None, "max": max(vals) if vals else None,
                    "last": vals[-1] if vals else None})
    return ToolOutput(summary=f"{args.metric}: {len(out)} series", data={"series": out}, missing=[] if out else ["metrics"])


TOOLS = [
    Tool("metric_anomalies", "Metrics of a pod or service whose values since the incident onset depart from their baseline (rates for counters).", EntityArg, metric_anomalies, "metrics"),
    Tool("query_metric", "Summarise one metric's series matching label matchers: min, max, last (rates for counters).", QueryArgs, query_metric, "metrics"),
]
