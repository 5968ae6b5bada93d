"""A planner's plan, read into the shared state: its steps, hypotheses, root-cause claims,
ruled-out candidates and propagation chain.  The orchestrator decides what happens next."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..fixes import Fix, Intervention
from ..state import IncidentState, PlannedStep, PropagationEdge


@dataclass
class PlanRead:
    """What one plan asked for, once read into the state."""

    action: str
    roots: list[str] = field(default_factory=list)
    steps: list[PlannedStep] = field(default_factory=list)
    rule_outs: list[tuple[str, str]] = field(default_factory=list)  #: (alert key, reason)


def read_plan(state: IncidentState, plan: dict[str, Any], new_step_id: Callable[[], str],
              keeper: Fix | None, record: Callable[[Intervention], None]) -> PlanRead:
    """Write ``plan`` into ``state``.  ``keeper`` is the fix that keeps verdicts (a rejected claim
    re-proposed without new evidence stays rejected, and ``record`` is told); without one a
    re-proposal re-opens it."""
    for s in state.pending_steps():
        s.status = "skipped"
    steps = []
    for raw in plan.get("steps", [])[:8]:
        if not isinstance(raw, dict) or not isinstance(raw.get("tool"), str):
            continue
        step = PlannedStep(id=new_step_id(), tool=raw["tool"], args=raw.get("args") or {}, why=str(raw.get("why", ""))[:200])
        state.steps.append(step)
        steps.append(step)
    roots = [r for r in plan.get("root_causes", []) if isinstance(r, str)]
    proposed = set()
    for h in plan.get("hypotheses", [])[:8]:
        if not isinstance(h, dict) or not isinstance(h.get("entity"), str) or h["entity"].count("/") != 2:
            continue
        proposed.add(h["entity"])
        existing = state.hypothesis_for(h["entity"])
        status = existing.status if existing and existing.status in ("confirmed", "rejected") else \
            "supported" if h["entity"] in roots else "proposed"
        if existing is not None and existing.status == "rejected":
            if keeper is not None:  # the state remembers the verdict: a re-proposal with no new evidence is not re-opened
                record(keeper.intervention(h["entity"], "kept the rejected verdict; the planner re-proposed it without new evidence"))
            else:  # nothing remembers the verdict: the claim is re-opened
                status = "supported" if h["entity"] in roots else "proposed"
                if h["entity"] in state.ruled_out:
                    state.ruled_out.remove(h["entity"])
        state.upsert_hypothesis(h["entity"], mechanism=str(h.get("mechanism", ""))[:120], status=status,
                                score=float(h.get("score", 0) or 0), evidence=[str(e) for e in h.get("evidence", [])][:8],
                                reason=str(h.get("reason", ""))[:200])
    for item in plan.get("ruled_out_candidates", [])[:10]:  # e.g. trouble over before the onset
        ent = str(item.get("entity", "")) if isinstance(item, dict) else ""
        if ent.count("/") == 2 and ent not in roots and getattr(state.hypothesis_for(ent), "status", "") != "confirmed":
            state.upsert_hypothesis(ent, status="rejected", mechanism="distractor", reason=str(item.get("reason", ""))[:300])
            state.ruled_out += [] if ent in state.ruled_out else [ent]
    for r in roots:
        if r.count("/") == 2 and state.hypothesis_for(r) is None:
            state.upsert_hypothesis(r, status="supported")
    # hypotheses the planner no longer holds are dropped, verdicts are kept
    state.hypotheses = [h for h in state.hypotheses
                        if h.entity in proposed or h.entity in roots or h.status in ("confirmed", "rejected")]
    if plan.get("propagation"):
        state.propagation = [PropagationEdge(**{k: str(e.get(k, "")) for k in ("source", "target", "condition", "effect")})
                             for e in plan["propagation"] if isinstance(e, dict)][:30]
    rule_outs = [(str(i.get("key", "")), str(i.get("reason", ""))[:400]) for i in plan.get("rule_out_alerts", [])[:20]
                 if isinstance(i, dict)]
    return PlanRead(action=str(plan.get("action", "investigate")), roots=roots, steps=steps, rule_outs=rule_outs)


__all__ = ["PlanRead", "read_plan"]
