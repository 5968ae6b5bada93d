"""Trace tools: per-service health, the call graph around a service, where errors originate."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sre_agent.state import Finding

from .base import Tool, ToolContext, ToolOutput


class NoArgs(BaseModel):
    pass


class ServiceArg(BaseModel):
    service: str = Field(..., description="service name as in traces, e.g. 'checkout'")


def _no_traces() -> ToolOutput:
    return ToolOutput(summary="no trace data available", missing=["traces"])


def service_health(ctx: ToolContext, args: NoArgs) -> ToolOutput:
    ta = ctx.analyzer.traces
    if ta is None:
        return _no_traces()
    rows, findings = [], []
    for svc in sorted(ta.services):
        inc = ta.incident.get(svc)
        base = ta.baseline.get(svc)
        if not inc or not inc.spans:
            continue
        row = {"service": svc, "requests": inc.spans, "error_rate": round(inc.error_rate, 4),
               "baseline_error_rate": round(base.error_rate, 4) if base else None,
               "p95_ms": round(inc.p95(), 1), "baseline_p95_ms": round(base.p95(), 1) if base else None,
               "errors_originating_here": ta.origins.get(svc, 0), "anomalous": ta.is_anomalous(svc)}
        rows.append(row)
        if row["anomalous"]:
            ent = ctx.analyzer.resolve(svc)
            if inc.error_rate >= 0.05:
                findings.append(Finding(entity=ent, signal="error_rate", weight=min(1.0, inc.error_rate * 2),
                                        detail=f"error rate {inc.error_rate:.1%} (baseline {base.error_rate if base else 0:.1%})",
                                        time=ta.first_error.get(svc)))
            ratio = ta.latency_ratio(svc)
            if ratio > 3:
                findings.append(Finding(entity=ent, signal="latency", weight=min(1.0, ratio / 10),
                                        detail=f"p95 {inc.p95():.0f} ms, {ratio:.1f}x baseline"))
    traced = {r["service"] for r in rows}
    an = ctx.analyzer
    expected_silent = an.flag_providers | set(an.profile.backing if an.profile else ())
    silent = sorted(s for s in an.neighbourhood if s not in traced and s in an.observed_services
                    and s not in expected_silent)
    rows.sort(key=lambda r: (not r["anomalous"], -r["error_rate"], r["service"]))
    n_anom = sum(r["anomalous"] for r in rows)
    return ToolOutput(summary=f"{len(rows)} traced services, {n_anom} anomalous: "
                              + ", ".join(r["service"] for r in rows if r["anomalous"]),
                      findings=findings, data={"services": rows, "no_traces_from": silent})


def call_graph(ctx: ToolContext, args: ServiceArg) -> ToolOutput:
    an = ctx.analyzer
    ta = an.traces
    svc = args.service.split("/")[-1]
    out_edges, findings = [], []
    for callee in an.callees(svc):
        e = ta.edges.get((svc, callee)) if ta else None
        b = ta.baseline_edges.get((svc, callee)) if ta else None
        row = {"callee": callee, "calls": e.calls if e else 0, "errors": e.errors if e else 0,
               "p95_ms": round(e.p95(), 1) if e else None, "baseline_p95_ms": round(b.p95(), 1) if b else None,
               "baseline_calls": b.calls if b else 0, "source": "traces" if (e or b) else "profile"}
        out_edges.append(row)
        if e and e.errors >= 3 and e.errors / max(1, e.calls) >= 0.05:
            findings.append(Finding(entity=an.resolve(callee), signal="failing_callee", weight=min(1.0, e.errors / max(1, e.calls) * 2),
                                    detail=f"{svc} -> {callee}: {e.errors}/{e.calls} calls failed", related=[an.resolve(svc)],
                                    time=e.first_error))
        if e and b and b.p95() and e.p95() > 3 * b.p95() and e.p95() - b.p95() > 100:
            findings.append(Finding(entity=an.resolve(callee), signal="slow_callee", weight=0.6,
                                    detail=f"{svc} -> {callee}: p95 {e.p95():.0f} ms vs {b.p95():.0f} ms", related=[an.resolve(svc)]))
    in_edges = []
    for caller in an.callers(svc):
        e = ta.edges.get((caller, svc)) if ta else None
        b = ta.baseline_edges.get((caller, svc)) if ta else None
        row = {"caller": caller, "calls": e.calls if e else 0, "baseline_calls": b.calls if b else 0,
               "errors": e.errors if e else 0}
        in_edges.append(row)
        if ta and e and b and b.calls >= 5:
            inc_span = max(1.0, ctx.analyzer.now - ta.onset)
            base_span = max(1.0, ta.onset - ctx.analyzer.window[0])
            ratio = (e.calls / inc_span) / (b.calls / base_span)
            if ratio >= 2.5:
                findings.append(Finding(entity=an.resolve(caller), signal="traffic_surge", weight=min(1.0, ratio / 6),
                                        detail=f"{caller} -> {svc}: call rate {ratio:.1f}x baseline", related=[an.resolve(svc)]))
    return ToolOutput(summary=f"{svc}: {len(out_edges)} callees, {len(in_edges)} callers; "
                              f"{sum(1 for f in findings if f.signal == 'failing_callee')} failing callee(s)",
                      findings=findings, data={"service": svc, "calls": out_edges, "called_by": in_edges},
                      missing=[] if ta else ["traces"])


def trace_errors(ctx: ToolContext, args: ServiceArg) -> ToolOutput:
    an = ctx.analyzer
    ta = an.traces
    if ta is None:
        return _no_traces()
    svc = args.service.split("/")[-1]
    total = ta.error_spans.get(svc, 0)
    here = ta.origins.get(svc, 0)
    peers = {p: n for (s, p), n in ta.origin_peers.items() if s == svc}
    downstream = {}
    for (a, c), e in ta.edges.items():
        if a == svc and e.errors:
            downstream[c] = {"errors": e.errors, "originating_there": ta.origins.get(c, 0)}
    msgs = [{"message": m, "count": n} for m, n in ta.origin_messages[svc].most_common(5)] if svc in ta.origin_messages else []
    findings = []
    if here >= 3:
        share = here / max(1, total)
        findings.append(Finding(entity=an.resolve(svc), signal="error_origin", weight=min(1.0, 0.3 + share * 0.7),
                                detail=f"{here} of {total} error spans originate in {svc}"
                                       + (f"; messages: {msgs[0]['message']!r}" if msgs else ""),
                                time=ta.first_error.get(svc)))
    for peer, n in sorted(peers.items(), key=lambda kv: -kv[1]):
        if n >= 3:
            findings.append(Finding(entity=an.resolve(peer), signal="unreachable_peer", weight=min(1.0, 0.4 + n / max(1, total)),
                                    detail=f"{n} calls from {svc} to {peer} failed without an answer", related=[an.resolve(svc)]))
    return ToolOutput(summary=f"{svc}: {total} error spans, {here} originate here, "
                              f"errors from callees: {', '.join(sorted(downstream)) or 'none'}",
                      findings=findings,
                      data={"service": svc, "error_spans": total, "originating_here": here,
                            "failed_calls_without_answer": peers, "downstream_errors": downstream,
                            "origin_messages": msgs, "first_error": ta.first_error.get(svc)})


TOOLS = [
    Tool("service_health", "Per-service request count, error rate and p95 latency from traces, incident window vs baseline; flags anomalous services.", NoArgs, service_health, "traces"),
    Tool("call_graph", "Callers and callees of one service with call counts, errors and latency (traces, else the demo's architecture).", ServiceArg, call_graph, "traces"),
    Tool("trace_errors", "Where a service's error spans originate: in the service itself or in its callees, with status messages.", ServiceArg, trace_errors, "traces"),
]
