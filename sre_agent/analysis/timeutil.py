"""Time parsing shared by the analyses."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_k8s_time(value: object) -> float | None:
    """RFC 3339 (``2025-01-01T10:00:00Z``, with fraction or offset) -> epoch seconds, else None."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    if " " in text and "T" not in text:
        text = text.replace(" ", "T", 1)
    if "." in text:
        head, _, tail = text.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        rest = tail[len(digits):]
        text = f"{head}.{digits[:6]}{rest}"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
