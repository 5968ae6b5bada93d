"""Writing files exactly as the ITBench-Lite recorder does.

TSV files are what pandas ``to_csv(sep="\\t", index=False)`` writes: a header row, tab
separator, minimal quoting (a field with a tab, newline, carriage return or ``"`` is wrapped in
``"..."`` with inner quotes doubled), ``\\n`` line ends, no backslash escapes.  Map columns are
Python dict text (``str(dict)``) and list columns Python list text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

#: Columns shared by k8s_objects_raw.tsv, k8s_events_raw.tsv and otel_logs_raw.tsv.
LOG_COLUMNS = (
    "Timestamp", "TimestampTime", "TraceId", "SpanId", "TraceFlags", "SeverityText",
    "SeverityNumber", "ServiceName", "Body", "ResourceSchemaUrl", "ResourceAttributes",
    "ScopeSchemaUrl", "ScopeName", "ScopeVersion", "ScopeAttributes", "LogAttributes", "EventName",
)

#: Columns of otel_traces_raw.tsv.
TRACE_COLUMNS = (
    "Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind",
    "ServiceName", "ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes",
    "Duration", "StatusCode", "StatusMessage", "Events.Timestamp", "Events.Name",
    "Events.Attributes", "Links.TraceId", "Links.SpanId", "Links.TraceState", "Links.Attributes",
)

#: Columns of metrics/pod_*_raw.tsv.
POD_METRIC_COLUMNS = ("metric_name", "timestamp", "value", "pod_name", "namespace", "tags")

#: Columns of metrics/service_*_raw.tsv (the recorder's order varies between files).
SERVICE_METRIC_COLUMNS = (
    "metric_name", "timestamp", "value", "service_name", "namespace", "bucket_le", "tags",
    "metric_type", "status_code",
)


def write_tsv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``rows`` (sequences in ``columns`` order) as a pandas-style TSV; returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_MINIMAL, doublequote=True,
                       quotechar='"', lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
            n += 1
    return n


def write_json(path: Path, data: Any) -> None:
    """Write JSON (UTF-8, two-space indent, stable key order as given)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def fmt_value(value: float) -> str:
    """A metric value as pandas writes a float column (``12.0``, ``0.25``)."""
    return repr(float(value))
