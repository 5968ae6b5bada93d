"""The run's termination condition: a pure read of the run (an exit a fix allows, the model's
stop, a budget).  The orchestrator ingests the new messages first; deciding changes nothing.

Why a run ends (``stop_reason``), in order:

* a budget is broken (``max_turns``, ``max_tool_calls``, ``model_error`` ...);
* with a fix guarding the exit (``owns_phases``: the termination FSM), after the verifier spoke:
  no enabled fix refuses the stop (``may_stop``) -> ``explained``; after the planner asked to stop:
  the stop was not refused -> ``explained``, refused for the ``MAX_REFUSED_STOPS``-th time ->
  ``refused_stops``;
* without one, the planner's conclude/stop (after it, or after the verifier) -> ``model_stop``;
* the planner gave up -> ``exhausted``; it planned to investigate with no step -> ``no_steps``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from autogen_agentchat.base import TerminationCondition
from autogen_agentchat.messages import BaseAgentEvent, BaseChatMessage, StopMessage

from ..fixes import Fix, RunView
from ..fixes._termination_fsm import MAX_REFUSED_STOPS

STOP_ACTIONS = ("conclude", "stop")


class TeamRun(RunView, Protocol):
    """What the termination condition reads of a run."""

    @property
    def fixes(self) -> Sequence[Fix]: ...
    @property
    def last_speaker(self) -> str: ...
    @property
    def last_plan_action(self) -> str: ...
    @property
    def stop_refused(self) -> bool: ...

    def over_budget(self) -> str | None: ...
    def has(self, capability: str) -> bool: ...
    async def ingest(self, messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> None: ...


def stop_reason(run: TeamRun) -> str | None:
    """Why the run ends now, or None: reads the run, changes nothing."""
    reason = run.over_budget()
    if reason is not None:
        return reason
    guarded = run.has("owns_phases")
    speaker, action = run.last_speaker, run.last_plan_action
    if speaker == "verifier":
        if guarded:
            return "explained" if all(f.may_stop(run) is None for f in run.fixes) else None
        return "model_stop" if action in STOP_ACTIONS else None
    if speaker != "planner":
        return None
    if action in STOP_ACTIONS:
        if not guarded:
            return "model_stop"
        if not run.stop_refused:
            return "explained"
        return "refused_stops" if run.refused_stops >= MAX_REFUSED_STOPS else None
    if action == "give_up":
        return "exhausted"  # nothing left to try: ends flagged incomplete, candidates unverified
    if action == "investigate" and not run.state.pending_steps():
        return "no_steps"
    return None


class RunTermination(TerminationCondition):
    """Ends the run when :func:`stop_reason` says so.  Composes with ``|`` and ``&`` like any
    autogen termination condition."""

    def __init__(self, run: TeamRun) -> None:
        self._run = run
        self._terminated = False

    @property
    def terminated(self) -> bool:
        return self._terminated

    async def reset(self) -> None:
        self._terminated = False

    async def __call__(self, messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> StopMessage | None:
        await self._run.ingest(messages)  # the orchestrator keeps its state current; the decision only reads it
        reason = stop_reason(self._run)
        if reason is None:
            return None
        self._terminated = True
        return StopMessage(content=f"stop: {reason}", source="orchestrator")


__all__ = ["RunTermination", "STOP_ACTIONS", "TeamRun", "stop_reason"]
