"""Metric anomaly summaries: compare each series' incident window with its baseline.

Counters (cumulative) become per-second rates first; gauges are compared as they are.  A
series is anomalous when its incident mean moves away from the baseline by several baseline
deviations *and* by a meaningful relative amount.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from ..models import MetricSeries

COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket", "_seconds_total")


def is_counter(series: MetricSeries) -> bool:
    if series.name.endswith(COUNTER_SUFFIXES):
        return True
    values = [v for _, v in series.points]
    return len(values) > 3 and all(b >= a for a, b in zip(values, values[1:])) and values[-1] > values[0] * 1.5 > 0


def to_rates(points: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    """Per-second rates of a cumulative series (a counter reset counts from zero)."""
    out = []
    for (t0, v0), (t1, v1) in zip(points, points[1:]):
        dt = t1 - t0
        if dt <= 0:
            continue
        dv = v1 - v0 if v1 >= v0 else v1
        out.append((t1, dv / dt))
    return out


@dataclass
class SeriesAnomaly:
    name: str
    labels: dict[str, str]
    baseline: float
    incident: float
    score: float
    first_anomalous: float | None

    @property
    def direction(self) -> str:
        return "up" if self.incident > self.baseline else "down"


def series_anomaly(series: MetricSeries, onset: float) -> SeriesAnomaly | None:
    """The anomaly of one series around ``onset``, or None when it looks normal."""
    pts = to_rates(series.points) if is_counter(series) else [(t, v) for t, v in series.points]
    pts = [(t, v) for t, v in pts if math.isfinite(v)]
    base = [v for t, v in pts if t < onset]
    inc = [v for t, v in pts if t >= onset]
    if len(base) < 3 or len(inc) < 2:
        return None
    bm, im = statistics.fmean(base), statistics.fmean(inc)
    sd = statistics.pstdev(base)
    scale = max(sd, abs(bm) * 0.05, 1e-9)
    score = abs(im - bm) / scale
    rel = abs(im - bm) / max(abs(bm), 1e-9)
    if score < 4 or rel < 0.5:
        return None
    threshold = bm + (2 * scale if im > bm else -2 * scale)
    first = next((t for t, v in pts if t >= onset - 600 and ((v > threshold) if im > bm else (v < threshold))), None)
    return SeriesAnomaly(series.name, dict(series.labels), bm, im, min(score, 1e6), first)
