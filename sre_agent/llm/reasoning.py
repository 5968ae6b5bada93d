"""The offline reasoner's root-cause analysis: pure functions over what a model would see.

Input is a :class:`View`: the alerts, the findings of every tool call visible in the model's
context (from the rendered ``IncidentState`` or, without it, from the transcript), the steps
already run, hypotheses and verdicts.  Nothing here touches a backend, a file or the ground
truth: the reasoner knows only what the tools told it, plus the OpenTelemetry demo's
architecture (the knowledge an SRE brings).

The analysis:

1. survey (alerts, service health, recent changes, events);
2. walk from the alerting services down the call graph while errors originate further down;
3. drill into the deepest anomalous services (logs, metrics, their objects);
4. score candidate mechanisms (chaos experiments, feature-flag and spec changes, network
   policies, failing pods, port mismatches ...) by signal strength x link to the anomalous
   services x timing, and fall back to the deepest anomalous component whose own
   dependencies are healthy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..analysis.claims import acts_on, spawned_by
from .reach import judge, off_path
from .state_signals import STATE_ANOMALIES, STATE_CHANGES, STATE_FAILURES, STATE_MECHANISMS, distinct_facts

ANOMALY_SIGNALS = {
    "error_origin": 1.0, "unreachable_peer": 0.9, "failing_callee": 0.7, "slow_callee": 0.6,
    "error_rate": 0.5, "latency": 0.5, "error_logs": 0.5, "connection_errors": 0.4, "metric_anomaly": 0.35,
}
#: mechanism signal -> base strength as a root cause
MECHANISM_SIGNALS = {
    "chaos_experiment": 1.0, "feature_flag_change": 0.95, "port_mismatch": 0.95, "network_policy": 0.85,
    "image_pull": 0.9, "oomkilled": 0.8, "crashloop": 0.75, "container_terminated": 0.7, "container_waiting": 0.7,
    "spec_changed": 0.7, "data_changed": 0.45, "created": 0.4, "no_endpoints": 0.6, "pod_phase": 0.5,
    "traffic_surge": 0.75, "rescale": 0.3, "scheduling": 0.6, "evicted": 0.5, "pod_restarted": 0.65,
    "scaled_to_zero": 0.95, **STATE_MECHANISMS,
}
OWNER_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
#: a service's failure as its callers see it (their calls to it fail or get no answer)
CALLER_SEEN = ("failing_callee", "unreachable_peer")
CHAOS_KINDS = {"networkchaos", "podchaos", "stresschaos", "httpchaos", "jvmchaos", "iochaos", "dnschaos", "timechaos", "schedule"}
SURVEY = [("get_alerts", {}), ("service_health", {}), ("recent_changes", {}), ("get_events", {}), ("analyze_cluster", {})]
MAX_WALK = 10
MAX_DRILL = 3


def canonical(tool: str, args: dict[str, Any]) -> str:
    """A stable identity for a tool call (name + sorted arguments)."""
    return tool + json.dumps(args or {}, sort_keys=True, separators=(",", ":"))


@dataclass
class Call:
    call_id: str
    tool: str
    args: dict[str, Any]
    summary: str
    findings: list[dict[str, Any]]
    noted: bool = False  #: recalled from the planner's notes, not seen in the context itself


@dataclass
class View:
    """What the reasoner can see of the investigation."""

    alerts: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    hypotheses: list[dict[str, Any]] = field(default_factory=list)
    verdicts: dict[str, str] = field(default_factory=dict)
    ruled_out: list[str] = field(default_factory=list)
    namespace: str = "default"
    neighbourhood: list[str] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    last_hypotheses: list[dict[str, Any]] = field(default_factory=list)
    #: from the planner's notes (see notes.py): per-service anomaly [sum, call ids], pass-through counts, callee -> callers
    noted_anomaly: dict[str, list[Any]] = field(default_factory=dict)
    noted_damp: dict[str, int] = field(default_factory=dict)
    noted_edges: dict[str, list[str]] = field(default_factory=dict)
    #: open disagreements between the verifier and the gate, with the tool calls that would settle them
    disputes: list[dict[str, Any]] = field(default_factory=list)

    def findings(self) -> list[dict[str, Any]]:
        return [f | {"call_id": c.call_id} for c in self.calls for f in c.findings]

    def data_of(self, tool: str) -> list[Call]:
        return [c for c in self.calls if c.tool == tool]


def svc(entity: str) -> str:
    """The service name an entity id points at (name for Service/Deployment, else the name)."""
    parts = entity.split("/")
    return parts[-1] if parts else entity


def _kind(entity: str) -> str:
    parts = entity.split("/")
    return parts[1] if len(parts) == 3 else ""


def alert_services(view: View) -> list[str]:
    out: list[str] = []
    for a in view.alerts:
        s = a.get("subject") or ""
        if s and s not in out and not a.get("namespace_level"):
            out.append(svc(s))
    return out


# -- scoring ------------------------------------------------------------------------------
def service_scores(view: View) -> dict[str, float]:
    """How strongly each service looks like where the trouble is (not where it shows)."""
    scores: dict[str, float] = {}
    for f in view.findings():
        sig = f.get("signal")
        if sig not in ANOMALY_SIGNALS:
            continue
        ent = f["entity"]
        kind = _kind(ent)
        if kind not in ("Service", "Deployment", "Pod", ""):
            continue
        name = svc(ent) if kind != "Pod" else _pod_service(ent)
        w = float(f.get("weight", 0.5)) * ANOMALY_SIGNALS[sig]
        scores[name] = scores.get(name, 0.0) + w
    for name, (total, _ids) in view.noted_anomaly.items():
        scores[name] = scores.get(name, 0.0) + total
    # errors that merely pass through: a service whose failing callee originates errors
    passes = dict(view.noted_damp)
    for f in view.findings():
        if f.get("signal") in ("failing_callee", "unreachable_peer"):
            for rel in f.get("related", []):
                passes[svc(rel)] = passes.get(svc(rel), 0) + 1
    for caller, n in passes.items():
        for _ in range(n if caller in scores else 0):
            scores[caller] *= 0.6
    return scores


#: the characters Kubernetes draws generated name suffixes from (no vowels, no 0, 1, 3)
_SUFFIX_CHARS = set("bcdfghjklmnpqrstvwxz2456789")


def _generated(part: str, lengths: tuple[int, ...]) -> bool:
    return len(part) in lengths and set(part) <= _SUFFIX_CHARS


def _pod_service(pod_entity: str) -> str:
    """The workload a pod name belongs to: ``<name>-<template hash>-<5>``, ``<name>-<ordinal>``.

    >>> _pod_service("ns/Pod/fraud-detection-bcdfghjkl-zh5tl"), _pod_service("ns/Pod/valkey-cart-8cdxn9wws-g6cw4")
    ('fraud-detection', 'valkey-cart')
    >>> _pod_service("ns/Pod/kafka-0"), _pod_service("ns/Pod/load-generator-6d4f9b7c5d-x2x9z")
    ('kafka', 'load-generator')
    """
    parts = svc(pod_entity).split("-")
    if len(parts) > 1 and (parts[-1].isdigit() or _generated(parts[-1], (5,))):
        parts = parts[:-1]
        if len(parts) > 1 and _generated(parts[-1], (6, 7, 8, 9, 10)):
            parts = parts[:-1]
    while len(parts) > 1 and any(ch.isdigit() for ch in parts[-1]) and len(parts[-1]) >= 5:
        parts = parts[:-1]
    return "-".join(parts)


def service_of(entity: str) -> str:
    """The service an entity belongs to: a pod's or ReplicaSet's workload, never the generated
    name itself (a ReplicaSet ``cart-5d8f7b9c4`` is ``cart``), else the object's name.

    >>> service_of("ns/ReplicaSet/fraud-detection-5p6ms4n8b"), service_of("ns/Deployment/cart"), service_of("cart")
    ('fraud-detection', 'cart', 'cart')
    """
    kind = _kind(entity)
    if kind == "Pod":
        return _pod_service(entity)
    if kind == "ReplicaSet":
        parts = svc(entity).split("-")
        return "-".join(parts[:-1]) if len(parts) > 1 and _generated(parts[-1], (6, 7, 8, 9, 10)) else svc(entity)
    return svc(entity)


def mechanism_candidates(view: View) -> list[dict[str, Any]]:
    """Scored root-cause candidates: mechanisms linked to anomalous services, best first."""
    scores = service_scores(view)
    anomalous = {s for s, v in scores.items() if v >= 0.25}
    alerting = set(alert_services(view))
    neighbourhood = set(view.neighbourhood) or anomalous | alerting
    onset = min((a.get("active_at") or 0 for a in view.alerts if a.get("active_at")), default=None)
    cands: dict[str, dict[str, Any]] = {}
    for f in view.findings():
        sig = f.get("signal")
        if sig not in MECHANISM_SIGNALS:
            continue
        ent = f["entity"]
        related = [service_of(r) for r in f.get("related", [])]
        if _kind(ent) == "Pod":
            related.append(_pod_service(ent))
        elif _kind(ent) in ("Service", "Deployment", "StatefulSet"):
            related.append(svc(ent))
        related = [r for r in related if r]
        if any(r in anomalous for r in related):
            link = 0.6 + 0.4 * min(1.0, max(scores.get(r, 0.0) for r in related))
        elif any(r in neighbourhood for r in related):
            link = 0.45
        elif not related:
            link = 0.5 if sig in ("chaos_experiment", "feature_flag_change") else 0.2
        else:
            link = 0.15
        t = f.get("time")
        timing = 0.7
        if t is not None and onset is not None:
            lead = onset - t
            if sig in FAILURE_SIGNALS:  # a failure is seen when it happens: during the incident is fine
                timing = 1.0 if lead <= 1800 else 0.35
            else:  # a change is seen at the next object dump, up to several minutes late
                timing = 1.0 if -600 <= lead <= 1800 else 0.35 if lead > 1800 else 0.6
        score = MECHANISM_SIGNALS[sig] * float(f.get("weight", 0.5)) ** 0.5 * link * timing
        if ent in view.ruled_out:
            continue
        c = cands.setdefault(ent, {"entity": ent, "score": 0.0, "signals": [], "evidence": [], "related": set(), "owners": set()})
        c["owners"].update(r for r in f.get("related", []) if _kind(r) in OWNER_KINDS)
        c["score"] = max(c["score"], score)
        c.setdefault("times", []).append(t)
        c["signals"].append(sig)
        c["evidence"].append(f["call_id"])
        c["related"].update(related)
    out = []
    for c in cands.values():
        c["related"] = sorted(c["related"])
        c["owners"] = sorted(c["owners"])
        c["evidence"] = sorted(set(c["evidence"]), key=_call_order)
        c["signals"] = sorted(set(c["signals"]))
        # corroboration: each further distinct signal adds a little, at most three
        c["score"] = round(min(c["score"] + 0.05 * min(3, distinct_facts(c["signals"]) - 1), 1.0), 4)
        out.append(c)
    _changes_explain_failures(out)
    judge(out, view.findings(), view.alerts, FAILURE_SIGNALS)  # a candidate no alert reaches ranks below (reach.py)
    out.sort(key=lambda c: (-c["score"], c["entity"]))
    return _prefer_controllers(out, view)


CHANGE_SIGNALS = {"chaos_experiment", "feature_flag_change", "spec_changed", "data_changed", "network_policy",
                  "scaled_to_zero", "port_mismatch", "created"} | STATE_CHANGES
FAILURE_SIGNALS = {"pod_restarted", "crashloop", "oomkilled", "container_terminated", "container_waiting", "pod_phase",
                   "evicted", "image_pull"} | STATE_FAILURES


def _changes_explain_failures(cands: list[dict[str, Any]]) -> None:
    """A failing pod whose service a change acts on, no later than the failure, is a symptom of
    that change: the change ranks first (a flag that makes a service crash explains the crash)."""
    changes = [c for c in cands if set(c["signals"]) & CHANGE_SIGNALS and c["score"] >= 0.3]
    for c in cands:
        if not set(c["signals"]) <= FAILURE_SIGNALS or _kind(c["entity"]) != "Pod":
            continue
        first = min((t for t in c.get("times", []) if t is not None), default=None)
        for ch in changes:
            t_change = min((t for t in ch.get("times", []) if t is not None), default=None)
            # object dumps are minutes apart: a change seen at the same or the next dump still came first
            if set(c["related"]) & set(ch["related"]) and (first is None or t_change is None or t_change <= first + 360):
                c["score"] = round(c["score"] * 0.6, 4)
                c["explained_by"] = ch["entity"]
                break


def _call_order(call_id: str) -> tuple[int, str]:
    digits = "".join(ch for ch in call_id if ch.isdigit())
    return (int(digits) if digits else 0, call_id)


def _prefer_controllers(cands: list[dict[str, Any]], view: View) -> list[dict[str, Any]]:
    """A chaos Schedule that spawned an experiment stands for it (as a Deployment for its pods)."""
    schedules = [c for c in cands if _kind(c["entity"]).lower() == "schedule"]
    for sch in schedules:
        base = svc(sch["entity"])
        for c in cands:
            if c is not sch and _kind(c["entity"]).lower() in CHAOS_KINDS and svc(c["entity"]).startswith(base):
                sch["score"] = max(sch["score"], c["score"]) + 0.01
                sch["related"] = sorted(set(sch["related"]) | set(c["related"]))
                c["score"] = round(c["score"] * 0.5, 4)
                c["child_of"] = sch["entity"]
    cands.sort(key=lambda c: (-c["score"], c["entity"]))
    return cands


def unreached(view: View) -> list[dict[str, str]]:
    """Candidates that explain no alert (reach.py), to rule out with their reason, when another
    candidate does explain the alerts; none otherwise (then they only rank lower)."""
    cands = [c for c in mechanism_candidates(view) if c["score"] >= 0.2 or c.get("unreached")]
    if not any(not c.get("unreached") and c["score"] >= 0.2 for c in cands):
        return []
    return [{"entity": c["entity"], "reason": c["unreached"]} for c in cands if c.get("unreached")]


def deepest_anomalous(view: View) -> list[tuple[str, float]]:
    scores = service_scores(view)
    return sorted(((s, v) for s, v in scores.items() if v >= 0.25), key=lambda kv: (-kv[1], kv[0]))


# -- the planner --------------------------------------------------------------------------
def next_steps(view: View) -> list[tuple[str, dict[str, Any], str]]:
    """The investigation steps still worth running, in order."""
    steps: list[tuple[str, dict[str, Any], str]] = []

    def want(tool: str, args: dict[str, Any], why: str) -> None:
        key = canonical(tool, args)
        if key not in view.done and all(canonical(t, a) != key for t, a, _ in steps):
            steps.append((tool, args, why))

    for tool, args in SURVEY:
        want(tool, args, "survey: what fires, what is unhealthy, what changed")
    if any(canonical(t, a) not in view.done for t, a in SURVEY):
        return steps
    for s in alert_services(view):
        want("trace_errors", {"service": s}, f"where do the errors of alerting service {s} originate")
        want("call_graph", {"service": s}, f"dependencies of alerting service {s}")
    if steps:
        return steps
    # walk down: follow services where errors originate or that callers fail to reach
    walked = {c.args.get("service") for c in view.calls if c.tool in ("trace_errors", "call_graph")}
    ranked = deepest_anomalous(view)
    for s, _ in ranked:
        if s not in walked and len(walked) < MAX_WALK and (not view.neighbourhood or s in view.neighbourhood):
            want("trace_errors", {"service": s}, f"does {s} originate errors or pass them on")
            want("call_graph", {"service": s}, f"what {s} depends on")
    if steps:
        return steps
    # drill into the deepest anomalous services and the changed objects linked to them; an
    # alerting service the traces say nothing about (it emits no spans) is drilled too
    scored = service_scores(view)
    silent = [(s, 0.0) for s in alert_services(view) if s not in scored]
    for s, _ in ranked[:MAX_DRILL] + silent[:MAX_DRILL]:
        want("search_logs", {"service": s}, f"error messages of {s}")
        want("metric_anomalies", {"entity": s}, f"resource and traffic anomalies of {s}")
        want("describe", {"entity": f"{view.namespace}/Service/{s}"}, f"is the Service {s} wired to its pods")
    for c in mechanism_candidates(view)[:4]:
        if _kind(c["entity"]).lower() not in CHAOS_KINDS:
            want("describe", {"entity": c["entity"]}, f"details of candidate {c['entity']}")
    return steps


def hypotheses(view: View) -> list[dict[str, Any]]:
    """Ranked hypotheses from the current evidence."""
    cands = mechanism_candidates(view)
    out = []
    for c in cands[:6]:
        if c["score"] < 0.2:
            continue
        out.append({"entity": c["entity"], "mechanism": "+".join(c["signals"]), "score": c["score"],
                    "evidence": c["evidence"][:6], "related": c["related"], "reason": c.get("unreached") or _reason(c),
                    "owners": c["owners"]})
    if not out or out[0]["score"] < 0.35:
        # no mechanism stands out: blame the deepest anomalous component itself
        for s, v in [(s, v) for s, v in deepest_anomalous(view) if f"{view.namespace}/Deployment/{s}" not in view.ruled_out][:1]:
            ev = sorted({f["call_id"] for f in view.findings() if svc(f["entity"]) == s}
                        | set(view.noted_anomaly.get(s, [0, []])[1]), key=_call_order)[:6]
            out.insert(0, {"entity": f"{view.namespace}/Deployment/{s}", "mechanism": "deepest anomalous component",
                           "score": round(min(0.9, 0.3 + v / 3), 4), "evidence": ev, "related": [s],
                           "reason": f"{s} is where errors originate and its dependencies look healthy"})
    if any(a.get("namespace_level") for a in view.alerts) and (not out or _no_effect_seen(view, out)):
        ns = view.namespace
        out.insert(0, {"entity": f"{ns}/Namespace/{ns}", "mechanism": "namespace-level alert with no anomalous component",
                       "score": 0.5, "evidence": [c.call_id for c in view.calls[:4]], "related": [],
                       "reason": "the alerts concern the namespace as a whole and no component shows a fault"})
    return out


#: changes that say an object was edited, not that anything went wrong
PLAIN_CHANGES = frozenset({"spec_changed", "data_changed", "created", "rescale", "scaled"})


def _no_effect_seen(view: View, hyps: list[dict[str, Any]]) -> bool:
    """Whether every hypothesis is a plain edit (a rollout, say) of a service that shows no anomaly,
    or one failing pod (which lowers what the namespace uses, see reach.py): then nothing explains
    a namespace-wide alert better than the namespace itself (a spend alarm over an even rise)."""
    anomalous = {s for s, v in service_scores(view).items() if v >= 0.25}

    def plain(h: dict[str, Any]) -> bool:
        signals = set(h["mechanism"].split("+"))
        if _kind(h["entity"]) == "Pod" and signals <= FAILURE_SIGNALS | {"scheduling"}:
            return True
        return signals <= PLAIN_CHANGES and not set(h.get("related", [])) & anomalous
    return all(plain(h) for h in hyps)


def _reason(c: dict[str, Any]) -> str:
    rel = ", ".join(c["related"][:4])
    return f"{', '.join(c['signals'])}" + (f", acting on {rel}" if rel else "")


#: a second root cause for alerts the best one does not reach needs this share of its score
OTHER_ALERTS_SHARE = 0.75


def root_causes(hyps: list[dict[str, Any]], alerting: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The hypotheses to report as root causes: the best, and those nearly as good of its kind;
    with the alerting services given, also a nearly-as-good one acting on an alerting service
    none of those acts on (two independent troubles, each with its own alerts).

    >>> hs = [{"entity": "ns/Pod/db-x7k2p", "score": 0.55, "related": ["db"]},
    ...       {"entity": "ns/Deployment/shop", "score": 0.44, "related": ["shop"]}]
    >>> [h["entity"] for h in root_causes(hs)], [h["entity"] for h in root_causes(hs, {"db", "shop"})]
    (['ns/Pod/db-x7k2p'], ['ns/Pod/db-x7k2p', 'ns/Deployment/shop'])
    """
    if not hyps:
        return []
    top = hyps[0]
    out = [top]
    top_services = set(top.get("related", [])) | {svc(top["entity"])}
    for h in hyps[1:]:
        same_kind = _kind(h["entity"]) == _kind(top["entity"])
        # another facet of the same component (its Deployment's change and its traffic, say)
        same_component = svc(h["entity"]) in top_services
        if h["score"] >= 0.8 * top["score"] and (same_kind or same_component or h["score"] >= 0.95 * top["score"]):
            out.append(h)
    covered = {s for h in out for s in (set(h.get("related", [])) | {service_of(h["entity"])})} & set(alerting)
    for h in hyps[1:]:
        acts_on = (set(h.get("related", [])) | {service_of(h["entity"])}) & set(alerting)
        if h not in out and h["score"] >= OTHER_ALERTS_SHARE * top["score"] and acts_on - covered:
            out.append(h)
            covered |= acts_on
    # a failing Pod is reported with the workload that owns it: the object an operator acts on
    for h in list(out):
        if _kind(h["entity"]) == "Pod":
            for owner in h.get("owners", [])[:1]:
                if all(o["entity"] != owner for o in out):
                    out.append({"entity": owner, "mechanism": f"owner of {h['entity']}", "score": round(h["score"] * 0.95, 4),
                                "evidence": h["evidence"], "related": h["related"], "reason": f"owns the failing pod {svc(h['entity'])}",
                                "owners": []})
    return out


def plan(view: View, max_steps: int = 8) -> dict[str, Any]:
    """The planner's turn: hypotheses, the next steps, and whether to verify."""
    steps = next_steps(view)
    hyps = hypotheses(view)
    if steps:
        return {"action": "investigate", "hypotheses": hyps,
                "steps": [{"tool": t, "args": a, "why": w} for t, a, w in steps[:max_steps]]}
    settle = [(str(x.get("tool", "")), x.get("args") or {}, f"settle the dispute on {d.get('entity')} ({d.get('check')})")
              for d in view.disputes for x in d.get("settle_with") or [] if isinstance(x, dict)
              and canonical(str(x.get("tool", "")), x.get("args") or {}) not in view.done]
    if settle:  # a dispute is settled by new tool results, never by asking again
        return {"action": "investigate", "hypotheses": hyps,
                "steps": [{"tool": t, "args": a, "why": w} for t, a, w in settle[:max_steps]]}
    stuck = {d.get("entity") for d in view.disputes if not d.get("settle_with")}  # nothing left to settle it with
    hyps = [h for h in hyps if view.verdicts.get(h["entity"]) != "rejected" and h["entity"] not in stuck]
    roots = [h["entity"] for h in root_causes(hyps, set(alert_services(view))) if h["entity"] not in stuck]
    if not roots:  # nothing left to claim: change course rather than ask to stop (see change_course.py)
        from .change_course import change_course
        wider = change_course(view)
        if wider:
            return {"action": "investigate", "hypotheses": hyps,
                    "steps": [{"tool": t, "args": a, "why": w} for t, a, w in wider[:max_steps]]}
        return {"action": "give_up", "hypotheses": hyps, "steps": [], "root_causes": [],
                "reason": "every hypothesis was rejected and no widening step is left to try"}
    action = "conclude" if all(view.verdicts.get(r) == "confirmed" for r in roots) else "verify"
    return {"action": action, "hypotheses": hyps, "steps": [], "root_causes": roots}


# -- the verifier -------------------------------------------------------------------------
def verify(view: View, claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check each claimed root cause against the evidence in view; a verdict per claim.  Every
    check cites the calls it is computed from; what a claim acts on is read as the verification
    gate reads it (:func:`sre_agent.analysis.claims.acts_on`)."""
    findings = view.findings()
    scores = service_scores(view)
    alerting = set(alert_services(view))
    rows = [(f["call_id"], f["entity"], str(f.get("signal", "")), f.get("related", []) or []) for f in findings]
    off = off_path(findings)  # traced services whose failure cannot reach an alert (get_alerts)
    verdicts = []
    for claim in claims:
        ent = claim["entity"]
        own = [f for f in findings if f["entity"] == ent or spawned_by(ent, f["entity"])]
        if _kind(ent) in OWNER_KINDS:  # a workload's anomalies show on the pods it owns
            own += [f for f in findings if _kind(f["entity"]) == "Pod" and ent in f.get("related", [])]
            # ... and in its callers' failed calls to its Service (a data store that emits no spans
            # is seen only there)
            own += [f for f in findings if _kind(f["entity"]) == "Service" and svc(f["entity"]) == svc(ent)
                    and f["entity"].split("/")[0] == ent.split("/")[0] and f.get("signal") in CALLER_SEEN]
        alert_calls = sorted({f["call_id"] for f in findings if f.get("signal") == "alert"}, key=_call_order)
        exists = bool(own) or _kind(ent) == "Namespace"
        anomaly = [f["call_id"] for f in own if f.get("signal") in MECHANISM_SIGNALS or f.get("signal") in ANOMALY_SIGNALS
                   or f.get("signal") in STATE_ANOMALIES]
        if _kind(ent) == "Namespace":  # a namespace shows in every call about it
            anomaly = anomaly or alert_calls or sorted({f["call_id"] for f in findings}, key=_call_order)[:3]
        upstream, path = _upstream(view, claim, own, rows, alert_calls, scores, alerting, off)
        checks = [
            {"check": "entity_exists", "passed": exists, "evidence": sorted({f["call_id"] for f in own} or set(anomaly), key=_call_order)[:4]},
            {"check": "anomaly_observed", "passed": bool(anomaly) or _kind(ent) == "Namespace", "evidence": sorted(set(anomaly), key=_call_order)[:4]},
            {"check": "upstream_of_alerts", "passed": upstream, "evidence": path[:6]},
        ]
        for c in checks:  # a check with nothing to cite cannot pass
            c["passed"] = bool(c["passed"] and c["evidence"])
        ok = all(c["passed"] for c in checks)
        verdicts.append({"entity": ent, "verdict": "confirmed" if ok else "rejected", "checks": checks,
                         "reason": "all checks passed" if ok else "failed: " + ", ".join(c["check"] for c in checks if not c["passed"])})
    return verdicts


def _upstream(view: View, claim: dict[str, Any], own: list[dict[str, Any]], rows: list[Any], alert_calls: list[str],
              scores: dict[str, float], alerting: set[str], off: dict[str, str]) -> tuple[bool, list[str]]:
    """Whether a claim lies upstream of the alerts, and the calls that show it: what it acts on
    (read as the gate reads it) is anomalous or alerting, calls an alerting service, or is not
    named off the alerts' call path by get_alerts; with that path not in view at all, missing
    information does not rule out what the claim acts on (as :mod:`.reach`)."""
    ent = claim["entity"]
    acted, acted_calls = acts_on(ent, rows)
    related = set(claim.get("related", [])) | {svc(ent)} | {service_of(r) for r in acted}
    for f in own:
        related |= {service_of(r) for r in f.get("related", [])}
    whole = any(a.get("namespace_level") for a in view.alerts)  # every workload is upstream of such an alert
    hits = related & (set(scores) | alerting) | ({svc(ent)} & set(scores))
    calling = {caller: ids for caller, ids in _callers_of(view, alerting).items() if caller in related}
    hits |= set(calling)  # what it acts on calls an alerting service (a traffic source, say)
    on_path = {service_of(r) for f in own for r in f.get("related", [])} | {service_of(r) for r in acted}
    on_path |= {svc(ent)} if _kind(ent) in ("Service", *OWNER_KINDS) else set()
    hits |= {x for x in on_path if alert_calls and x and x not in off}  # get_alerts in view: its off-path list is complete
    if not alert_calls and not hits:
        hits = {service_of(r) for r in acted} - {""}
    upstream = (not alerting) or whole or bool(hits) or _kind(ent) == "Namespace"
    path = sorted(set(acted_calls) | _service_calls(view, hits) | set(alert_calls) | {i for ids in calling.values() for i in ids},
                  key=_call_order)
    if not path and hits:  # what shows the claim acting there is the path
        path = sorted({f["call_id"] for f in own} | set(acted_calls), key=_call_order)
    return upstream, path


def _callers_of(view: View, services: set[str]) -> dict[str, set[str]]:
    """Services the tool results show calling one of ``services`` (a caller's failed or slow calls
    to it, or its surge of calls to it), with the calls that show it: as the gate's reach counts
    an alerting service's callers as upstream of it."""
    out: dict[str, set[str]] = {}
    for f in view.findings():
        sig = f.get("signal")
        if sig in ("failing_callee", "slow_callee", "unreachable_peer") and svc(f["entity"]) in services:
            for rel in f.get("related", []):
                out.setdefault(service_of(rel), set()).add(f["call_id"])
        elif sig == "traffic_surge" and any(service_of(r) in services for r in f.get("related", [])):
            out.setdefault(service_of(f["entity"]), set()).add(f["call_id"])
    return out


def _service_calls(view: View, services: set[str]) -> set[str]:
    """The calls whose findings show an anomaly of one of ``services`` (what ranks them)."""
    out = {f["call_id"] for f in view.findings() if f.get("signal") in ANOMALY_SIGNALS
           and (svc(f["entity"]) if _kind(f["entity"]) != "Pod" else _pod_service(f["entity"])) in services}
    for name in services:
        out |= set(view.noted_anomaly.get(name, [0, []])[1])
    return out


# -- the summarizer -----------------------------------------------------------------------
def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Evidence items from raw tool results (the tool JSON already carries findings)."""
    evidence = []
    questions = []
    for r in results:
        evidence.append({"call_id": r.get("call_id", ""), "tool": r.get("tool", ""), "summary": r.get("summary", r.get("error", "")),
                         "findings": r.get("findings", [])})
        if r.get("missing"):
            questions.append(f"{r.get('tool')}: no data from {', '.join(r['missing'])}")
    return {"evidence": evidence, "open_questions": questions}


def propagation(view: View, roots: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Edges from each root cause up the call graph to the alerting services."""
    edges: list[dict[str, str]] = []
    callers_of: dict[str, set[str]] = {k: set(v) for k, v in view.noted_edges.items()}
    for f in view.findings():
        if f.get("signal") in ("failing_callee", "unreachable_peer", "slow_callee"):
            callee = svc(f["entity"])
            for rel in f.get("related", []):
                callers_of.setdefault(callee, set()).add(svc(rel))
    ns = view.namespace
    for root in roots:
        start = [r for r in root.get("related", [])] or [svc(root["entity"])]
        for s in start:
            first = f"{ns}/Service/{s}"
            if first != root["entity"]:
                edges.append({"source": root["entity"], "target": first, "condition": root.get("mechanism", ""),
                              "effect": f"{s} degraded"})
            frontier, seen = [s], {s}
            while frontier:
                nxt = []
                for cur in frontier:
                    for caller in sorted(callers_of.get(cur, ())):
                        if caller in seen:
                            continue
                        seen.add(caller)
                        edges.append({"source": f"{ns}/Service/{cur}", "target": f"{ns}/Service/{caller}",
                                      "condition": f"{cur} failing or slow", "effect": f"{caller} sees errors from {cur}"})
                        nxt.append(caller)
                frontier = nxt
    unique = []
    keys = set()
    for e in edges:
        k = (e["source"], e["target"])
        if k not in keys:
            keys.add(k)
            unique.append(e)
    return unique
