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

from .base import Fix, Intervention, RunView

#: the first line of the notice a refused stop leaves for the planner
NOTICE_MARKER = "STOP REFUSED"
#: a run whose stop was refused this many times ends (flagged incomplete, candidates unverified)
MAX_REFUSED_STOPS = 3
#: the state machine moves to verification after this many planning rounds without one
FORCE_VERIFY_AFTER = 8

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
    owns_phases = True

    @staticmethod
    def can_move(src: str, dst: str) -> bool:
        return dst in TRANSITIONS.get(src, set())

    def may_exit(self, run: Any) -> tuple[bool, str]:
        """Whether the run may end now: confirmed root causes and no unexplained alert."""
        state = run.state
        if not state.confirmed():
            return False, "no confirmed root cause"
        unexplained = state.unexplained_alerts()
        if unexplained:
            return False, f"{len(unexplained)} alert(s) unexplained: " + ", ".join(a.name for a in unexplained[:4])
        return True, "every alert explained by a confirmed root cause"

    def may_stop(self, run: RunView) -> Intervention | None:
        """The run would end now: refused unless the exit criteria hold; the notice tells the planner why."""
        ok, why = self.may_exit(run)
        if ok:
            return None
        return self.intervention("stop", f"model's stop refused: {why}", notice=self.refusal_notice(run, run.refused_stops + 1))

    def on_plan(self, run: RunView, plan_key: str) -> Intervention | None:
        """Too many planning rounds without verification: the turn goes to the verifier."""
        if run.rounds_since_verify < FORCE_VERIFY_AFTER or not run.state.hypotheses:
            return None
        return self.intervention("phase", f"{run.rounds_since_verify} planning rounds without verification: moved to verify",
                                 route="verifier")

    def refusal_notice(self, run: Any, refused: int = 0) -> str:
        """The planner's notice after a refused stop: why, and which alerts still need an
        explanation (a confirmed root cause reaching them) or a reason to rule them out.

        >>> from types import SimpleNamespace
        >>> from sre_agent.state import AlertSummary, IncidentState
        >>> st = IncidentState(alerts=[AlertSummary(key="k1", name="HighLatency", subject="cart", namespace="shop")])
        >>> text = TerminationFSM(True).refusal_notice(SimpleNamespace(state=st), 1)
        >>> body = json.loads(text.splitlines()[1]); text.splitlines()[0], body["why"], body["unexplained_alerts"][0]["key"]
        ('STOP REFUSED', 'no confirmed root cause', 'k1')
        """
        body = {"why": self.may_exit(run)[1], "refused_stops": refused,
                "max_refused_stops": MAX_REFUSED_STOPS,
                "unexplained_alerts": [{"key": a.key, "name": a.name, "subject": a.subject, "namespace": a.namespace}
                                       for a in run.state.unexplained_alerts()],
                "to_exit": "confirm a root cause that reaches each alert, or rule the alert out with a reason (rule_out_alerts)",
                "change_course": "do not ask to stop again unchanged: try other tools, kinds, namespaces or time windows "
                                 "(analyze_cluster, recent_changes, get_events warnings_only), or give_up with a reason"}
        return NOTICE_MARKER + "\n" + json.dumps(body, sort_keys=True)
