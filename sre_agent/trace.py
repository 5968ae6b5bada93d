"""The run trace: one JSON object per line in ``trace.jsonl``.

Every run writes one.  It is the input of the MAST annotator (``sre_agent.mast``), of the
ablation report, and of anyone auditing a diagnosis, so its schema is a contract:

Every event has ``seq`` (0, 1, 2 ...), ``type``, ``turn`` (the team turn it belongs to, 0 before
the first) and ``wall`` (wall-clock seconds since the run started: the ONLY non-deterministic
field, kept apart so two runs with the same inputs are byte-identical once ``wall`` is dropped).

=================  =====================================================================
type               payload fields
=================  =====================================================================
run_start          config (fixes, model profile, seed, budgets), alerts [alert keys], snapshot,
                   checks_cite (true: every passed check cites the tool calls it rests on)
phase              from, to, reason                          (termination state machine)
model_call         agent, role, context_tokens, messages, output (text, truncated),
                   max_tokens (the completion cap sent, null for offline clients),
                   finish_reason, usage {prompt_tokens, completion_tokens}
unusable_answer    agent, role, kind (format|role), mast (1.1|1.2), reason, excerpt,
                   streak (consecutive unusable answers so far)
plan               agent, hypotheses [{entity, mechanism, status, score}],
                   steps [{id, tool, args, why}]             (what the planner announced)
tool_call          agent, call_id, tool, args, step_id (announced step it executes or null)
tool_result        call_id, tool, ok, summary, entities [ids], anomalies [..], truncated, error
state_update       changes {field: summary}, digest
verification       entity, verdict (confirmed|rejected|unverified), checks [{check, passed,
                   call_ids, note}] (a passed check always cites calls), by (verifier|gate)
verdict_dispute    entity, check, verifier {check, passed, call_ids}, gate {check, passed,
                   call_ids, note}, call_ids, settle_with [{tool, args}], text, outcome
                   (open: the claim stays unverified until new tool calls settle it |
                   vetoed: the gate's failed check rejected it)
fix                fix, mast [codes], target, action          (a structural fix intervened)
injected_failure   mast, profile, what                        (a model profile injected a fault)
diagnosis          entities [ids], incomplete, missing [sources], unverified [ids]
run_end            stop_reason, steps, tool_calls, model_calls, max_context_tokens,
                   total_tokens, incomplete, unusable_answers, prompt_tokens,
                   completion_tokens (as the model reported them)
=================  =====================================================================

Example:
    >>> import io, json
    >>> buf = io.StringIO()
    >>> t = TraceWriter(buf, clock=lambda: 0.0)
    >>> t.emit("phase", **{"from": "triage", "to": "hypothesize", "reason": "start"})["seq"]
    0
    >>> json.loads(buf.getvalue())["type"]
    'phase'
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

EVENT_TYPES = (
    "run_start", "phase", "model_call", "unusable_answer", "plan", "tool_call", "tool_result", "state_update",
    "verification", "verdict_dispute", "fix", "injected_failure", "diagnosis", "run_end",
)


class TraceWriter:
    """Appends trace events as JSON lines; keeps them in memory too (``events``)."""

    def __init__(self, sink: IO[str] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._sink = sink
        self._clock = clock
        self._t0 = clock()
        self.events: list[dict[str, Any]] = []
        self.turn = 0

    def emit(self, type: str, **payload: Any) -> dict[str, Any]:
        """Record one event and return it."""
        if type not in EVENT_TYPES:
            raise ValueError(f"unknown trace event type {type!r}")
        event = {"seq": len(self.events), "type": type, "turn": self.turn, **payload,
                 "wall": round(self._clock() - self._t0, 6)}
        self.events.append(event)
        if self._sink is not None:
            self._sink.write(json.dumps(event, sort_keys=True, default=str) + "\n")
        return event

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] in types]


def read_trace(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the events of a ``trace.jsonl``; raises ``ValueError`` naming the bad line."""
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {n} is not JSON ({exc.msg})") from None
            if not isinstance(event, dict) or "type" not in event:
                raise ValueError(f"{path}: line {n} is not a trace event")
            yield event


def strip_wall(event: dict[str, Any]) -> dict[str, Any]:
    """The event without its wall-clock field (for reproducibility comparisons)."""
    return {k: v for k, v in event.items() if k != "wall"}
