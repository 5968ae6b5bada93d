"""Alert payload formats, detected from already-decoded JSON.

=======================  =========================================================================
format name              shape
=======================  =========================================================================
``itbench-snapshot``     top-level array of Prometheus alerts (``alerts/alerts_at_*.json``); may be ``[]``
``itbench-capture``      ``{"data": {"alerts": [...]}, "status": "success", "timestamp": ...}``
``prometheus-api``       Prometheus ``GET /api/v1/alerts``: ``{"status": "success", "data": {"alerts": [...]}}``
``alertmanager-webhook`` webhook payload (``version`` "4", ``receiver``, ``status``, ``groupLabels``,
                         ``commonLabels``, ``externalURL``, ``alerts[]`` with ``startsAt``/``endsAt``)
``alertmanager-v2``      Alertmanager ``GET /api/v2/alerts``: array of alerts with ``startsAt``,
                         ``fingerprint`` and ``status: {"state": "active"|...}``
``alertmanager-v1``      the old Alertmanager ``GET /api/v1/alerts``: ``{"status": "success", "data": [...]}``
=======================  =========================================================================

Every format becomes :class:`~sre_agent.models.Alert` records: ``name`` = ``labels.alertname``,
``state`` = Prometheus' ``state`` (``firing``/``pending``), the webhook's per-alert ``status``
(``firing``/``resolved``) or the v2 ``status.state`` (``active`` -> ``firing``, else kept, e.g.
``suppressed``); ``active_at`` = ``activeAt`` or ``startsAt``.

>>> alerts, fmt = parse_alert_payload([{"labels": {"alertname": "RequestErrorRate", "severity": "warning",
...     "service_name": "cart"}, "annotations": {"description": "errors"}, "state": "firing",
...     "activeAt": "2025-01-01T10:00:00Z", "value": "0.5"}])
>>> fmt, alerts[0].name, alerts[0].subject, alerts[0].active_at
('itbench-snapshot', 'RequestErrorRate', 'cart', 1735725600.0)
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..models import Alert
from ..snapshot.timefmt import parse_timestamp

__all__ = ["AlertFormatError", "parse_alert_payload", "alert_from_dict", "EXPECTED", "FORMATS"]

FORMATS = ("itbench-snapshot", "itbench-capture", "prometheus-api", "alertmanager-webhook",
           "alertmanager-v2", "alertmanager-v1")

#: What an alert input may be (used in every error message).
EXPECTED = ("expected an ITBench-Lite alert dump (JSON array of Prometheus alerts, or the older "
            "{\"data\": {\"alerts\": [...]}} capture), an Alertmanager webhook payload, or a "
            "Prometheus /api/v1/alerts or Alertmanager /api/v2/alerts response")

_WEBHOOK_KEYS = ("version", "receiver", "groupLabels", "commonLabels", "commonAnnotations",
                 "externalURL", "groupKey", "truncatedAlerts")


class AlertFormatError(InputError):
    """The decoded JSON is no known alert format (message: one line, without the file name)."""


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): ("" if v is None else str(v)) for k, v in value.items()}


def _is_alert(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("labels"), dict)


def alert_from_dict(item: dict[str, Any]) -> Alert:
    """One alert object of any supported format -> :class:`Alert`.

    >>> a = alert_from_dict({"labels": {"alertname": "X"}, "status": {"state": "active"},
    ...                      "startsAt": "2025-01-01T10:00:00.123Z", "fingerprint": "abc"})
    >>> (a.name, a.state, a.fingerprint, a.key)
    ('X', 'firing', 'abc', 'abc')
    """
    labels = _str_map(item.get("labels"))
    status = item.get("status")
    if isinstance(status, dict):  # Alertmanager v2: {"state": "active"|"suppressed"|"unprocessed", ...}
        raw = str(status.get("state") or "active").lower()
        state = "firing" if raw == "active" else raw
    elif isinstance(status, str) and status:  # webhook: "firing" | "resolved"
        state = status.lower()
    else:
        state = str(item.get("state") or "firing").lower()
    active = parse_timestamp(item.get("activeAt")) or parse_timestamp(item.get("startsAt"))
    if active is not None and active <= 0:  # "0001-01-01T00:00:00Z" means unset
        active = None
    value = item.get("value")
    return Alert(
        name=labels.get("alertname", ""),
        labels=labels,
        annotations=_str_map(item.get("annotations")),
        state=state,
        active_at=active,
        value="" if value is None else str(value),
        fingerprint=str(item.get("fingerprint") or ""),
    )


def _alerts(items: Any, where: str) -> list[Alert]:
    if not isinstance(items, list):
        raise AlertFormatError(f"{where} is not a list")
    bad = [i for i, item in enumerate(items) if not _is_alert(item)]
    if bad:
        raise AlertFormatError(f"{where}[{bad[0]}] is not an alert (an object with a 'labels' object); {EXPECTED}")
    return [alert_from_dict(item) for item in items]


def _list_format(items: list[Any]) -> str:
    if any(isinstance(i, dict) and (isinstance(i.get("status"), dict) or ("startsAt" in i and "activeAt" not in i))
           for i in items):
        return "alertmanager-v2"
    return "itbench-snapshot"


def parse_alert_payload(obj: Any) -> tuple[list[Alert], str]:
    """Decoded JSON -> (alerts, format name); raises :class:`AlertFormatError` (an ``InputError``).

    >>> parse_alert_payload({"status": "success", "data": {"alerts": []}})
    ([], 'prometheus-api')
    >>> parse_alert_payload({"hello": 1})
    Traceback (most recent call last):
    ...
    sre_agent.alerts.formats.AlertFormatError: a JSON object with keys ['hello'], not an alert payload; expected ...
    """
    if isinstance(obj, list):
        alerts = _alerts(obj, "the array")
        return alerts, _list_format(obj)
    if not isinstance(obj, dict):
        raise AlertFormatError(f"a JSON {type(obj).__name__}, not an alert payload; {EXPECTED}")
    status = obj.get("status")
    if status == "error" or (isinstance(status, str) and "data" in obj and status != "success"):
        detail = obj.get("error") or obj.get("errorType") or ""
        raise AlertFormatError(f"an API response with status {status!r}{': ' + str(detail) if detail else ''}; {EXPECTED}")
    if "data" in obj and (status is None or isinstance(status, str)):
        data = obj["data"]
        if isinstance(data, dict) and "alerts" in data:
            return _alerts(data["alerts"], "data.alerts"), ("itbench-capture" if "timestamp" in obj else "prometheus-api")
        if isinstance(data, list):
            return _alerts(data, "data"), "alertmanager-v1"
        raise AlertFormatError(f"'data' holds no 'alerts' list; {EXPECTED}")
    if "alerts" in obj:
        alerts = _alerts(obj["alerts"], "alerts")
        if any(k in obj for k in _WEBHOOK_KEYS) or isinstance(status, str) or any("startsAt" in i for i in obj["alerts"]):
            return alerts, "alertmanager-webhook"
        return alerts, _list_format(obj["alerts"])
    if _is_alert(obj):
        return [alert_from_dict(obj)], _list_format([obj])
    keys = sorted(obj)[:8]
    raise AlertFormatError(f"a JSON object with keys {keys}, not an alert payload; {EXPECTED}")
