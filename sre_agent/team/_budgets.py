"""The run's budgets (turns, tool calls, tokens, wall clock): what is left, and how a run that
breaks one ends (at the next turn boundary, flagged incomplete, the reason in the trace)."""

from __future__ import annotations

import time

from ..backends._redact import one_line
from ..config import BudgetsConfig
from ..trace import TraceWriter


class Budgets:
    """Counts what a run used and says which budget, if any, it broke."""

    def __init__(self, limits: BudgetsConfig, trace: TraceWriter) -> None:
        self.limits = limits
        self.trace = trace
        self.started = time.monotonic()
        self.turns = self.tool_calls = self.model_calls = self.total_tokens = self.max_context_tokens = 0
        self.prompt_tokens = self.completion_tokens = self.cached_calls = 0  # as the endpoint reported them
        self.budget_stop = ""  # a model call was refused (token budgets), failed, or the run timed out
        self.stop_detail = ""  # one line saying why, when the run ended on model_unusable

    def over_budget(self) -> str | None:
        b = self.limits
        if self.budget_stop:
            return self.budget_stop
        if self.turns >= b.max_turns:
            return "max_turns"
        if self.tool_calls >= b.max_tool_calls:
            return "max_tool_calls"
        if time.monotonic() - self.started > b.max_wall_seconds:
            return "max_wall_seconds"
        if self.total_tokens >= b.max_tokens_per_run:
            return "max_tokens_per_run"
        return None

    def wall_left(self) -> float:
        """Seconds left of the wall-clock budget (a model call may not wait longer)."""
        return max(0.0, self.limits.max_wall_seconds - (time.monotonic() - self.started))

    def timed_out(self, agent: str) -> None:
        """A model call outlived the wall-clock budget: it was cancelled; the run ends."""
        if not self.budget_stop:
            self.budget_stop = "max_wall_seconds"
            self.trace.emit("state_update", changes={"budget": f"{agent}: model call cancelled at the wall-clock budget "
                                                               f"({self.limits.max_wall_seconds}s)"}, digest="")

    def model_failed(self, agent: str, exc: BaseException) -> None:
        """The model endpoint failed (after its client's own retries): the run ends at the next turn
        boundary with a flagged partial diagnosis; the error is kept as one redacted line."""
        if not self.budget_stop:
            self.budget_stop = "model_error"
            self.trace.emit("state_update", changes={"model_error": f"{agent}: {one_line(f'{type(exc).__name__}: {exc}', 240)}"},
                            digest="")

    def refuse_call(self, agent: str, tokens: int) -> str | None:
        """The token budget a model call of ``tokens`` context tokens would break (then it is not
        made, and the run ends at the next turn boundary), or None."""
        b = self.limits
        reason = None
        if tokens > b.max_tokens_per_call:
            reason = "max_tokens_per_call"
        elif self.total_tokens + tokens > b.max_tokens_per_run:
            reason = "max_tokens_per_run"
        if reason and not self.budget_stop:
            self.budget_stop = reason
            self.trace.emit("state_update", changes={"budget": f"{agent}: a call of {tokens} context tokens was not made "
                                                               f"({reason}; {self.total_tokens} tokens used)"}, digest="")
        return reason


__all__ = ["Budgets"]
