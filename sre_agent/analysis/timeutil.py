"""Time parsing shared by the analyses: one parser for the whole package."""

from __future__ import annotations

from ..snapshot.timefmt import parse_timestamp


def parse_k8s_time(value: object) -> float | None:
    """RFC 3339 (``2025-01-01T10:00:00Z``, with fraction or offset) -> epoch seconds, else None.

    >>> parse_k8s_time("2025-01-01T00:00:00Z")
    1735689600.0
    >>> parse_k8s_time(None) is None
    True
    """
    if not value or not isinstance(value, str):
        return None
    return parse_timestamp(value)
