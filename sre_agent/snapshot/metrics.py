"""Prometheus samples from ``metrics/pod_<pod>[_raw].tsv`` and ``metrics/service_<svc>[_raw].tsv``.

Pod files: ``metric_name, timestamp, value, pod_name, namespace, tags``; service files add
``service_name, bucket_le, metric_type, status_code`` (column order varies, so columns are
picked by name).  A sample's labels are the non-empty label columns plus the parsed ``tags``
dict (a column wins over a tag of the same name); ``pod_name`` / ``service_name`` fall back to
the name in the file name when the column is absent.  Samples with equal (name, labels) form one
:class:`~sre_agent.models.MetricSeries`, points sorted by time.  Values are raw: counters and
histogram buckets stay cumulative.

Label keys ``pod``/``pod_name`` and ``service``/``service_name`` are synonyms in matchers.

>>> normalise_matchers({"pod": "cart-1", "namespace": "otel-demo"})
{'pod_name': 'cart-1', 'namespace': 'otel-demo'}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..models import MetricSeries, parse_map
from .columns import TsvTable

__all__ = ["LABEL_COLUMNS", "SYNONYMS", "normalise_matchers", "series_matches", "read_metric_file"]

#: Label columns, in the order they are read.
LABEL_COLUMNS = ("pod_name", "service_name", "namespace", "bucket_le", "metric_type", "status_code")

#: Matcher key -> canonical label key.
SYNONYMS = {"pod": "pod_name", "service": "service_name"}
_REVERSE = {"pod_name": "pod", "service_name": "service"}


def normalise_matchers(matchers: dict[str, str] | None) -> dict[str, str]:
    """Matcher keys ``pod`` / ``service`` -> ``pod_name`` / ``service_name``; values as strings."""
    return {SYNONYMS.get(k, k): str(v) for k, v in (matchers or {}).items()}


def series_matches(series: MetricSeries, matchers: dict[str, str]) -> bool:
    """Every (canonical) matcher equals the series' label (or its synonym's)."""
    labels = dict(series.labels)
    for key, want in matchers.items():
        have = labels.get(key)
        if have is None and key in _REVERSE:
            have = labels.get(_REVERSE[key])
        if have != want:
            return False
    return True


_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _floats(column: Any) -> Any:
    """Text -> float64, NaN where ``float()`` fails (plain decimals parsed in compiled code,
    anything else — ``nan``, ``1_000``, padded text — by ``float()`` itself, row by row)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    plain = pc.fill_null(pc.match_substring_regex(column, _PLAIN_NUMBER), False)
    out = pc.cast(pc.if_else(plain, column, pa.scalar("0")), pa.float64()).to_numpy(zero_copy_only=False).copy()
    ok = plain.to_numpy(zero_copy_only=False)
    valid = np.ones(len(out), dtype=bool)
    for i in np.flatnonzero(~ok).tolist():
        try:
            out[i] = float(column[i].as_py())
        except ValueError:
            valid[i] = False
    return out, valid


def read_metric_file(path: Path, kind: str, entity: str) -> tuple[list[MetricSeries], TsvTable]:
    """Read one metrics file into series; ``kind`` is ``pod`` or ``service``, ``entity`` its name.

    Returns the series (sorted by name, then labels) and the read result (for problems).
    """
    import numpy as np

    from .columns import pylist, read_table
    from .timefmt import parse_timestamp_column

    names = ("metric_name", "timestamp", "value") + LABEL_COLUMNS + ("tags",)
    result = read_table(path, names[:3], names[3:], report_missing=False, dictionary=names[3:] + ("metric_name",))
    table = result.table
    times = parse_timestamp_column(table.column("timestamp"))
    values, valid = _floats(table.column("value"))
    metric = pylist(table.column("metric_name"))
    good = valid & ~np.isnan(times) & np.asarray([bool(n) for n in metric], dtype=bool)
    skipped = int(len(good) - good.sum())
    keys = list(zip(metric, *(pylist(table.column(c)) for c in names[3:])))
    if skipped:
        keys = [keys[i] for i in np.flatnonzero(good).tolist()]
    groups: dict[tuple, list[tuple[float, float]]] = {}
    for key, t, v in zip(keys, times[good].tolist(), values[good].tolist()):
        pts = groups.get(key)
        if pts is None:
            pts = groups[key] = []
        pts.append((t, v))
    if skipped:
        result.skipped += skipped
        result.problems.append(f"{skipped} row(s) without a metric name, readable timestamp or value skipped")
    result.table = None  # the series hold the data now
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
