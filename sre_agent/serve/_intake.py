"""Intake: check an Alertmanager webhook (version 4) and split it into firing and resolved alerts.

Each alert is identified by its ``fingerprint`` (Alertmanager sends one per alert); when a sender
leaves it out, the fingerprint is derived from the alert's labels, so the same labels always give
the same fingerprint.  A group notification is then "this groupKey with this set of firing
fingerprints", which is what deduplication compares.

Example:
    >>> n = parse_webhook({"version": "4", "groupKey": "g", "alerts": [
    ...     {"status": "firing", "labels": {"alertname": "A"}, "fingerprint": "f1"},
    ...     {"status": "resolved", "labels": {"alertname": "B"}, "fingerprint": "f2"}]})
    >>> n.group_key, sorted(n.firing_fingerprints), [a["labels"]["alertname"] for a in n.resolved]
    ('g', ['f1'], ['B'])
    >>> [a["labels"]["alertname"] for a in n.payload["alerts"]]
    ['A']
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..backends._redact import one_line


class WebhookError(ValueError):
    """A webhook payload that cannot be triaged; the message is one line."""


def _check_alert(i: int, alert: Any) -> None:
    if not isinstance(alert, dict):
        raise WebhookError(f"alerts[{i}] must be an object")
    labels = alert.get("labels")
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise WebhookError(f"alerts[{i}].labels must be an object of strings")
    if not labels.get("alertname"):
        raise WebhookError(f"alerts[{i}].labels has no alertname")
    annotations = alert.get("annotations", {})
    if annotations is not None and not isinstance(annotations, dict):
        raise WebhookError(f"alerts[{i}].annotations must be an object")
    status = alert.get("status", "firing")
    if status not in ("firing", "resolved"):
        raise WebhookError(f"alerts[{i}].status must be firing or resolved")
    fingerprint = alert.get("fingerprint")
    if fingerprint is not None and (not isinstance(fingerprint, str) or not fingerprint or len(fingerprint) > 200):
        raise WebhookError(f"alerts[{i}].fingerprint must be a non-empty string")


def _checked(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise WebhookError("payload must be a JSON object")
    version = payload.get("version")
    if str(version) != "4":
        raise WebhookError(f"unsupported webhook version {one_line(repr(version), 40)}; expected \"4\"")
    group_key = payload.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        raise WebhookError("groupKey must be a non-empty string")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise WebhookError("alerts must be a non-empty list")
    for i, alert in enumerate(alerts):
        _check_alert(i, alert)
    return payload


def validate_webhook(payload: Any) -> dict[str, Any]:
    """Check an Alertmanager webhook (version 4); return it with only its firing alerts.

    Raises :class:`WebhookError` (one line) when the payload is not a webhook we can triage.
    """
    payload = _checked(payload)
    return {**payload, "alerts": [a for a in payload["alerts"] if a.get("status", "firing") == "firing"]}


def alert_fingerprint(alert: dict[str, Any]) -> str:
    """The alert's ``fingerprint``, or one derived from its labels when the sender gave none.

    >>> alert_fingerprint({"labels": {"alertname": "A"}, "fingerprint": "abc"})
    'abc'
    >>> alert_fingerprint({"labels": {"b": "2", "alertname": "A"}}) == alert_fingerprint({"labels": {"alertname": "A", "b": "2"}})
    True
    """
    given = alert.get("fingerprint")
    if isinstance(given, str) and given:
        return given
    text = json.dumps(sorted(alert.get("labels", {}).items()), separators=(",", ":"))
    return "labels:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Notification:
    """One validated group notification: what dedupe, the queue and the resolved log need."""

    group_key: str
    #: the webhook with only its firing alerts (what the triage reads as ``alerts.json``)
    payload: dict[str, Any]
    firing_fingerprints: frozenset[str]
    #: the resolved alerts, each with its ``fingerprint`` filled in
    resolved: tuple[dict[str, Any], ...]


def parse_webhook(payload: Any) -> Notification:
    """Validate ``payload`` (see :func:`validate_webhook`) and split it into a :class:`Notification`."""
    payload = _checked(payload)
    firing = [a for a in payload["alerts"] if a.get("status", "firing") == "firing"]
    resolved = tuple({**a, "fingerprint": alert_fingerprint(a)} for a in payload["alerts"]
                     if a.get("status", "firing") == "resolved")
    return Notification(group_key=payload["groupKey"], payload={**payload, "alerts": firing},
                        firing_fingerprints=frozenset(alert_fingerprint(a) for a in firing), resolved=resolved)
