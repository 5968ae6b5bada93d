"""loop_breaker (FM-1.3): an identical tool call (same name and arguments) never runs twice, and a
plan re-issued unchanged after the termination state machine refused it counts as a repeated step.

Example:
    >>> plan_key({"action": "conclude", "steps": [], "root_causes": ["b", "a"]}) == plan_key(
    ...     {"action": "conclude", "root_causes": ["a", "b"], "hypotheses": [{"entity": "x"}]})
    True
"""

from __future__ import annotations

import json
from typing import Any

from ..llm.reasoning import canonical
from .base import Fix, Intervention, RunView


def plan_key(plan: dict[str, Any]) -> str:
    """What a plan asks for (action, steps, claimed root causes, alerts ruled out), as one string:
    two plans with the same key ask the team for the same thing."""
    steps = sorted(canonical(str(s.get("tool", "")), s.get("args") or {}) for s in plan.get("steps") or [] if isinstance(s, dict))
    rules = sorted(str(r.get("key", "")) for r in plan.get("rule_out_alerts") or [] if isinstance(r, dict))
    roots = sorted(str(r) for r in plan.get("root_causes") or [])
    return json.dumps([str(plan.get("action", "")), steps, roots, rules], separators=(",", ":"))


class LoopBreaker(Fix):
    """Blocks a repeated identical tool call and tells the agent to try something new."""

    name = "loop_breaker"
    mast = ("1.3",)

    def before_tool_call(self, run: RunView, tool: str, args: dict[str, Any]) -> Intervention | None:
        previous = run.executed.get(canonical(tool, args))
        if previous is None:
            return None
        return self.intervention(f"{tool}({args})", f"blocked repeat of {previous}; told the agent to try a different step",
                                 repeat_of=previous)

    def on_plan(self, run: RunView, plan_key: str) -> Intervention | None:
        """A plan identical to one whose stop was refused is a repeated step: recorded, and the
        planner is told to change course (see :mod:`sre_agent.llm.change_course`)."""
        if plan_key not in run.refused_plans:
            return None
        return self.intervention("plan", "repeated a plan whose stop was refused; told the planner to change course "
                                         "(other tools, kinds, namespaces, time windows) or rule alerts out with a reason")
