"""termination_fsm (FM-1.5, FM-3.1): a deterministic state machine owns the phases
(triage -> hypothesize -> investigate -> verify -> conclude) and the exit.  No exit before every
alert is explained or ruled out, unless a step/budget limit is hit, and then the diagnosis is
flagged incomplete.  Off: the model decides when to stop.

A refused stop is not silent: the planner's next context carries a ``STOP REFUSED`` notice naming
what blocks the exit (the unexplained alerts, or no confirmed root cause), so that a model that
no longer sees the task or the state (summarized_state off, old messages trimmed) can act on it.
The planner must change course after a refusal (a plan re-issued unchanged is a repeated step for
the loop breaker); after :data:`MAX_REFUSED_STOPS` refusals, or when the planner gives up with
nothing left to try, the run ends flagged incomplete (``refused_stops`` / ``exhausted``).
"""

from __future__ import annotations

import json
from typing import Any

from .base import Fix, Intervention

#: the first line of the notice a refused stop leaves for the planner
NOTICE_MARKER = "STOP REFUSED"
#: a run whose stop was refused this many times ends (flagged incomplete, candidates unverified)
MAX_REFUSED_STOPS = 3

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

    def refusal_notice(self, orch: Any) -> str:
        """The planner's notice after a refused stop: why, and which alerts still need an
        explanation (a confirmed root cause reaching them) or a reason to rule them out.

        >>> from types import SimpleNamespace
        >>> from sre_agent.state import AlertSummary, IncidentState
        >>> st = IncidentState(alerts=[AlertSummary(key="k1", name="HighLatency", subject="cart", namespace="shop")])
        >>> text = TerminationFSM(True).refusal_notice(SimpleNamespace(state=st))
        >>> body = json.loads(text.splitlines()[1]); text.splitlines()[0], body["why"], body["unexplained_alerts"][0]["key"]
        ('STOP REFUSED', 'no confirmed root cause', 'k1')
        """
        body = {"why": self.may_exit(orch)[1], "refused_stops": int(getattr(orch, "refused_stops", 0) or 0),
                "max_refused_stops": MAX_REFUSED_STOPS,
                "unexplained_alerts": [{"key": a.key, "name": a.name, "subject": a.subject, "namespace": a.namespace}
                                       for a in orch.state.unexplained_alerts()],
                "to_exit": "confirm a root cause that reaches each alert, or rule the alert out with a reason (rule_out_alerts)",
                "change_course": "do not ask to stop again unchanged: try other tools, kinds, namespaces or time windows "
                                 "(analyze_cluster, recent_changes, get_events warnings_only), or give_up with a reason"}
        return NOTICE_MARKER + "\n" + json.dumps(body, sort_keys=True)
