"""Time in the simulator: integer nanoseconds since the epoch, formatted as the recorder does."""

from __future__ import annotations

from datetime import datetime, timezone

NS = 1_000_000_000
MS = 1_000_000

_sec_cache: dict[int, str] = {}


def ts_seconds(t_ns: int) -> str:
    """``YYYY-MM-DD HH:MM:SS`` (naive UTC) for a time in nanoseconds."""
    sec = t_ns // NS
    text = _sec_cache.get(sec)
    if text is None:
        text = datetime.fromtimestamp(sec, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        if len(_sec_cache) > 200_000:
            _sec_cache.clear()
        _sec_cache[sec] = text
    return text


def ts(t_ns: int) -> str:
    """``YYYY-MM-DD HH:MM:SS.fffffffff`` (naive UTC, 9 fraction digits)."""
    return f"{ts_seconds(t_ns)}.{t_ns % NS:09d}"


def rfc3339(t_ns: int, fraction: bool = False) -> str:
    """``2025-06-01T10:00:00Z`` (Kubernetes / Prometheus style), optionally with microseconds."""
    base = ts_seconds(t_ns).replace(" ", "T")
    return f"{base}.{(t_ns % NS) // 1000:06d}Z" if fraction else base + "Z"


def file_stamp(t_ns: int) -> str:
    """``YYYY-MM-DDTHH-MM-SS.ffffff`` as in ``alerts_at_<...>.json``."""
    return ts_seconds(t_ns).replace(" ", "T").replace(":", "-") + f".{(t_ns % NS) // 1000:06d}"
