"""What the agents are shown: the alerts (their annotation text only as untrusted data) and, of
each tool call, its call id, summary and findings (never the bulk data)."""

from __future__ import annotations

import json
from typing import Any

from autogen_core import FunctionCall
from autogen_core.models import FunctionExecutionResult

from ..models import Alert
from ..state import AlertSummary, alert_annotations


def alert_summary(a: Alert) -> AlertSummary:
    """The state's summary of one alert: its subject is the service (or workload, pod) it names."""
    subject = a.labels.get("service_name") or a.labels.get("service") or a.labels.get("deployment") or a.labels.get("pod") or ""
    return AlertSummary(key=a.key, name=a.name, subject=subject, namespace=a.namespace, severity=a.severity,
                        description=(a.annotations.get("description") or a.annotations.get("summary") or "")[:300],
                        active_at=a.active_at)


def alerts_view(alerts: list[AlertSummary]) -> dict[str, Any]:
    """The alerts for a context; their annotation text (attacker-writable) only inside untrusted_data."""
    view: dict[str, Any] = {"alerts": [a.model_dump(exclude_defaults=True, exclude={"description"}) | {"key": a.key, "name": a.name}
                                       for a in alerts]}
    annotations = alert_annotations(alerts)
    if annotations:
        view["untrusted_data"] = {"alert_annotations": annotations}
    return view


def broadcast_line(r: Any, call: FunctionCall, result: FunctionExecutionResult) -> str:
    """What the other agents see of one tool call ``call`` whose recorded result is ``r`` (None:
    it did not run, and its error is shown)."""
    try:
        args = json.loads(call.arguments or "{}")
    except json.JSONDecodeError:
        args = {}
    if r is None:
        try:
            err = json.loads(result.content).get("error", result.content)
        except (json.JSONDecodeError, AttributeError):
            err = str(result.content)[:200]
        return "TOOL RESULT " + json.dumps({"call_id": call.id, "tool": call.name, "args": args, "error": err}, sort_keys=True)
    return "TOOL RESULT " + json.dumps({"call_id": r.call_id, "tool": call.name, "args": args, "summary": r.summary,
                                        "findings": [f.model_dump(exclude_defaults=True) | {"entity": f.entity, "signal": f.signal}
                                                     for f in r.findings[:12]]}, sort_keys=True)


__all__ = ["alert_summary", "alerts_view", "broadcast_line"]
