"""The run's termination condition: the termination FSM's exit criteria, the model's stop, or a budget."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from autogen_agentchat.base import TerminationCondition
from autogen_agentchat.messages import BaseAgentEvent, BaseChatMessage, StopMessage

from ..fixes._termination_fsm import MAX_REFUSED_STOPS

if TYPE_CHECKING:
    from ._orchestrator import Orchestrator


class RunTermination(TerminationCondition):
    """Ends the run: the FSM's exit criteria (fix on), the model's stop (fix off), or a budget.

    Composes with ``|`` and ``&`` like any autogen termination condition.
    """

    def __init__(self, orch: Orchestrator) -> None:
        self._orch = orch
        self._terminated = False

    @property
    def terminated(self) -> bool:
        return self._terminated

    async def reset(self) -> None:
        self._terminated = False

    async def __call__(self, messages: Sequence[BaseAgentEvent | BaseChatMessage]) -> StopMessage | None:
        orch = self._orch
        await orch.ingest(messages)
        reason = orch.over_budget()
        fsm = orch.fixes["termination_fsm"]
        if reason is None and orch.last_speaker == "verifier":
            if fsm.enabled:
                ok, why = fsm.may_exit(orch)  # type: ignore[attr-defined]
                if ok:
                    reason = "explained"
            elif orch.last_plan_action in ("conclude", "stop"):
                reason = "model_stop"
        if reason is None and orch.last_speaker == "planner" and orch.last_plan_action in ("conclude", "stop"):
            if fsm.enabled:
                iv = fsm.veto_stop(orch)  # type: ignore[attr-defined]
                if iv is None:
                    reason = "explained"
                else:
                    orch.refuse_stop(iv)
                    if orch.refused_stops >= MAX_REFUSED_STOPS:
                        reason = "refused_stops"
            else:
                reason = "model_stop"
        if reason is None and orch.last_speaker == "planner" and orch.last_plan_action == "give_up":
            reason = "exhausted"  # nothing left to try: ends flagged incomplete, candidates unverified
        if reason is None and orch.last_speaker == "planner" and not orch.state.pending_steps() \
                and orch.last_plan_action == "investigate":
            reason = "no_steps"
        if reason is None:
            return None
        self._terminated = True
        orch.stop_reason = reason
        return StopMessage(content=f"stop: {reason}", source="orchestrator")


__all__ = ["RunTermination"]
