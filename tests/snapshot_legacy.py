"""The snapshot backend's row-at-a-time builders before issue 26 (csv-module rows, one record per
row, the json module for Kubernetes bodies), kept as the reference the column-wise reader is
checked against."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sre_agent.models import K8sEvent, K8sObject, LogRecord, MetricSeries, Span, parse_map
from sre_agent.snapshot.k8s import event_identity, parse_event, parse_objects
from sre_agent.snapshot.logs import LOG_OPTIONAL, LOG_REQUIRED, map_value
from sre_agent.snapshot.timefmt import parse_timestamp
from sre_agent.snapshot.traces import SPAN_OPTIONAL, SPAN_REQUIRED, normalise_kind, normalise_status
from sre_agent.snapshot.metrics import LABEL_COLUMNS
from sre_agent.snapshot.tsv import TsvResult, parse_int, read_columns


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


def legacy_objects(folder: Path) -> dict[tuple[str, str, str], list[K8sObject]]:
    """(kind, namespace, name) -> dumps oldest first, as the old backend built them (json module)."""
    rows = read_columns(Path(folder) / "k8s_objects_raw.tsv", ("Timestamp", "Body"), ("LogAttributes",)).rows
    parsed: dict[str, Any] = {}
    dumps: list[K8sObject] = []
    for ts, body, attrs in rows:
        t = parse_timestamp(ts)
        if body not in parsed:
            try:
                parsed[body] = json.loads(body)
            except (ValueError, RecursionError):
                parsed[body] = None
        data = parsed[body]
        dumps.extend(parse_objects(data, t, attrs) if (t is not None and data is not None) else [])
    dumps.sort(key=lambda o: o.observed)
    history: dict[tuple[str, str, str], list[K8sObject]] = {}
    for obj in dumps:
        history.setdefault((obj.kind, obj.namespace, obj.name), []).append(obj)
    return history


def legacy_events(folder: Path) -> list[K8sEvent]:
    """Events (one per Event object, its latest state) as the old backend built them."""
    rows = read_columns(Path(folder) / "k8s_events_raw.tsv", ("Timestamp", "Body"), ()).rows
    latest: dict[str, tuple[float, int, K8sEvent]] = {}
    anonymous: list[K8sEvent] = []
    for i, (ts, body) in enumerate(rows):
        row_time = parse_timestamp(ts)
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            data = None
        event = parse_event(data, row_time or 0.0) if isinstance(data, dict) else None
        if event is None:
            continue
        ident = event_identity(data)
        if not ident:
            anonymous.append(event)
            continue
        key = (row_time or 0.0, i)
        old = latest.get(ident)
        if old is None or key >= old[:2]:
            latest[ident] = (key[0], key[1], event)
    events = [e for _t, _i, e in latest.values()] + anonymous
    events.sort(key=lambda e: (e.time, e.involved_namespace, e.involved_name, e.reason))
    return events


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def legacy_metric_file(path: Path, kind: str, entity: str) -> tuple[list[MetricSeries], TsvResult]:
    """Read one metrics file into series; ``kind`` is ``pod`` or ``service``, ``entity`` its name.

    Returns the series (sorted by name, then labels) and the raw read result (for problems).
    """
    result = read_columns(path, ("metric_name", "timestamp", "value"), LABEL_COLUMNS + ("tags",),
                          report_missing=False)
    groups: dict[tuple, list[tuple[float, float]]] = {}
    skipped = 0
    for row in result.rows:
        name, ts, value = row[0], row[1], row[2]
        t = parse_timestamp(ts)
        v = _float(value)
        if not name or t is None or v is None:
            skipped += 1
            continue
        key = (name,) + row[3:]
        pts = groups.get(key)
        if pts is None:
            pts = groups[key] = []
        pts.append((t, v))
    if skipped:
        result.skipped += skipped
        result.problems.append(f"{skipped} row(s) without a metric name, readable timestamp or value skipped")
    result.rows = []  # the series hold the data now; free the raw rows
    tags_cache: dict[str, dict] = {}
    own_key = "pod_name" if kind == "pod" else "service_name"
    merged: dict[tuple, list[tuple[float, float]]] = {}
    for key, pts in groups.items():
        name, cols, tags_text = key[0], key[1:-1], key[-1]
        tags = tags_cache.get(tags_text)
        if tags is None:
            tags = tags_cache[tags_text] = parse_map(tags_text)
        labels: dict[str, str] = {str(k): str(v) for k, v in tags.items() if k != "__name__" and v is not None}
        for col, val in zip(LABEL_COLUMNS, cols):
            if val != "":
                labels[col] = val
        labels.setdefault(own_key, entity)
        merged.setdefault((name, tuple(sorted(labels.items()))), []).extend(pts)
    out = [MetricSeries(name, labels, tuple(sorted(pts))) for (name, labels), pts in merged.items()]
    out.sort(key=lambda s: (s.name, s.labels))
    return out, result
