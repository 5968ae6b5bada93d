"""Change course instead of asking to stop again: the steps the offline planner takes when its
investigation has run dry without a confirmed root cause (every hypothesis rejected, or none).

Re-issuing the same "conclude" after the termination state machine refused it only burns the
budget (issue 11: 40 turns of the same refused stop).  Instead the planner widens the search, in
order: the state analyzers over the namespace, its Warning events and changes, the logs, metrics,
Deployment and Service of every alerting and anomalous service not yet drilled, the error origin
of neighbourhood services not yet walked, and object lists (for a model that reads them).  When
nothing is left the planner gives up (action ``give_up``) instead of re-issuing a stop.  Each round takes the
next batch of steps not yet run; the run then ends flagged incomplete (stop ``exhausted``) with
the unverified candidates reported.  A model that keeps asking to stop anyway is ended by the
state machine after ``MAX_REFUSED_STOPS`` refusals.

Example:
    >>> from sre_agent.llm.reasoning import View
    >>> v = View(alerts=[{"key": "a", "subject": "cart", "namespace": "shop"}], namespace="shop")
    >>> [(t, a) for t, a, _ in widening_steps(v)][:2]
    [('analyze_cluster', {'namespace': 'shop'}), ('get_events', {'namespace': 'shop', 'warnings_only': True})]
"""

from __future__ import annotations

from typing import Any

from .reasoning import View, alert_services, canonical, deepest_anomalous

#: kinds whose current state can hold a cause no diff shows (failing pods, wiring, limits, policies)
WIDEN_KINDS = ("Pod", "Deployment", "StatefulSet", "Service", "NetworkPolicy", "HorizontalPodAutoscaler",
               "ResourceQuota", "ConfigMap")
#: steps per widening round (a round the state machine refused must be followed by a different one)
BATCH = 6
#: the widening is bounded: the first this many steps of its list, run or not, and no more
MAX_WIDEN = 24


def widening_steps(view: View) -> list[tuple[str, dict[str, Any], str]]:
    """The widening steps not yet run (of the first :data:`MAX_WIDEN`), in the order they are worth running."""
    ns = view.namespace
    out: list[tuple[str, dict[str, Any], str]] = []
    seen: set[str] = set()

    def want(tool: str, args: dict[str, Any], why: str) -> None:
        key = canonical(tool, args)
        if key not in seen:
            seen.add(key)
            out.append((tool, args, why))

    want("analyze_cluster", {"namespace": ns}, "no confirmed cause yet: the current state of every object, kind by kind")
    want("get_events", {"namespace": ns, "warnings_only": True}, "no confirmed cause yet: every Warning event of the namespace")
    want("recent_changes", {"namespace": ns}, "no confirmed cause yet: what changed in the namespace")
    services = alert_services(view) + [s for s, _ in deepest_anomalous(view)]
    for s in dict.fromkeys(services):
        want("search_logs", {"service": s}, f"no confirmed cause yet: error messages of {s}")
        want("metric_anomalies", {"entity": s}, f"no confirmed cause yet: resource anomalies of {s}")
        want("describe", {"entity": f"{ns}/Deployment/{s}"}, f"no confirmed cause yet: the Deployment of {s}")
        want("describe", {"entity": f"{ns}/Service/{s}"}, f"no confirmed cause yet: is the Service {s} wired to pods")
    walked = {c.args.get("service") for c in view.calls if c.tool in ("trace_errors", "call_graph")}
    for s in view.neighbourhood:
        if s not in walked:
            want("trace_errors", {"service": s}, f"no confirmed cause yet: does {s} originate errors")
    for kind in WIDEN_KINDS:  # for a model that reads object lists (they carry no findings)
        want("list_objects", {"kind": kind, "namespace": ns}, f"no confirmed cause yet: the current state of every {kind}")
    return [(t, a, w) for t, a, w in out[:MAX_WIDEN] if canonical(t, a) not in view.done]


def change_course(view: View) -> list[tuple[str, dict[str, Any], str]]:
    """The next batch of widening steps (empty when the search is exhausted)."""
    return widening_steps(view)[:BATCH]


__all__ = ["BATCH", "MAX_WIDEN", "WIDEN_KINDS", "change_course", "widening_steps"]
