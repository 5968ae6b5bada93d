"""termination_fsm (FM-1.5, FM-3.1): a deterministic state machine owns the phases
(triage -> hypothesize -> investigate -> verify -> conclude) and the exit.  No exit before every
alert is explained or ruled out, unless a step/budget limit is hit, and then the diagnosis is
flagged incomplete.  Off: the model decides when to stop."""

from __future__ import annotations

from typing import Any

from .base import Fix, Intervention

TRANSITIONS = {
    "triage": {"hypothesize"},
    "hypothesize": {"investigate", "verify"},
    "investigate": {"hypothesize"},
    "verify": {"hypothesize", "conclude"},
    "conclude": {"done"},
    "done": set(),
}


class TerminationFSM(Fix):
    name = "termination_fsm"
    mast = ("1.5", "3.1")

    @staticmethod
    def can_move(src: str, dst: str) -> bool:
        return dst in TRANSITIONS.get(src, set())

    def may_exit(self, orch: Any) -> tuple[bool, str]:
        """Whether the run may end now: confirmed root causes and no unexplained alert."""
        state = orch.state
        if not state.confirmed():
            return False, "no confirmed root cause"
        unexplained = state.unexplained_alerts()
        if unexplained:
            return False, f"{len(unexplained)} alert(s) unexplained: " + ", ".join(a.name for a in unexplained[:4])
        return True, "every alert explained by a confirmed root cause"

    def veto_stop(self, orch: Any) -> Intervention | None:
        """When the model asks to stop: block it unless the exit criteria hold."""
        if not self.enabled:
            return None
        ok, why = self.may_exit(orch)
        if ok:
            return None
        return self.intervention("stop", f"model's stop refused: {why}")
