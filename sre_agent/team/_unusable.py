"""Give up on an unusable model: re-ask an unusable answer once, end the run after N in a row.

An answer that is not a usable plan / tool call / verdict / summary (see
:func:`sre_agent.llm.usable.check_answer`) is written to the trace as an ``unusable_answer``
event (``agent``, ``role``, ``kind`` format|role, ``mast`` 1.1|1.2, ``reason``, ``excerpt``,
``streak``) and the role is asked once more, with what was wrong.  Usable answers reset the
streak; ``budgets.max_unusable_answers`` unusable answers in a row end the run at the next turn
boundary with ``stop_reason: model_unusable`` (flagged incomplete, the reason in one line).
An endpoint that answers only prose thus costs ``max_unusable_answers`` model calls, not
``max_turns``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from autogen_core.models import CreateResult, LLMMessage, UserMessage

from ..llm.usable import Unusable, check_answer, excerpt, reask_text


class UnusableTracker:
    """Counts consecutive unusable answers of one run and records each in the trace."""

    def __init__(self, orch: Any) -> None:
        self._orch = orch
        self.streak = 0
        self.total = 0
        self.last_reason = ""

    @property
    def limit(self) -> int:
        return int(self._orch.config.budgets.max_unusable_answers)

    async def ask(self, agent: str, messages: Sequence[LLMMessage], tools: Sequence[Any],
                  once: Callable[[Sequence[LLMMessage]], Awaitable[CreateResult | None]]) -> CreateResult | None:
        """:func:`ask_usable` with this tracker."""
        return await ask_usable(self, agent, messages, tools, once)

    def usable(self) -> None:
        self.streak = 0

    def unusable(self, agent: str, problem: Unusable, content: Any) -> bool:
        """Record one unusable answer; True when the role may be re-asked (the limit is not reached)."""
        orch = self._orch
        self.streak += 1
        self.total += 1
        self.last_reason = f"{agent}: {problem.reason}"
        orch.trace.emit("unusable_answer", agent=agent, role=agent, kind=problem.kind, mast=problem.mast,
                        reason=problem.reason, excerpt=excerpt(content), streak=self.streak)
        if self.streak < self.limit:
            return True
        if not orch.budget_stop:
            orch.budget_stop = "model_unusable"
            orch.stop_detail = (f"the model gave {self.streak} unusable answers in a row "
                                f"(last: {self.last_reason})")
            orch.trace.emit("state_update", changes={"model_unusable": orch.stop_detail}, digest="")
        return False


def _tool_names(tools: Sequence[Any]) -> list[str]:
    return [t.name if hasattr(t, "name") else str(t.get("name", "")) for t in tools]


async def ask_usable(tracker: UnusableTracker | None, agent: str, messages: Sequence[LLMMessage], tools: Sequence[Any],
                     once: Callable[[Sequence[LLMMessage]], Awaitable[CreateResult | None]]) -> CreateResult | None:
    """One model call by ``once`` (``None``: the call was not made or failed), checked by
    ``tracker``; an unusable answer is re-asked once with its parse error.  Returns the last answer."""
    result = await once(messages)
    if result is None or tracker is None:
        return result
    problem = check_answer(agent, result.content, _tool_names(tools), result.finish_reason)
    if problem is None:
        tracker.usable()
        return result
    if not tracker.unusable(agent, problem, result.content):
        return result
    retry = list(messages) + [UserMessage(content=reask_text(agent, problem), source="orchestrator")]
    again = await once(retry)
    if again is None:
        return result
    problem = check_answer(agent, again.content, _tool_names(tools), again.finish_reason)
    if problem is None:
        tracker.usable()
    else:
        tracker.unusable(agent, problem, again.content)
    return again


__all__ = ["UnusableTracker", "ask_usable"]
