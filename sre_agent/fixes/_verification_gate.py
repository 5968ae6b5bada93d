"""verification_gate (FM-3.3, FM-3.2): a root cause enters the diagnosis only with tool-backed
evidence that code re-checks against the data itself: the entity exists, its anomaly is seen in
at least one source (a tool result recorded in this run), it lies upstream of the alerting
entities, and its anomalies are not all symptoms of a failing dependency.  Each check cites the
tool calls it is computed from (:class:`sre_agent.verdicts.Check`: nothing to cite, no pass).

The gate can only veto (``on_verdict``): a claim the verifier confirmed stays confirmed only if
every check of the gate's passes; a failed check rejects it; where the verifier failed a check
the gate passes, the claim stays unverified and the disagreement is a
:class:`~sre_agent.verdicts.Dispute` naming the tool calls that would settle it.  At the exit
(``at_exit``) the claims nobody verified (the model stopped before asking, or a budget ran out)
are checked by the gate alone rather than passed on the model's word or dropped unseen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..llm.state_signals import STATE_ANOMALIES, STATE_MECHANISMS
from ..analysis.claims import acts_on, call_order
from ..analysis.topology import POD_CONTROLLER_KINDS
from ..llm.reasoning import canonical
from ..verdicts import Check, Dispute, disputes, make_check
from .base import Fix, Intervention, RunView, Verdict

MECHANISM_SIGNALS = {
    "chaos_experiment", "feature_flag_change", "port_mismatch", "network_policy", "image_pull", "oomkilled",
    "crashloop", "container_terminated", "container_waiting", "spec_changed", "data_changed", "created",
    "no_endpoints", "pod_phase", "traffic_surge", "rescale", "scheduling", "evicted", "error_origin",
    "unreachable_peer", "failing_callee", "slow_callee", "error_rate", "latency", "error_logs",
    "connection_errors", "metric_anomaly", "pod_restarted", "scaled_to_zero",
} | set(STATE_MECHANISMS) | STATE_ANOMALIES  # the state analyzers' findings (tool analyze_cluster)


def recheck(run: Any, entity: str) -> list[Check]:
    """The gate's own checks of one claimed root cause, each computed from recorded tool results
    and citing them (a check with nothing to cite fails: :class:`sre_agent.verdicts.Check`)."""
    an = run.analyzer
    parts = entity.split("/")
    if len(parts) != 3:
        return [make_check("entity_exists", False, [])]
    ns, kind, name = parts
    findings = run.state.findings()
    own = [(e, f) for e, f in findings if f.entity == entity]
    if kind in POD_CONTROLLER_KINDS:
        # a workload's anomaly shows on the pods it owns (their findings list the owner chain)
        own += [(e, f) for e, f in findings if f.entity.split("/")[1:2] == ["Pod"] and entity in f.related]
        # ... and in its callers' failed calls to the Service fronting them (a data store that
        # emits no spans is seen only there)
        fronts = _fronting_services(an, entity) if not _acted_on(run, entity) else set()
        own += [(e, f) for e, f in findings if f.entity in fronts and f.signal in _FAILED_CALLS]
    exists = (entity in an.ownership.objects or any(g.involved == entity for g in an.event_groups)
              or (kind == "Namespace" and any(o.namespace == name for o in an.ownership.objects.values())))
    anomaly_calls = sorted({e.call_id for e, f in own if f.signal in MECHANISM_SIGNALS}, key=call_order)
    mentions = sorted({e.call_id for e, f in findings if entity in f.related}
                      | {e.call_id for e in run.state.evidence if entity in e.args.values()}, key=call_order)
    # what the claim acts on (a chaos Schedule: through the experiments it spawned), as the verifier reads it
    acted, acted_calls = acts_on(entity, [(e.call_id, f.entity, f.signal, f.related) for e, f in findings])
    related = {_service(an, r) for _, f in own for r in f.related} | {_service(an, r) for r in acted}
    related.add(an.service_of(entity))
    related.discard("")
    alerting = an.alert_services
    alert_calls = sorted({e.call_id for e in run.state.evidence if e.tool == "get_alerts"}, key=call_order)
    upstream, hits = True, set()
    whole = any(a.namespace_wide and (a.namespace or ns) == ns for a in an.alerts)
    if alerting and kind != "Namespace" and not whole:
        reach = {r for s in alerting for r in an.sync_reach(s)} | {c for s in alerting for c in an.callers(s)}
        hits = related & (reach | _failing_peers(run, reach | set(alerting)))
        upstream = bool(hits)
    own_calls = sorted({e.call_id for e, _ in own}, key=call_order)
    if kind == "Namespace":
        anomaly_calls = anomaly_calls or sorted({e.call_id for e in run.state.evidence}, key=call_order)[:3]
    path_calls = _path_calls(run, hits | {s for s in alerting if an.sync_reach(s) & hits})
    reached = sorted(s for s in alerting if an.sync_reach(s) & hits)
    note = f"upstream via {', '.join(reached[:3]) or 'a caller'} → {', '.join(sorted(hits)[:3])}" if hits else ""
    checks = [
        make_check("entity_exists", bool(exists), (own_calls or mentions or anomaly_calls)[:4]),
        make_check("anomaly_observed", bool(anomaly_calls), anomaly_calls[:4]),
        make_check("upstream_of_alerts", upstream,
                   sorted(set(acted_calls + own_calls[:2] + path_calls + alert_calls), key=call_order)[:6], note),
    ]
    if SYMPTOM_CHECK:
        checks.append(_not_a_symptom(run, entity, own, own_calls or anomaly_calls))
    return checks


def _path_calls(run: Any, services: set[str]) -> list[str]:
    """Trace calls whose results show the call path through ``services`` (call graphs, error origins)."""
    return [e.call_id for e in run.state.evidence
            if e.tool in _PATH_TOOLS and str(e.args.get("service", "")).split("/")[-1] in services]


#: the tools whose results show who calls whom
_PATH_TOOLS = ("call_graph", "trace_errors")


def _service(an: Any, entity: str) -> str:
    """The service an entity belongs to, else its bare name (a Service or workload outside the graph)."""
    return an.service_of(entity) or entity.split("/")[-1]


def _failing_peers(run: Any, reach: set[str]) -> set[str]:
    """Services the recorded results show a service in ``reach`` failing to call (a peer its logs
    name, when no span shows the call): downstream of the alerts too."""
    an = run.analyzer
    return {_service(an, f.entity) for _, f in run.state.findings()
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


def _acted_on(run: Any, workload: str) -> bool:
    """Whether a recorded change or chaos experiment acts on the workload's service (or its pods):
    then its callers' failed calls are that change's effect, not an anomaly of its own."""
    an = run.analyzer
    service = _service(an, workload)
    return any(f.signal in _ACTS_ON and f.entity != workload
               and any(_service(an, r) == service for r in f.related)
               for _, f in run.state.findings())


#: switch for the symptom check below (kept separately switchable for measurements)
SYMPTOM_CHECK = True
#: signals an entity shows when something it depends on fails: they alone do not make a root cause
SYMPTOM_SIGNALS = {"error_rate", "latency", "failing_callee", "slow_callee", "error_logs", "connection_errors",
                   "unreachable_peer", "metric_anomaly", "alert", "off_alert_path"}
_DEPENDENCY_SIGNALS = ("failing_callee", "slow_callee", "unreachable_peer")
#: callers' calls to a service that failed or got no answer (slowness alone may be load, not a fault)
_FAILED_CALLS = ("failing_callee", "unreachable_peer")


def _not_a_symptom(run: Any, entity: str, own: list[Any], own_calls: list[str]) -> Check:
    """Fails when every anomaly recorded for the entity is a symptom (errors, latency ...) and the
    recorded tool results show another service it calls failing: its trouble is explained
    downstream, so a claim that it is the root cause (a model's, or one planted in quoted text)
    is not backed by the evidence.  Passed, it cites the calls that showed the entity's anomalies."""
    an = run.analyzer
    signals = {f.signal for _, f in own}
    if not signals or signals - SYMPTOM_SIGNALS:
        return make_check("not_a_downstream_symptom", True, own_calls[:4])
    service = _service(an, entity)
    blamed = sorted({e.call_id for e, f in run.state.findings()
                     if f.signal in _DEPENDENCY_SIGNALS and f.entity != entity
                     and _service(an, f.entity) != service
                     and any(_service(an, r) == service for r in f.related)}, key=call_order)
    return make_check("not_a_downstream_symptom", not blamed, (blamed or own_calls)[:4])


class VerificationGate(Fix):
    """Can only veto: a claim is confirmed when the verifier confirmed it and every check of the
    gate's own passes; a failed check of the gate rejects it.  Where the verifier failed a check
    the gate passes, the claim stays unverified and the disagreement is a :class:`Dispute` (a
    ``verdict_dispute`` event, an open question for the planner, settled only by new tool calls).
    With the verifier absent (claims nobody verified, at the exit) the gate's checks decide."""

    name = "verification_gate"
    mast = ("3.3", "3.2")
    needs_confirmation = True

    def __init__(self, enabled: bool = True) -> None:
        super().__init__(enabled)
        self._disputed: set[tuple[str, str]] = set()  # (entity, check) of every dispute raised in this run

    def on_verdict(self, run: RunView, verdicts: Sequence[Verdict]) -> list[Intervention]:
        out = []
        for v in verdicts:
            mine = recheck(run, v.entity)
            given = v.verdict
            if v.verdict == "unchecked":  # nobody else checked it: the gate's checks decide
                v.verdict = "confirmed" if all(c.passed for c in mine) else "rejected"
                v.checks, v.by = mine, "gate"
            elif not all(c.passed for c in mine):  # the veto
                v.verdict, v.by = "rejected", "gate"
                v.disputes = disputes(v.entity, v.checks, mine)
                v.checks = _merged(v.checks, mine)
            else:  # one round of settling calls per dispute: disputed again after it, nothing is left to try
                v.disputes = [d.model_copy(update={"settle_with": [] if (d.entity, d.check) in self._disputed
                                                   else settle_with(run, d)}) for d in disputes(v.entity, v.checks, mine)]
                self._disputed |= {(d.entity, d.check) for d in v.disputes}
                if v.disputes or (v.verdict == "confirmed" and not all(c.passed for c in v.checks)):
                    v.verdict = "unverified"  # the sides disagree (or the verifier's own answer does)
                v.by = "gate"
                v.checks = _merged(v.checks, mine)
            if v.verdict != given:
                out.append(self.intervention(v.entity, f"verdict {given!r} -> {v.verdict!r} after re-check: "
                                             + ", ".join(f"{c.check}={'ok' if c.passed else 'FAILED'}" for c in mine)))
        return out

    def at_exit(self, run: RunView, open_claims: Sequence[str]) -> list[Verdict]:
        return [Verdict(entity=e, verdict="unchecked", by="gate") for e in open_claims]


def _merged(verifier: list[Check], gate: list[Check]) -> list[Check]:
    """The checks a verdict records: each of the gate's, and the verifier's on what the gate did not check."""
    names = {c.check for c in gate}
    return gate + [c for c in verifier if c.check not in names]


def settle_with(run: RunView, d: Dispute) -> list[dict[str, Any]]:
    """Up to two tool calls not yet made that would settle a dispute (a re-check is a tool call):
    for the call path, the call graph and error origins of what the claim acts on, then the call
    graphs of the alerting services; in any case a fresh read of the object itself."""
    an = run.analyzer
    steps: list[dict[str, Any]] = []
    if d.check == "upstream_of_alerts":
        acted, _ = acts_on(d.entity, [(e.call_id, f.entity, f.signal, f.related) for e, f in run.state.findings()])
        services = sorted({_service(an, r) for r in acted} | {an.service_of(d.entity)} - {""})
        steps += [{"tool": t, "args": {"service": s}} for s in services for t in ("call_graph", "trace_errors")]
        steps += [{"tool": "call_graph", "args": {"service": s}} for s in an.alert_services]
    steps.append({"tool": "describe", "args": {"entity": d.entity}})
    return [s for s in steps if canonical(s["tool"], s["args"]) not in run.executed][:2]
