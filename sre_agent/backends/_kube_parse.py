"""Parsing what the Kubernetes API answers: RFC 3339 times, log levels, Event objects.

Example:
    >>> parse_k8s_time("2024-01-01T00:00:01.5Z")
    1704067201.5
    >>> guess_severity("ERROR failed to reach redis")
    ('ERROR', 17)
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ..models import K8sEvent


def parse_k8s_time(text: Any) -> float | None:
    """RFC 3339 (``Z``, offsets, up to 9 fraction digits) -> epoch seconds; ``None`` if unreadable."""
    if not text or not isinstance(text, str):
        return None
    m = re.match(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$", text.strip())
    if not m:
        return None
    day, clock, frac, zone = m.groups()
    zone = "+00:00" if zone in (None, "Z") else (zone if ":" in zone else zone[:3] + ":" + zone[3:])
    try:
        dt = datetime.fromisoformat(f"{day}T{clock}{zone}")
    except ValueError:
        return None
    return dt.timestamp() + (float("0." + frac) if frac else 0.0)


_LEVELS = (
    (re.compile(r"(?i)\b(fatal|panic|critical|crit)\b"), "FATAL", 21),
    (re.compile(r"(?i)\b(error|err|exception|fail(ed|ure)?)\b"), "ERROR", 17),
    (re.compile(r"(?i)\b(warn|warning)\b"), "WARN", 13),
    (re.compile(r"(?i)\b(info)\b"), "INFO", 9),
    (re.compile(r"(?i)\b(debug|trace)\b"), "DEBUG", 5),
)


def guess_severity(line: str) -> tuple[str, int]:
    """A log line's level from its text (``("", 0)`` when none is visible)."""
    head = line[:200]
    for pattern, text, number in _LEVELS:
        if pattern.search(head):
            return text, number
    return "", 0


def event_from_json(obj: dict[str, Any], watch_type: str = "ADDED") -> K8sEvent | None:
    """Normalise a core v1 or an events.k8s.io/v1 Event object; ``None`` if it names nothing."""
    meta = obj.get("metadata") or {}
    if "regarding" in obj or "note" in obj or str(obj.get("apiVersion", "")).startswith("events.k8s.io"):
        ref = obj.get("regarding") or {}
        series = obj.get("series") or {}
        time_ = (parse_k8s_time(series.get("lastObservedTime")) or parse_k8s_time(obj.get("eventTime"))
                 or parse_k8s_time(obj.get("deprecatedLastTimestamp")) or parse_k8s_time(meta.get("creationTimestamp")))
        first = parse_k8s_time(obj.get("deprecatedFirstTimestamp")) or parse_k8s_time(obj.get("eventTime"))
        count = series.get("count") or obj.get("deprecatedCount") or 1
        source = obj.get("reportingController") or (obj.get("deprecatedSource") or {}).get("component", "")
        message = obj.get("note") or ""
    else:
        ref = obj.get("involvedObject") or {}
        time_ = (parse_k8s_time(obj.get("lastTimestamp")) or parse_k8s_time(obj.get("eventTime"))
                 or parse_k8s_time(obj.get("firstTimestamp")) or parse_k8s_time(meta.get("creationTimestamp")))
        first = parse_k8s_time(obj.get("firstTimestamp"))
        count = obj.get("count") or 1
        source = (obj.get("source") or {}).get("component", "") or obj.get("reportingComponent") or ""
        message = obj.get("message") or ""
    if not ref.get("name") and not ref.get("kind"):
        return None
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 1
    return K8sEvent(
        time=time_ or 0.0, type=str(obj.get("type") or ""), reason=str(obj.get("reason") or ""),
        message=str(message), involved_kind=str(ref.get("kind") or ""),
        involved_namespace=str(ref.get("namespace") or meta.get("namespace") or ""),
        involved_name=str(ref.get("name") or ""), count=count, source=str(source or ""),
        watch_type=watch_type, first_time=first,
    )
