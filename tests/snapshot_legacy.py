"""The snapshot backend's row-at-a-time span and log builders before issue 26 (csv-module rows ->
one record per row), kept as the reference the column-wise reader is checked against."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sre_agent.models import LogRecord, Span
from sre_agent.snapshot.logs import LOG_OPTIONAL, LOG_REQUIRED, map_value
from sre_agent.snapshot.timefmt import parse_timestamp
from sre_agent.snapshot.traces import SPAN_OPTIONAL, SPAN_REQUIRED, normalise_kind, normalise_status
from sre_agent.snapshot.tsv import parse_int, read_columns


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



def logs_from_rows(rows: Iterable[tuple[str, ...]]) -> tuple[list[LogRecord], int]:
    """Rows in ``LOG_REQUIRED + LOG_OPTIONAL`` order -> (records sorted by time, rows skipped)."""
    out: list[LogRecord] = []
    skipped = 0
    for ts, body, service, sev_text, sev_num, trace_id, span_id, res, attrs in rows:
        t = parse_timestamp(ts)
        if t is None:
            skipped += 1
            continue
        out.append(LogRecord(
            time=t,
            service=service or map_value(res, "service.name"),
            body=body,
            severity_text=sev_text,
            severity_number=parse_int(sev_num) if sev_num else 0,
            namespace=map_value(res, "k8s.namespace.name"),
            pod=map_value(res, "k8s.pod.name"),
            trace_id=trace_id,
            span_id=span_id,
            attributes_text=attrs,
            resource_text=res,
        ))
    out.sort(key=lambda r: r.time)
    return out, skipped



def legacy_spans(folder: Path) -> list[Span]:
    """Every span of a scenario folder as the old backend built them."""
    return spans_from_rows(read_columns(Path(folder) / "otel_traces_raw.tsv", SPAN_REQUIRED, SPAN_OPTIONAL).rows)[0]


def legacy_logs(folder: Path) -> list[LogRecord]:
    """Every log record of a scenario folder as the old backend built them."""
    return logs_from_rows(read_columns(Path(folder) / "otel_logs_raw.tsv", LOG_REQUIRED, LOG_OPTIONAL).rows)[0]
