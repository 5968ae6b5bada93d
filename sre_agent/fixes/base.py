"""The one protocol every structural fix implements.

A fix is a switch in the orchestration layer (never inside a model client, so it works the
same for any model).  It may intervene at a few well-defined points; each intervention is
written to the trace as a ``fix`` event naming the fix, its MAST codes, the target and what
it changed.  A disabled fix is inert: every hook returns "no change".

Example:
    >>> class Nothing(Fix):
    ...     name = "nothing"
    ...     mast = ("1.1",)
    >>> Nothing(enabled=False).check_tool_call(None, "get_alerts", {}) is None
    True
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass
class Intervention:
    """What a fix did: recorded in the trace and, for blocks, told to the agent."""

    fix: str
    mast: tuple[str, ...]
    target: str
    action: str


class Fix(ABC):
    """Base of every structural fix.  Subclasses override only the hooks they need."""

    name: ClassVar[str] = ""
    mast: ClassVar[tuple[str, ...]] = ()

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def intervention(self, target: str, action: str) -> Intervention:
        return Intervention(self.name, self.mast, target, action)

    # -- hooks (all no-ops by default) ------------------------------------------------------
    def check_tool_call(self, orch: Any, tool: str, args: dict[str, Any]) -> Intervention | None:
        """Before a tool call runs: return an intervention to block it (the agent is told why)."""
        return None

    def review_verdicts(self, orch: Any, verdicts: list[dict[str, Any]]) -> list[Intervention]:
        """After the verifier answered: may change verdicts in place."""
        return []
