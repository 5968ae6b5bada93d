"""Never an empty answer: the ranked, unverified candidates a run reports when it ends
(budget, turn limit, refused stops) before any root cause is confirmed.

A run that saw an anomaly always names something an operator can look at.  What it names
without a confirmed verdict is marked ``"verified": false``, its confidence is lowered (halved,
at most :data:`MAX_UNVERIFIED_CONFIDENCE`), and the diagnosis is flagged ``incomplete``.  The
answer is empty only when no tool found any anomaly at all.

Order: the planner's hypotheses not rejected by the verifier, best score first; then the
entities the tools found anomalous (weight summed over findings), for runs that ended before
any hypothesis was formed.

Example:
    >>> from sre_agent.state import Finding, Hypothesis, IncidentState
    >>> st = IncidentState()
    >>> st.hypotheses = [Hypothesis(id="H1", entity="ns/Deployment/cart", score=0.8, status="supported"),
    ...                  Hypothesis(id="H2", entity="ns/Pod/x", score=0.9, status="rejected")]
    >>> [(c.entity, c.score) for c in unverified_candidates(st)]
    [('ns/Deployment/cart', 0.4)]
    >>> st.hypotheses = []
    >>> _ = st.add_evidence("call_1", "service_health", "s", [Finding(entity="ns/Service/a", signal="error_rate", weight=0.6)])
    >>> [(c.entity, c.mechanism) for c in unverified_candidates(st)]
    [('ns/Service/a', 'anomalous: error_rate')]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .llm.reasoning import service_of
from .state import IncidentState

#: a candidate nobody confirmed never reports more confidence than this
MAX_UNVERIFIED_CONFIDENCE = 0.5
#: how many unverified candidates a diagnosis names at most
MAX_CANDIDATES = 3
#: finding signals that are not anomalies (the alerts themselves, plain inventory, healthy checks)
NOT_ANOMALOUS = frozenset({"alert", "healthy", "exists", "inventory", "ok", "no_anomaly", "off_alert_path"})  # an alert is the question, not evidence


@dataclass
class Candidate:
    """An unverified root-cause candidate, shaped like a hypothesis for the report."""

    entity: str
    mechanism: str
    score: float
    reason: str
    evidence: list[str] = field(default_factory=list)
    verified: bool = False


def _lowered(score: float) -> float:
    return round(min(MAX_UNVERIFIED_CONFIDENCE, max(0.0, score) * 0.5), 3)


def unverified_candidates(state: IncidentState, limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """The ranked candidates to report when no root cause is confirmed (empty without anomaly)."""
    rejected = {h.entity for h in state.hypotheses if h.status == "rejected"} | set(state.ruled_out)
    # a component whose failure cannot reach any alert (llm/reach.py) comes after those that can
    off = {f.entity.split("/")[-1] for _, f in state.findings() if f.signal == "off_alert_path"}
    out: list[Candidate] = []
    for h in sorted(state.hypotheses, key=lambda h: (-h.score, h.entity)):
        if h.entity in rejected or h.entity.count("/") != 2:
            continue
        out.append(Candidate(h.entity, h.mechanism or "hypothesis", _lowered(h.score),
                             h.reason or "the planner's best hypothesis when the run ended", list(h.evidence)))
    weights: dict[str, float] = {}
    signals: dict[str, list[str]] = {}
    calls: dict[str, list[str]] = {}
    for item, f in state.findings():
        if f.signal in NOT_ANOMALOUS or f.entity in rejected or f.entity.count("/") != 2:
            continue
        weights[f.entity] = weights.get(f.entity, 0.0) + max(0.0, f.weight)
        signals.setdefault(f.entity, [])
        if f.signal not in signals[f.entity]:
            signals[f.entity].append(f.signal)
        calls.setdefault(f.entity, []).append(item.call_id)
    for ent, w in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])):
        if any(c.entity == ent for c in out) or w <= 0:
            continue
        out.append(Candidate(ent, "anomalous: " + ", ".join(signals[ent][:3]), _lowered(min(1.0, w)),
                             "the tools found this component anomalous; no mechanism was confirmed",
                             sorted(set(calls[ent]))[:6]))
    out.sort(key=lambda c: service_of(c.entity) in off)  # stable: the order above within each group
    return out[:limit]


__all__ = ["Candidate", "MAX_UNVERIFIED_CONFIDENCE", "unverified_candidates"]
