"""Timing: the incident's onset, and candidates whose own trouble started and ended before it.

The onset is the first alert (without timed alerts, the first timed anomaly a tool reported).  A candidate whose
trouble is over before the onset (a chaos experiment that recovered or timed out, a pod that
failed and recovered) is a distractor, not a cause: it is left out of the candidates and listed,
with its reason, among the ruled-out entities of the report.  A configuration change made before
the onset is *not* over (it keeps acting), so only failures and experiments can end.

Example:
    >>> from sre_agent.llm.reasoning import Call, View
    >>> v = View(alerts=[{"key": "a", "active_at": 5000.0}])
    >>> v.calls = [Call("call_4", "get_events", {}, "", [
    ...     {"entity": "cm/PodChaos/old", "signal": "chaos_experiment", "time": 1000.0, "detail": "Started: go"},
    ...     {"entity": "cm/PodChaos/old", "signal": "chaos_experiment", "time": 1300.0, "detail": "Recovered: done"},
    ...     {"entity": "cm/NetworkChaos/new", "signal": "chaos_experiment", "time": 4960.0, "detail": "Started: go"}])]
    >>> onset(v)
    5000.0
    >>> [d["entity"] for d in distractors(v)]
    ['cm/PodChaos/old']
"""

from __future__ import annotations

from typing import Any

from .reasoning import ANOMALY_SIGNALS, CHANGE_SIGNALS, View

#: event reasons (the first word of a finding's detail) that say a trouble is over
END_REASONS = ("Recovered", "AllRecovered", "TimeUp", "Completed", "Finished", "Paused", "Deleted", "Succeeded")
#: finding signals that say so by themselves (the state analyzers' finished experiments)
END_SIGNALS = {"chaos_inactive"}
#: a trouble that ended less than this many seconds before the onset may still have caused it
GRACE = 120.0
#: a pod whose last failure was seen this long before the onset (object dumps lag by minutes)
#: and that shows no current trouble has recovered
POD_QUIET = 600.0
#: untimed pod findings that describe its *last* state (kept after it recovered), not a current one
LAST_STATE = {"container_terminated", "restarts"}
#: tools whose findings describe the objects' current state (a problem there is not over)
CURRENT_STATE_TOOLS = {"analyze_cluster"}


def onset(view: View) -> float | None:
    """The first alert; without a timed alert, the first timed anomaly a tool reported.  (An
    anomaly timed before every alert is as likely a distractor's own trouble as the incident's.)"""
    times = [float(a["active_at"]) for a in view.alerts if a.get("active_at")]
    times = times or [float(f["time"]) for f in view.findings() if f.get("signal") in ANOMALY_SIGNALS and f.get("time")]
    return min(times, default=None)


def _ended(findings: list[dict[str, Any]]) -> float | None:
    """When the trouble these findings describe ended, if one says it did."""
    ends = [f["time"] for f in findings if f.get("time") is not None and (
        f.get("signal") in END_SIGNALS or str(f.get("detail", "")).split(":")[0].strip() in END_REASONS)]
    return max(ends, default=None)


def distractors(view: View) -> list[dict[str, Any]]:
    """Candidates whose trouble started and ended before the onset, with the reason to rule them out."""
    t0 = onset(view)
    if t0 is None:
        return []
    tool_of = {c.call_id: c.tool for c in view.calls}
    by_entity: dict[str, list[dict[str, Any]]] = {}
    for f in view.findings():
        by_entity.setdefault(f["entity"], []).append(f)
    out = []
    for ent, fs in sorted(by_entity.items()):
        if {f.get("signal") for f in fs} & (CHANGE_SIGNALS - {"chaos_experiment"}):
            continue  # a change keeps acting once made
        times = [f["time"] for f in fs if f.get("time") is not None]
        end = _ended(fs)
        current = [f for f in fs if (f.get("time") is None and f.get("signal") not in LAST_STATE)
                   or tool_of.get(f.get("call_id", "")) in CURRENT_STATE_TOOLS]
        if end is None and ent.split("/")[1:2] == ["Pod"] and times and not current:
            # a pod's failures are seen when they happen; what it suffers now carries no time or
            # comes from the state analyzers: every failure long before the onset, none now: recovered
            end = max(times) if max(times) <= t0 - POD_QUIET else None
        if end is None or not times or max(times) > end or end > t0 - GRACE:
            continue
        out.append({"entity": ent, "start": min(times), "end": end,
                    "reason": f"distractor: its trouble started {int(t0 - min(times))}s and ended {int(t0 - end)}s "
                              f"before the incident's onset, so it cannot have caused it"})
    return out


__all__ = ["END_REASONS", "GRACE", "POD_QUIET", "distractors", "onset"]
