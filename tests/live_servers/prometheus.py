"""A real Prometheus holding exactly the given samples.

:class:`PrometheusServer` backfills :class:`~sre_agent.models.MetricSeries` into a fresh TSDB
(``promtool tsdb create-blocks-from openmetrics``) and starts ``prometheus`` on it, with no
scrape targets, on a free 127.0.0.1 port.

Example::

    with PrometheusServer(series, workdir) as prom:
        PrometheusBackend(prom.url).metric_series("up", since=t0, until=t1)
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sre_agent.models import MetricSeries

from ._process import PROMETHEUS, PROMTOOL, free_port, stop, wait_http


def _om_escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _om_value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v))


def write_openmetrics(series: Iterable[MetricSeries], path: Path) -> int:
    """Write series as OpenMetrics text for ``promtool``; returns the number of samples.

    Families are contiguous and sorted, points sorted by time (duplicate times dropped),
    timestamps in seconds with millisecond precision (Prometheus's resolution).
    """
    grouped: dict[str, dict[tuple[tuple[str, str], ...], dict[int, float]]] = {}
    for s in series:
        pts = grouped.setdefault(s.name, {}).setdefault(tuple(sorted(s.labels)), {})
        for t, v in s.points:
            pts[int(round(t * 1000))] = v
    n = 0
    with open(path, "w", encoding="utf-8") as out:
        for name in sorted(grouped):
            for labels in sorted(grouped[name]):
                lab = ",".join(f'{k}="{_om_escape(v)}"' for k, v in labels)
                head = f"{name}{{{lab}}}" if lab else name
                for ms, v in sorted(grouped[name][labels].items()):
                    out.write(f"{head} {_om_value(v)} {ms // 1000}.{ms % 1000:03d}\n")
                    n += 1
        out.write("# EOF\n")
    return n


class PrometheusServer:
    """``prometheus`` on a free 127.0.0.1 port over a TSDB backfilled from ``series``."""

    def __init__(self, series: Iterable[MetricSeries], workdir: Path, port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.series = list(series)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self._log_file: Any = None

    def __enter__(self) -> "PrometheusServer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        data = self.workdir / "data"
        om = self.workdir / "metrics.om"
        if write_openmetrics(self.series, om):
            done = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(om), str(data)],
                                  capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise RuntimeError(f"promtool failed: {done.stderr.strip()[-1000:]}")
        cfg = self.workdir / "prometheus.yml"
        cfg.write_text("global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\nscrape_configs: []\n")
        log = self.workdir / "prometheus.log"
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={data}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=100y",
             "--log.level=warn"],
            stdout=self._log_file, stderr=subprocess.STDOUT, cwd=self.workdir)
        try:
            wait_http(f"{self.url}/-/ready", 30, self.proc, log)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        stop(self.proc)
        if self._log_file:
            self._log_file.close()
