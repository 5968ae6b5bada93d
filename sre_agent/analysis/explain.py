"""Which alerts the confirmed root causes explain, and the services a propagation chain reaches.

One place computes both; the orchestrator asks (after verdicts, before ruling an alert out, at
the exit).  An alert is explained when a confirmed root cause reaches its service: errors travel
to callers along synchronous calls (never back up a message queue), or along the chain the
evidence drew (failed calls a log names, when no span shows them).

Example:
    >>> from sre_agent.state import IncidentState, PropagationEdge
    >>> st = IncidentState(propagation=[PropagationEdge(source="c/NetworkChaos/x", target="s/Service/mailer"),
    ...                                 PropagationEdge(source="s/Service/mailer", target="s/Service/checkout")])
    >>> sorted(chain_from(st, "c/NetworkChaos/x"))
    ['checkout', 'mailer']
"""

from __future__ import annotations

from typing import Any

from ..state import IncidentState


def chain_from(state: IncidentState, root: str) -> set[str]:
    """The services the propagation chain reaches from ``root``, edge by edge."""
    out: set[str] = set()
    frontier = {root}
    while frontier:
        nxt = {e.target for e in state.propagation if e.source in frontier} - out
        out |= nxt
        frontier = nxt
    return {t.split("/")[-1] for t in out if "/Service/" in t}


def explain_alerts(analyzer: Any, state: IncidentState) -> None:
    """Mark each alert (not ruled out) explained when a confirmed root cause reaches its service."""
    an = analyzer
    confirmed = state.confirmed()
    for a in state.alerts:
        if a.ruled_out:
            continue
        service = an.service_of(an.resolve(a.subject)) if a.subject else ""
        a.explained = False
        for h in confirmed:
            if _reaches(an, state, h.entity, service):
                a.explained = True
                a.explanation = f"{h.entity} ({h.mechanism}) reaches {service or 'the namespace'}"
                break


def _reaches(an: Any, state: IncidentState, root: str, service: str) -> bool:
    kind = root.split("/")[1]
    if not service or kind in ("Namespace", "HorizontalPodAutoscaler"):
        return True
    related = {an.service_of(root)} | {e.target.split("/")[-1] for e in state.propagation if e.source == root}
    for _, f in state.findings():
        if f.entity == root:
            related |= {an.service_of(r) or r.split("/")[-1] for r in f.related}
    related.discard("")
    return bool(an.sync_reach(service) & related) or service in chain_from(state, root)


def rule_out_alert(analyzer: Any, state: IncidentState, key: str, reason: str) -> bool:
    """The planner rules an alert out as unrelated: accepted (True) only if no confirmed root
    cause reaches it."""
    for a in state.alerts:
        if a.key == key and not a.explained:
            explain_alerts(analyzer, state)
            if a.explained:
                return False
            a.ruled_out = True
            a.explanation = f"ruled out: {reason}" if reason else "ruled out as unrelated to the diagnosed root cause"
            return True
    return False


__all__ = ["chain_from", "explain_alerts", "rule_out_alert"]
