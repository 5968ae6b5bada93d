"""action_consistency (FM-2.6): the tool call an agent makes must match the step it announced."""

from __future__ import annotations

from typing import Any

from ..llm.reasoning import canonical
from .base import Fix, Intervention, RunView


class ActionConsistency(Fix):
    """A call that matches no announced pending step is blocked and the agent is re-asked."""

    name = "action_consistency"
    mast = ("2.6",)

    def before_tool_call(self, run: RunView, tool: str, args: dict[str, Any]) -> Intervention | None:
        pending = run.state.pending_steps()
        if not pending:
            return None
        key = canonical(tool, args)
        if any(canonical(s.tool, s.args) == key for s in pending):
            return None
        announced = ", ".join(f"{s.id}={s.tool}({s.args})" for s in pending[:3])
        return self.intervention(f"{tool}({args})", f"blocked: matches no announced step; re-asked for {announced}")
