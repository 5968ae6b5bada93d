"""loop_breaker (FM-1.3): an identical tool call (same name and arguments) never runs twice."""

from __future__ import annotations

from typing import Any

from ..llm.reasoning import canonical
from .base import Fix, Intervention


class LoopBreaker(Fix):
    """Blocks a repeated identical tool call and tells the agent to try something new."""

    name = "loop_breaker"
    mast = ("1.3",)

    def check_tool_call(self, orch: Any, tool: str, args: dict[str, Any]) -> Intervention | None:
        if not self.enabled:
            return None
        previous = orch.executed.get(canonical(tool, args))
        if previous is None:
            return None
        return self.intervention(f"{tool}({args})", f"blocked repeat of {previous}; told the agent to try a different step")
