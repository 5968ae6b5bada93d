"""verification_gate (FM-3.3, FM-3.2): a root cause enters the diagnosis only with tool-backed
evidence that the orchestrator re-checks against the data itself: the entity exists, its anomaly
is seen in at least one source (a tool result recorded in this run), and it lies upstream of the
alerting entities.  It re-checks every verdict the verifier gives, and at the exit every claim
nobody verified (the model stopped before asking, or a budget ran out): such claims are checked
rather than passed on the model's word or dropped unseen (``Orchestrator.check_claims_at_exit``)."""

from __future__ import annotations

from typing import Any

from ..llm.state_signals import STATE_ANOMALIES, STATE_MECHANISMS
from .base import Fix, Intervention

MECHANISM_SIGNALS = {
    "chaos_experiment", "feature_flag_change", "port_mismatch", "network_policy", "image_pull", "oomkilled",
    "crashloop", "container_terminated", "container_waiting", "spec_changed", "data_changed", "created",
    "no_endpoints", "pod_phase", "traffic_surge", "rescale", "scheduling", "evicted", "error_origin",
    "unreachable_peer", "failing_callee", "slow_callee", "error_rate", "latency", "error_logs",
    "connection_errors", "metric_anomaly", "pod_restarted", "scaled_to_zero",
} | set(STATE_MECHANISMS) | STATE_ANOMALIES  # the state analyzers' findings (tool analyze_cluster)


def recheck(orch: Any, entity: str) -> list[dict[str, Any]]:
    """The gate's own checks of one claimed root cause, against recorded tool results and the data."""
    an = orch.analyzer
    parts = entity.split("/")
    if len(parts) != 3:
        return [{"check": "entity_exists", "passed": False, "call_ids": []}]
    ns, kind, name = parts
    own = [(e, f) for e, f in orch.state.findings() if f.entity == entity]
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        # a workload's anomaly shows on the pods it owns (their findings list the owner chain)
        own += [(e, f) for e, f in orch.state.findings() if f.entity.split("/")[1:2] == ["Pod"] and entity in f.related]
        # ... and in its callers' failed calls to the Service fronting them (a data store that
        # emits no spans is seen only there)
        fronts = _fronting_services(an, entity) if not _acted_on(orch, entity) else set()
        own += [(e, f) for e, f in orch.state.findings() if f.entity in fronts and f.signal in _FAILED_CALLS]
    exists = (entity in an.ownership.objects or any(g.involved == entity for g in an.event_groups)
              or (kind == "Namespace" and any(o.namespace == name for o in an.ownership.objects.values())))
    anomaly_calls = sorted({e.call_id for e, f in own if f.signal in MECHANISM_SIGNALS})
    related = set()
    spawned = []
    if kind == "Schedule":  # a chaos Schedule acts through the experiments it spawns
        spawned = [(e, f) for e, f in orch.state.findings()
                   if f.entity != entity and f.entity.split("/")[0] == ns and f.entity.split("/")[-1].startswith(name)]
    for _, f in own + spawned:
        related |= {_service(an, r) for r in f.related}
    related.add(an.service_of(entity))
    related.discard("")
    alerting = an.alert_services
    upstream = True
    whole = any(a.namespace_wide and (a.namespace or ns) == ns for a in an.alerts)
    if alerting and kind != "Namespace" and not whole:
        reach = {r for s in alerting for r in an.sync_reach(s)} | {c for s in alerting for c in an.callers(s)}
        upstream = bool(related & (reach | _failing_peers(orch, reach | set(alerting))))
    if kind == "Namespace":
        anomaly_calls = anomaly_calls or sorted({e.call_id for e in orch.state.evidence})[:3]
    checks = [
        {"check": "entity_exists", "passed": bool(exists), "call_ids": sorted({e.call_id for e, _ in own})[:4]},
        {"check": "anomaly_observed", "passed": bool(anomaly_calls), "call_ids": anomaly_calls[:4]},
        {"check": "upstream_of_alerts", "passed": upstream, "call_ids": []},
    ]
    if SYMPTOM_CHECK:
        checks.append(_not_a_symptom(orch, entity, own))
    return checks


def _service(an: Any, entity: str) -> str:
    """The service an entity belongs to, else its bare name (a Service or workload outside the graph)."""
    return an.service_of(entity) or entity.split("/")[-1]


def _failing_peers(orch: Any, reach: set[str]) -> set[str]:
    """Services the recorded results show a service in ``reach`` failing to call (a peer its logs
    name, when no span shows the call): downstream of the alerts too."""
    an = orch.analyzer
    return {_service(an, f.entity) for _, f in orch.state.findings()
            if f.signal in _DEPENDENCY_SIGNALS and any(_service(an, r) in reach for r in f.related)}


def _fronting_services(an: Any, workload: str) -> set[str]:
    """Service ids selecting pods the workload owns (by ownership chain), or named as it when it
    has no pods; none when the workload emits spans (its own spans show its anomalies)."""
    ns, _, name = workload.split("/")
    traced = an.traces.services if an.traces else set()
    if name in traced or (an.service_of(workload) or name) in traced:
        return set()
    out = {sid for sid, pods in an.ownership.service_pods.items()
           if sid.split("/")[0] == ns and any(workload in an.ownership.chain(p) for p in pods)}
    if not out and f"{ns}/Service/{name}" in an.ownership.objects:
        out.add(f"{ns}/Service/{name}")
    return out


#: findings of something done to a component (a change, an experiment): its failure then is their effect
_ACTS_ON = frozenset({"chaos_experiment", "feature_flag_change", "spec_changed", "data_changed", "network_policy",
                      "scaled_to_zero", "port_mismatch", "created"})


def _acted_on(orch: Any, workload: str) -> bool:
    """Whether a recorded change or chaos experiment acts on the workload's service (or its pods):
    then its callers' failed calls are that change's effect, not an anomaly of its own."""
    an = orch.analyzer
    service = _service(an, workload)
    return any(f.signal in _ACTS_ON and f.entity != workload
               and any(_service(an, r) == service for r in f.related)
               for _, f in orch.state.findings())


#: switch for the symptom check below (kept separately switchable for measurements)
SYMPTOM_CHECK = True
#: signals an entity shows when something it depends on fails: they alone do not make a root cause
SYMPTOM_SIGNALS = {"error_rate", "latency", "failing_callee", "slow_callee", "error_logs", "connection_errors",
                   "unreachable_peer", "metric_anomaly", "alert", "off_alert_path"}
_DEPENDENCY_SIGNALS = ("failing_callee", "slow_callee", "unreachable_peer")
#: callers' calls to a service that failed or got no answer (slowness alone may be load, not a fault)
_FAILED_CALLS = ("failing_callee", "unreachable_peer")


def _not_a_symptom(orch: Any, entity: str, own: list[Any]) -> dict[str, Any]:
    """Fails when every anomaly recorded for the entity is a symptom (errors, latency ...) and the
    recorded tool results show another service it calls failing: its trouble is explained
    downstream, so a claim that it is the root cause (a model's, or one planted in quoted text)
    is not backed by the evidence."""
    an = orch.analyzer
    signals = {f.signal for _, f in own}
    if not signals or signals - SYMPTOM_SIGNALS:
        return {"check": "not_a_downstream_symptom", "passed": True, "call_ids": []}
    service = _service(an, entity)
    blamed = sorted({e.call_id for e, f in orch.state.findings()
                     if f.signal in _DEPENDENCY_SIGNALS and f.entity != entity
                     and _service(an, f.entity) != service
                     and any(_service(an, r) == service for r in f.related)})
    return {"check": "not_a_downstream_symptom", "passed": not blamed, "call_ids": blamed[:4]}


class VerificationGate(Fix):
    name = "verification_gate"
    mast = ("3.3", "3.2")

    def review_verdicts(self, orch: Any, verdicts: list[dict[str, Any]]) -> list[Intervention]:
        if not self.enabled:
            return []
        out = []
        for v in verdicts:
            checks = recheck(orch, v.get("entity", ""))
            ok = all(c["passed"] for c in checks)
            verdict = "confirmed" if ok else "rejected"
            if v.get("verdict") != verdict:
                out.append(self.intervention(v.get("entity", ""), f"verdict {v.get('verdict')!r} -> {verdict!r} after re-check: "
                                             + ", ".join(f"{c['check']}={'ok' if c['passed'] else 'FAILED'}" for c in checks)))
            v["verdict"] = verdict
            v["checks"] = checks
            v["by"] = "gate"
        return out
