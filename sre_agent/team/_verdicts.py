"""Recording verdicts: each enabled fix reviews them (``on_verdict``), then each sets its
hypothesis' status, and every disagreement between the verifier and the gate is written down.

A dispute (:class:`sre_agent.verdicts.Dispute`) is a ``verdict_dispute`` trace event (the claim,
the check, what each side said and on which calls, ``outcome`` open or vetoed).  An open dispute
stays in the state (the planner sees it, with the tool calls that would settle it) and keeps the
claim unverified; a later verdict settles it only when tool calls ran since it opened (a re-check
is a tool call, not a re-vote).  Still open at the exit, the claim stays unconfirmed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..fixes import Fix, Intervention, RunView, Verdict
from ..state import IncidentState
from ..trace import TraceWriter
from ..verdicts import checks_from_answer

STATUSES = ("confirmed", "rejected", "unverified")


def verdicts_from_answer(parsed: dict[str, Any]) -> list[Verdict]:
    """The verifier's verdicts; its checks read as :func:`sre_agent.verdicts.checks_from_answer` reads them.

    >>> [(v.entity, v.verdict, [c.passed for c in v.checks]) for v in verdicts_from_answer(
    ...     {"verdicts": [{"entity": "ns/Pod/p", "verdict": "confirmed", "checks": [{"check": "a", "passed": True}]}]})]
    [('ns/Pod/p', 'confirmed', [False])]
    """
    out = []
    for v in parsed.get("verdicts", []) if isinstance(parsed.get("verdicts"), list) else []:
        if isinstance(v, dict) and isinstance(v.get("entity"), str):
            out.append(Verdict(entity=v["entity"], verdict=str(v.get("verdict", "")), checks=checks_from_answer(v.get("checks"))))
    return out


def record_verdicts(run: RunView, fixes: Sequence[Fix], verdicts: list[Verdict], trace: TraceWriter,
                    record: Callable[[Intervention], None], opened: dict[str, int]) -> None:
    """Let every fix review ``verdicts``, then write them into the state and the trace.
    ``opened`` maps a disputed entity to the tool-call count when its dispute opened."""
    for fix in fixes:
        for iv in fix.on_verdict(run, verdicts):
            record(iv)
    state: IncidentState = run.state
    for v in verdicts:
        status = v.verdict if v.verdict in STATUSES else "unverified"
        still = [d for d in state.disputes if d.entity == v.entity]
        if still and run.tool_calls <= opened.get(v.entity, 0) and status != "rejected":
            status = "unverified"  # a re-vote on the same evidence settles nothing
            trace.emit("state_update", changes={"dispute_kept": v.entity, "reason": "no tool call since the dispute opened"},
                       digest="")
        elif still:
            state.disputes = [d for d in state.disputes if d.entity != v.entity]
            trace.emit("state_update", changes={"dispute_settled": v.entity, "verdict": status}, digest="")
        for d in v.disputes:
            outcome = "vetoed" if status == "rejected" else "open"
            trace.emit("verdict_dispute", **d.event(), outcome=outcome)
            if outcome == "open" and all(x.check != d.check for x in state.disputes if x.entity == v.entity):
                state.disputes.append(d)
                opened[v.entity] = run.tool_calls
                question = f"dispute on {v.entity}: {d.plain()}; settle with new tool calls"
                if question[:200] not in state.open_questions:
                    state.open_questions.append(question[:200])
        if any(d.entity == v.entity for d in state.disputes) and status == "confirmed":
            status = "unverified"
        state.upsert_hypothesis(v.entity, status=status)
        if status == "rejected" and v.entity not in state.ruled_out:
            state.ruled_out.append(v.entity)
        trace.emit("verification", entity=v.entity, verdict=status, checks=[c.event() for c in v.checks], by=v.by)


__all__ = ["record_verdicts", "verdicts_from_answer"]
