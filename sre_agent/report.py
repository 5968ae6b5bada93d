"""The diagnosis, read from the state: ``agent_output.json`` (ITBench-Lite answer format) and
the Markdown report (root causes with confidence, propagation chain, evidence per claim citing
tool-call ids, ruled-out hypotheses, read-only next steps)."""

from __future__ import annotations

from typing import Any

from .answer import Cause, component, minimal_causes, share_evidence
from .candidates import MAX_UNVERIFIED_CONFIDENCE, unverified_candidates
from .confidence import features, load_calibration
from .config import RunConfig

NEXT_STEPS = {
    "chaos": "kubectl get {kind} {name} -n {ns} -o yaml  (inspect the experiment and its selector)",
    "ConfigMap": "kubectl get configmap {name} -n {ns} -o yaml  (compare with the previous revision)",
    "Deployment": "kubectl rollout history deployment/{name} -n {ns}  (what changed, when)",
    "Service": "kubectl get service {name} -n {ns} -o yaml; kubectl get endpoints {name} -n {ns}",
    "Pod": "kubectl describe pod {name} -n {ns}; kubectl logs {name} -n {ns} --previous",
    "NetworkPolicy": "kubectl describe networkpolicy {name} -n {ns}",
    "HorizontalPodAutoscaler": "kubectl describe hpa {name} -n {ns}",
    "Namespace": "kubectl top pods -n {name}; review the cost alert's query and threshold",
}


def next_step_line(step: str) -> str:
    """A Markdown bullet with the command alone in the code span (pasteable into a shell) and its
    comment after it.

    >>> next_step_line("kubectl describe hpa cart -n shop  (scaling events)")
    '- `kubectl describe hpa cart -n shop` (scaling events)'
    >>> next_step_line("kubectl describe networkpolicy deny -n shop")
    '- `kubectl describe networkpolicy deny -n shop`'
    """
    command, _, comment = step.partition("  (")
    return f"- `{command.strip()}` ({comment}" if comment else f"- `{command.strip()}`"


def diagnosed(orch: Any) -> list[Any]:
    """The root causes that enter the diagnosis: confirmed ones; without the verification gate,
    the planner's claims also pass on the model's word (with it, the gate re-checked them at the
    exit: :meth:`Orchestrator.check_claims_at_exit`)."""
    state = orch.state
    claims = getattr(orch, "root_claims", []) or []
    confirmed = state.confirmed()
    if claims and any(h.entity in claims for h in confirmed):
        confirmed = [h for h in confirmed if h.entity in claims]
    if confirmed or orch.needs_confirmation:
        return confirmed
    return orch.open_claims()


def _evidence_lines(orch: Any, entity: str, call_ids: list[str]) -> list[str]:
    items = [e for e in orch.state.evidence if e.call_id in set(call_ids)] or orch.state.evidence_for(entity)[:4]
    return [f"[{e.call_id}] {e.tool}: {e.summary}" for e in items[:6]]


def reported_roots(orch: Any) -> tuple[list[Any], bool]:
    """The root causes the answer names and whether they were verified: the diagnosed ones, else
    (the run ended before any was confirmed) the ranked unverified candidates — never an empty
    answer while an anomaly was seen (:mod:`sre_agent.candidates`)."""
    roots = diagnosed(orch)
    if roots:
        return roots, True
    return unverified_candidates(orch.state), False


#: report.md's line on what a confidence means (sre_agent/confidence.py)
CONFIDENCE_MEANS = ("*Confidence is a calibrated probability: of the root causes reported with confidence c on "
                    "simulated tuning incidents, about a share c were true root causes; an unverified one never "
                    f"shows more than {MAX_UNVERIFIED_CONFIDENCE}.*")


#: the reasoner's mechanism for a component blamed from its symptoms (no mechanism of its own seen)
SYMPTOM_BLAME = "deepest anomalous component"
#: a workload with more pods than this is not reported pod by pod
MAX_INSTANCES = 2


def instances(analyzer: Any, workload: str) -> list[str]:
    """The pods a workload owns (ownership chain), when there are at most :data:`MAX_INSTANCES`:
    which object carries a fault seen only as symptoms is unknown, and a single running instance
    (a data store's pod, say) is what an operator inspects first."""
    own = getattr(analyzer, "ownership", None)
    if own is None:
        return []
    pods = sorted(p for p, o in own.objects.items() if o.kind == "Pod" and workload in own.chain(p)[1:])
    return pods if 0 < len(pods) <= MAX_INSTANCES else []


def _entity(c: Cause, contributing: bool) -> dict[str, Any]:
    out = {"id": c.entity, "confidence": round(c.confidence, 3), "verified": c.verified, "reasoning": c.reasoning,
           "evidence": c.evidence, "confidence_features": {k: round(v, 4) for k, v in c.features.items()}}
    if contributing:
        out["contributing_factor"] = True
    else:
        out["why_not"] = c.why_not
    if c.instance_of:
        out["instance_of"] = c.instance_of
    return out


def answer_causes(orch: Any) -> tuple[list[Cause], list[Cause], list[Any], bool]:
    """``(answer, alternatives, roots, verified)``: every entity the run could report, with its
    calibrated confidence (:mod:`sre_agent.confidence`), cut to one per independent cause
    (:mod:`sre_agent.answer`); ``roots`` and ``verified`` as :func:`reported_roots` gives them."""
    state = orch.state
    roots, verified = reported_roots(orch)
    trace = getattr(orch, "trace", None)
    verifications = trace.of_type("verification") if trace is not None else []
    open_hyps = [h for h in state.hypotheses if h.status != "rejected" and h.entity.count("/") == 2]
    competing = [(h.entity, h.score) for h in open_hyps]
    cmap = load_calibration()
    pool: list[Cause] = []

    def add(entity: str, mechanism: str, score: float, claimed: bool, reasoning: str, evidence: list[str],
            ok: bool, instance_of: str = "") -> None:
        if any(c.entity == entity for c in pool):
            return
        feats = features(state, entity, mechanism, score, claimed=claimed, verifications=verifications, competing=competing)
        pool.append(Cause(entity, mechanism, 0.0, claimed=claimed, verified=ok, reasoning=reasoning,
                          evidence=_evidence_lines(orch, entity, evidence), features=feats, instance_of=instance_of))

    for h in roots:
        hyp = state.hypothesis_for(h.entity)
        ok = verified and getattr(h, "status", "") == "confirmed"
        add(h.entity, h.mechanism, hyp.score if hyp is not None else h.score, True,
            f"{h.mechanism}: {h.reason}".strip(": "), list(h.evidence), ok)
    for h in roots:  # a component blamed from its symptoms alone, or rolled out: its running instances
        if (h.mechanism == SYMPTOM_BLAME or h.mechanism.split("+")[0] == "spec_changed") \
                and h.entity.split("/")[1:2] in (["Deployment"], ["StatefulSet"]):
            for pod in instances(orch.analyzer, h.entity):  # verified as its workload is
                add(pod, f"runs {h.entity.split('/')[-1]} ({h.mechanism})", min(1.0, h.score) * 0.95, False,
                    f"runs {h.entity.split('/')[-1]} ({h.mechanism})", list(h.evidence),
                    verified and getattr(h, "status", "") == "confirmed", instance_of=h.entity)
    for h in sorted(open_hyps, key=lambda h: (-h.score, h.entity)):
        add(h.entity, h.mechanism, h.score, False, f"{h.mechanism}: {h.reason}".strip(": "), list(h.evidence),
            h.status == "confirmed")
    component_of = _component_of(getattr(orch, "analyzer", None))
    share_evidence(pool, component_of)  # an owner carries its failing pod's evidence, an instance its workload's verdict
    for c in pool:
        c.confidence = cmap.apply(c.features) if verified else min(cmap.apply(c.features), MAX_UNVERIFIED_CONFIDENCE)
    answer, alternatives = minimal_causes(pool, component_of)
    return answer, alternatives, roots, verified


def _component_of(analyzer: Any) -> Any:
    """An entity's component from the ownership chain the analyzer read (a pod's workload), else
    from its name (:func:`sre_agent.answer.component`)."""
    def of(entity: str) -> str:
        service = analyzer.service_of(entity) if analyzer is not None and entity.count("/") == 2 else ""
        return f"{entity.split('/')[0]}/{service}" if service else component(entity)
    return of


def build_agent_output(orch: Any) -> dict[str, Any]:
    """The ITBench-Lite answer: one contributing entity per independent cause (with calibrated
    confidence and its features), the chain's other entities, and the ranked ``alternatives``."""
    state = orch.state
    answer, alternatives, roots, verified = answer_causes(orch)
    entities = [_entity(c, True) for c in answer]
    root_ids = {h.entity for h in roots} | {e["id"] for e in entities if e["contributing_factor"]}
    for e in state.propagation:
        for ent in (e.source, e.target):
            if ent not in root_ids and all(x["id"] != ent for x in entities):
                entities.append({"id": ent, "contributing_factor": False, "reasoning": "on the propagation chain",
                                 "evidence": _evidence_lines(orch, ent, [])[:2]})
    propagations = [e.model_dump() for e in state.propagation if e.source in root_ids or any(
        x["id"] == e.source for x in entities)]
    return {
        "entities": entities,
        "propagations": propagations,
        "alerts_explained": [{"alert": a.name, "key": a.key, "explanation": a.explanation, "explained": bool(a.explained),
                              "ruled_out": bool(a.ruled_out)} for a in state.alerts],
        "alternatives": [_entity(c, False) for c in alternatives],
        "incomplete": state.incomplete or not verified,
        "incomplete_reason": state.incomplete_reason,
        "missing_sources": state.missing_sources,
    }


def build_report(orch: Any, out: dict[str, Any], config: RunConfig) -> str:
    state = orch.state
    lines = ["# Incident diagnosis", ""]
    alerts = ", ".join(f"{a.name} on {a.subject or a.namespace or 'the cluster'}" for a in state.alerts)
    lines += [f"**Alerts:** {alerts}", "",
              f"**Model:** {config.model.name} · **fixes on:** {', '.join(config.fixes.enabled()) or 'none'} · "
              f"**stop:** {orch.stop_reason} · {orch.tool_calls} tool calls, {orch.model_calls} model calls", ""]
    if out["incomplete"]:
        lines += [f"> **Incomplete diagnosis:** {state.incomplete_reason or 'exit criteria not met'}", ""]
    if state.missing_sources:
        lines += [f"> **Missing evidence:** no usable data from {', '.join(state.missing_sources)}", ""]
    lines += ["## Root causes", ""]
    roots = [e for e in out["entities"] if e["contributing_factor"]]
    confirmed = bool(diagnosed(orch))
    if not roots:
        lines += ["No root cause could be confirmed, and no tool found an anomaly.", ""]
    elif not any(e.get("verified") for e in roots) and not confirmed:
        lines += ["> **Unverified:** the run ended before any root cause was confirmed. These are the ranked "
                  "candidates as they stood, **not verified**; their confidence is lowered. Check them before acting.", ""]
    for i, e in enumerate(roots, 1):
        tag = "" if e.get("verified") or confirmed else " — unverified"
        lines += [f"{i}. **{e['id']}** (confidence {e.get('confidence', 0):.2f}{tag}): {e['reasoning']}"]
        for ev in e["evidence"]:
            lines.append(f"   - {ev}")
    if state.disputes:  # the verifier and the gate's code disagreed and no tool call settled it
        lines += ["", "## Disputed verdicts (not confirmed)", ""]
        lines += [f"- {d.entity} — {d.plain()}" for d in state.disputes]
    if roots:
        lines += ["", CONFIDENCE_MEANS]
    if out.get("alternatives"):
        lines += ["", "## Alternatives (not in the answer)", ""]
        lines += [f"{i}. {a['id']} (confidence {a['confidence']:.2f}): {a['why_not']} — {a['reasoning']}"
                  for i, a in enumerate(out["alternatives"], 1)]
    lines += ["", "## Propagation chain", ""]
    if out["propagations"]:
        for p in out["propagations"]:
            lines.append(f"- {p['source']} → {p['target']}: {p['effect']}")
    else:
        lines.append("- (none established)")
    lines += ["", "## Alerts", ""]
    for a in out["alerts_explained"]:
        subject = next((x.subject for x in state.alerts if x.key == a["key"]), "")
        name = f"{a['alert']} on {subject}" if subject else a["alert"]
        if a["explained"]:
            lines.append(f"- {name}: explained — {a['explanation']}")
        elif a.get("ruled_out"):
            lines.append(f"- {name}: {a['explanation'] or 'ruled out'}")
        else:
            lines.append(f"- {name}: not explained")
    lines += ["", "## Ruled out", ""]
    ruled = [h for h in state.hypotheses if h.status == "rejected"]
    lines += [f"- {h.entity}: {h.mechanism}" + (f" — {h.reason.removeprefix('distractor: ')}" if h.mechanism == "distractor" and h.reason else "")
              for h in ruled] or ["- (nothing)"]
    lines += ["", "## Next steps (read-only)", ""]
    for e in roots:
        ns, kind, name = e["id"].split("/")
        key = "chaos" if kind.lower().endswith("chaos") or kind == "Schedule" else kind
        tmpl = NEXT_STEPS.get(key)
        if tmpl:
            lines.append(next_step_line(tmpl.format(kind=kind.lower(), name=name, ns=ns)))
    if not roots:
        lines.append("- widen the investigation: `kubectl get events -A --sort-by=.lastTimestamp`")
    lines.append("")
    return "\n".join(lines)
