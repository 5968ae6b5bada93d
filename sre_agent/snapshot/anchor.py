"""Alerts stamped outside a recording: say so, and anchor the onset on the recording's own alerts.

``serve --snapshot`` triages webhooks against a recorded scenario.  A webhook posted today carries
``startsAt`` = now, months after the recording; taken as the onset, every recorded change would
look "long before the incident" and the answer would be nonsense.  :func:`anchor_alerts` finds
the alerts whose time lies more than ``margin`` seconds outside the recording's window, gives
each the time of the recorded alert with the same name and subject (else the same name, else the
recording's first alert), and returns a plain statement of what it did, for ``report.md`` and the
serve log.  Alerts inside the window, and alerts without a time, are left as they are.

Example:
    >>> class Recording:
    ...     def window(self): return (1000.0, 2000.0)
    ...     def alerts(self): return [Alert("HighLatency", {"service": "cart"}, active_at=1500.0)]
    >>> posted = [Alert("HighLatency", {"service": "cart"}, active_at=1_000_000.0)]
    >>> anchored, note = anchor_alerts(posted, Recording())
    >>> anchored[0].active_at
    1500.0
    >>> note.startswith("Outside the recording: the alert HighLatency is stamped 1970-01-12 13:46:40 UTC")
    True
    >>> anchor_alerts([Alert("HighLatency", active_at=1600.0)], Recording())[1] is None
    True
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from ..models import Alert

#: how far outside the recording's window an alert may lie and still count as inside it (seconds)
MARGIN_S = 3600.0


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(seconds: float) -> str:
    days = seconds / 86400
    return f"{days:.0f} days" if days >= 2 else f"{seconds / 3600:.1f} hours"


def anchor_alerts(alerts: list[Alert], backend: Any, margin: float = MARGIN_S) -> tuple[list[Alert], str | None]:
    """``(alerts, note)``: the alerts with those outside the recording re-timed, and what was done
    (``None`` when every alert lies inside the recording)."""
    start, end = backend.window()
    outside = [a for a in alerts if a.active_at is not None and not start - margin <= a.active_at <= end + margin]
    if not outside:
        return list(alerts), None
    recorded = [r for r in backend.alerts() if r.active_at is not None]
    first = min((r.active_at for r in recorded if r.active_at is not None), default=end)
    by_subject = {(r.name, r.subject): r.active_at for r in sorted(recorded, key=lambda r: r.active_at or 0.0,
                                                                      reverse=True)}
    by_name = {r.name: r.active_at for r in sorted(recorded, key=lambda r: r.active_at or 0.0, reverse=True)}
    anchored = []
    for alert in alerts:
        if alert in outside:
            t = by_subject.get((alert.name, alert.subject)) or by_name.get(alert.name) or first
            alert = replace(alert, active_at=t)
        anchored.append(alert)
    names = ", ".join(sorted({a.name for a in outside}))
    stamped = sorted(a.active_at for a in outside if a.active_at is not None)
    when = _utc(stamped[0]) if stamped[0] == stamped[-1] else f"{_utc(stamped[0])} to {_utc(stamped[-1])}"
    away = stamped[0] - end if stamped[0] > end else start - stamped[-1]
    side = "after" if stamped[0] > end else "before"
    plural = "s" if len(outside) > 1 else ""
    source = "its own alerts (first at " + _utc(first) + ")" if recorded else "its last moment (" + _utc(end) + ")"
    which = f"{len(outside)} alerts ({names}) are" if plural else f"the alert {names} is"
    note = (f"Outside the recording: {which} stamped {when}, "
            f"{_span(away)} {side} the recording ({_utc(start)} to {_utc(end)}); the recording cannot show what "
            f"happened then. The onset is anchored on {source}, so this diagnosis is the recorded incident's.")
    return anchored, note


__all__ = ["MARGIN_S", "anchor_alerts"]
