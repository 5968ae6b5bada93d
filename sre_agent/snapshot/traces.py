"""Spans from ``otel_traces_raw.tsv``.

``Duration`` is in nanoseconds; ``StatusCode`` is ``Unset`` / ``Ok`` / ``Error`` or the
protobuf spelling ``STATUS_CODE_ERROR`` (normalised by :func:`normalise_status`); ``SpanKind``
is ``Server`` ... or ``SPAN_KIND_SERVER`` (normalised by :func:`normalise_kind`).  Map columns
(``SpanAttributes``, ``ResourceAttributes``) stay raw text on the record.

>>> normalise_status("STATUS_CODE_ERROR"), normalise_status("ok"), normalise_status("")
('Error', 'Ok', 'Unset')
>>> normalise_kind("SPAN_KIND_CLIENT"), normalise_kind("Server")
('Client', 'Server')
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models import Span
from .logs import map_value
from .timefmt import parse_timestamp
from .tsv import parse_int

__all__ = ["SPAN_REQUIRED", "SPAN_OPTIONAL", "normalise_status", "normalise_kind", "spans_from_rows"]

SPAN_REQUIRED = ("Timestamp", "SpanId")
SPAN_OPTIONAL = ("TraceId", "ParentSpanId", "SpanName", "SpanKind", "ServiceName", "Duration",
                 "StatusCode", "StatusMessage", "SpanAttributes", "ResourceAttributes", "Events.Name",
                 "Events.Attributes")

_STATUS = {
    "": "Unset", "unset": "Unset", "status_code_unset": "Unset", "0": "Unset",
    "ok": "Ok", "status_code_ok": "Ok", "1": "Ok",
    "error": "Error", "status_code_error": "Error", "2": "Error",
}
_KIND = {
    "server": "Server", "client": "Client", "internal": "Internal", "producer": "Producer",
    "consumer": "Consumer", "unspecified": "Unspecified", "": "Unspecified",
}


def normalise_status(text: str) -> str:
    """Any StatusCode spelling -> ``Unset`` / ``Ok`` / ``Error`` (unknown -> ``Unset``)."""
    return _STATUS.get(text.strip().lower(), "Unset")


def normalise_kind(text: str) -> str:
    """Any SpanKind spelling -> ``Server`` / ``Client`` / ``Internal`` / ``Producer`` / ``Consumer``."""
    t = text.strip().lower()
    if t.startswith("span_kind_"):
        t = t[len("span_kind_"):]
    return _KIND.get(t, text.strip())


def spans_from_rows(rows: Iterable[tuple[str, ...]]) -> tuple[list[Span], int]:
    """Rows in ``SPAN_REQUIRED + SPAN_OPTIONAL`` order -> (spans sorted by start, rows skipped).

    A row without a readable start time or duration is skipped (and counted).
    """
    out: list[Span] = []
    append = out.append
    skipped = 0
    status_cache: dict[str, str] = {}
    kind_cache: dict[str, str] = {}
    for ts, span_id, trace_id, parent, name, kind, service, dur, status, status_msg, attrs, res, ev_n, ev_a in rows:
        t = parse_timestamp(ts)
        if t is None:
            skipped += 1
            continue
        if dur:
            d = parse_int(dur, None)
            if d is None:
                skipped += 1
                continue
        else:
            d = 0
        st = status_cache.get(status)
        if st is None:
            st = status_cache[status] = normalise_status(status)
        k = kind_cache.get(kind)
        if k is None:
            k = kind_cache[kind] = normalise_kind(kind)
        append(Span(t, trace_id, span_id, parent, name, k, service or map_value(res, "service.name"),
                    d, st, status_msg, attrs, res, *((ev_n, ev_a) if ev_n not in ("", "[]") else ("", ""))))
    out.sort(key=lambda s: s.start)
    return out, skipped
