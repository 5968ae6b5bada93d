"""Metrics from a live Prometheus, through ``prometheus-api-client``'s :class:`PrometheusConnect`.

* :meth:`PrometheusBackend.metric_series` returns the **raw samples** of a window: an instant
  query of a range selector ``name{matchers}[<window>]`` at ``until`` (no step, no interpolation),
  then the points are cut to ``[since, until]``.
* :meth:`metric_names` uses label discovery (``/api/v1/label/__name__/values`` with ``match[]``).
* :meth:`query` / :meth:`query_range` run any PromQL (instant / stepped).
* Label synonyms: a matcher on ``pod`` also matches ``pod_name`` and the other way round, the
  same for ``service`` / ``service_name`` (one selector per spelling; results are merged).

Failures never raise from the protocol methods: they return ``[]`` and :meth:`problems` names
what failed (one redacted line each).  :meth:`check` raises ``BackendUnavailable`` instead.

Example::

    prom = PrometheusBackend("http://127.0.0.1:9090")
    prom.metric_series("container_cpu_usage_seconds_total", {"pod": "cart-7d9c"}, since=t0, until=t1)
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import urllib3.util
from prometheus_api_client import PrometheusConnect

from ..models import MetricSeries, SourceProblem
from ._redact import one_line
from ._retry import BackendRequestError, RetryPolicy, plain_session
from .base import BackendUnavailable

SYNONYMS: dict[str, tuple[str, ...]] = {
    "pod": ("pod", "pod_name"),
    "pod_name": ("pod_name", "pod"),
    "service": ("service", "service_name"),
    "service_name": ("service_name", "service"),
}

_LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_METRIC_NAME = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*$")


def escape_label_value(value: str) -> str:
    r"""A PromQL double-quoted string body: ``\`` ``"`` and newlines escaped.

    >>> escape_label_value('a"b\\c')
    'a\\"b\\\\c'
    """
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def selectors(name: str | None, matchers: dict[str, str] | None) -> list[str]:
    """Every PromQL selector that the matchers denote, one per synonym spelling.

    >>> selectors("up", {"pod": "a"})
    ['{__name__="up",pod="a"}', '{__name__="up",pod_name="a"}']
    """
    if name is not None and not _METRIC_NAME.match(name):
        raise ValueError(f"not a Prometheus metric name: {name!r}")
    items = sorted((matchers or {}).items())
    for key, _ in items:
        if not _LABEL_NAME.match(key):
            raise ValueError(f"not a Prometheus label name: {key!r}")
    spellings = [SYNONYMS.get(k, (k,)) for k, _ in items]
    out: list[str] = []
    for combo in itertools.product(*spellings) if items else [()]:
        if len(set(combo)) != len(combo):  # {"pod": x, "pod_name": y} must not collapse into one label
            continue
        parts = [f'__name__="{name}"'] if name else []
        parts += [f'{key}="{escape_label_value(value)}"' for key, (_, value) in zip(combo, items)]
        out.append("{" + ",".join(parts) + "}")
    return out


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _series(item: dict[str, Any], default_name: str = "") -> MetricSeries:
    metric = dict(item.get("metric") or {})
    name = metric.pop("__name__", default_name)
    if "values" in item:
        points = tuple((float(t), _float(v)) for t, v in item["values"])
    elif "value" in item:
        t, v = item["value"]
        points = ((float(t), _float(v)),)
    else:
        points = ()
    return MetricSeries(name=name, labels=tuple(sorted(metric.items())), points=points)


def _duration(seconds: float) -> str:
    return f"{max(1, int(math.ceil(seconds * 1000)))}ms"


class PrometheusBackend:
    """Read-only access to one Prometheus server's HTTP API."""

    name = "prometheus"

    def __init__(
        self, url: str, *, headers: dict[str, str] | None = None, verify_tls: bool = True,
        policy: RetryPolicy | None = None, lookback_s: float = 3600.0, clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url.rstrip("/")
        self._policy = policy or RetryPolicy()
        self._lookback = float(lookback_s)
        self._clock = clock
        session = plain_session()
        session.verify = verify_tls
        no_retry = urllib3.util.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=3,
                                      raise_on_status=False)
        self._prom = PrometheusConnect(url=self.url, headers=dict(headers or {}), retry=no_retry,
                                       session=session, timeout=self._policy.timeout)
        self._problems: dict[str, SourceProblem] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the headers
        return f"PrometheusBackend({self.url!r})"

    @classmethod
    def from_config(cls, cfg: Any, policy: RetryPolicy | None = None, lookback_s: float = 3600.0) -> "PrometheusBackend":
        return cls(cfg.url, headers=cfg.auth_headers(), verify_tls=cfg.verify_tls, policy=policy, lookback_s=lookback_s)

    # -- plumbing ---------------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self._policy.call(f"prometheus {self.url}", fn, *args, **kwargs)

    def _soft(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``_call`` that records a problem and returns ``None`` instead of raising."""
        try:
            return self._call(what, fn, *args, **kwargs)
        except (BackendUnavailable, BackendRequestError) as exc:
            self._note(what, str(exc))
            return None

    def _note(self, what: str, message: str) -> None:
        with self._lock:
            self._problems[what] = SourceProblem(source=self.name, problem=one_line(f"{what}: {message}"))

    def _window(self, since: float | None, until: float | None) -> tuple[float, float]:
        end = float(until) if until is not None else self._clock()
        start = float(since) if since is not None else end - self._lookback
        return start, end

    # -- queries ------------------------------------------------------------------------------
    def check(self) -> None:
        """Raise ``BackendUnavailable`` (one line) unless the server answers a trivial query."""
        self._call("check", self._prom.custom_query, "vector(1)")

    def query(self, promql: str, at: float | None = None) -> list[MetricSeries]:
        """An instant PromQL query at ``at`` (default now): a vector / matrix as series."""
        params = {"time": f"{at:.3f}"} if at is not None else None
        result = self._soft("instant query", self._prom.custom_query, promql, params=params)
        return [_series(item) for item in result or [] if isinstance(item, dict)]

    def query_range(self, promql: str, start: float, end: float, step: float | str = 15) -> list[MetricSeries]:
        """A stepped PromQL range query (evaluated every ``step`` seconds)."""
        result = self._soft(
            "range query", self._prom.custom_query_range, promql,
            datetime.fromtimestamp(start, timezone.utc), datetime.fromtimestamp(end, timezone.utc), str(step))
        return [_series(item) for item in result or [] if isinstance(item, dict)]

    def label_values(self, label: str, matchers: dict[str, str] | None = None) -> list[str]:
        if not _LABEL_NAME.match(label):
            return []
        try:
            sels = selectors(None, matchers) if matchers else []
        except ValueError as exc:
            self._note("label values", str(exc))
            return []
        params: dict[str, Any] = {"match[]": sels} if sels else {}
        result = self._soft("label values", self._prom.get_label_values, label, params=params)
        return sorted(str(v) for v in result or [])

    # -- protocol -----------------------------------------------------------------------------
    def metric_names(self, matchers: dict[str, str] | None = None) -> list[str]:
        return self.label_values("__name__", matchers)

    def metric_series(
        self, name: str, matchers: dict[str, str] | None = None,
        since: float | None = None, until: float | None = None,
    ) -> list[MetricSeries]:
        start, end = self._window(since, until)
        if end < start:
            return []
        try:
            sels = selectors(name, matchers)
        except ValueError as exc:
            self._note("metric series", str(exc))
            return []
        found: dict[tuple[str, tuple[tuple[str, str], ...]], MetricSeries] = {}
        for sel in sels:
            # a range selector at `end` reaching back to `start` returns the raw samples
            promql = f"{sel}[{_duration(end - start)}]"
            result = self._soft("metric series", self._prom.custom_query, promql, params={"time": f"{end:.3f}"})
            for item in result or []:
                if not isinstance(item, dict):
                    continue
                series = _series(item, name)
                pts = tuple(p for p in series.points if start <= p[0] <= end)
                found.setdefault((series.name, series.labels), MetricSeries(series.name, series.labels, pts))
        return sorted(found.values(), key=lambda s: (s.name, s.labels))

    def problems(self) -> list[SourceProblem]:
        with self._lock:
            return list(self._problems.values())

    def close(self) -> None:
        self._prom.close()
