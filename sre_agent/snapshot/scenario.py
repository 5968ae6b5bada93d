"""``SnapshotBackend``: the :class:`~sre_agent.backends.base.ObservabilityBackend` of a recorded
ITBench-Lite scenario folder.

Lazy and cached: opening a snapshot reads nothing; each source (objects, events, logs, spans,
each metrics file, alert dumps) is read on first use, once, and kept.  Map columns stay raw
text on the records.  A missing, unreadable or partly malformed file never raises: it is listed
by :meth:`SnapshotBackend.problems`.  The answer key (``ground_truth.yaml``) is never opened.

Rules (documented here because a snapshot has no wall clock):

* :meth:`~SnapshotBackend.now` is the snapshot time: the newest alert dump's file-name time;
  without timed dumps, the newest data time (object dumps, spans, events, logs).
* :meth:`~SnapshotBackend.alerts` is the content of the newest **non-empty** alert dump at or
  before ``now``: the incident's alerts as the recorder last saw them firing (the newest dump
  may be empty after alerts resolved or while Prometheus restarted).  Unreadable dumps are
  skipped (and reported).
* :meth:`~SnapshotBackend.window` is (earliest of: first alert dump, first object dump, first
  span; else first event / log) .. (latest of ``now`` and the last object dump / span).  It reads
  the objects and traces files (the analyses need both anyway), never logs or metrics.
* :meth:`~SnapshotBackend.events` holds one record per Event object: the watch's ADDED /
  MODIFIED / DELETED rows of one Event (same uid) collapse into its latest state, so counts are
  not added up twice.

Example::

    backend = SnapshotBackend("Scenario-2")
    backend.alerts()                  # reads only alert dumps
    backend.spans(service="checkout") # reads otel_traces_raw.tsv once
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..errors import InputError
from ..models import Alert, K8sEvent, K8sObject, LogRecord, MetricSeries, SourceProblem, Span
from .k8s import event_identity, load_json, parse_event, parse_objects
from .layout import SOURCE_FILES, AlertDump, alert_dumps, metric_files, source_path
from .columns import pylist, read_columnar, read_table
from .logs import LOG_BLOCK_SIZE, LOG_DICTIONARY, LOG_OPTIONAL, LOG_REQUIRED, LogTable
from .metrics import normalise_matchers, read_metric_file, series_matches
from .timefmt import parse_timestamp_column
from .traces import SPAN_DICTIONARY, SPAN_OPTIONAL, SPAN_REQUIRED, SpanTable

__all__ = ["SnapshotBackend"]

T = TypeVar("T")

_MISSING = object()


class SnapshotBackend:
    """Read-only, lazily loaded view of one ITBench-Lite scenario folder.

    ``files_read`` lists, in order, every file the backend has opened (for tests and stats).
    """

    def __init__(self, folder: Path | str, name: str | None = None) -> None:
        self.folder = Path(folder)
        self.name = name or self.folder.name
        self.files_read: list[str] = []
        self._lock = threading.RLock()
        self._cache: dict[str, Any] = {}
        self._problems: dict[str, SourceProblem] = {}
        self._metric_cache: dict[Path, list[MetricSeries]] = {}

    def __repr__(self) -> str:
        return f"SnapshotBackend({str(self.folder)!r})"

    # -- plumbing ---------------------------------------------------------------------------
    def _cached(self, key: str, build: Callable[[], T], empty: Callable[[], T] | None = None,
                source: str = "") -> T:
        """``build()`` once and keep it.  With ``empty``, an unexpected error while building is
        reported as a problem of ``source`` and ``empty()`` is kept instead (bad data never
        crashes a run)."""
        value = self._cache.get(key, _MISSING)
        if value is _MISSING:
            with self._lock:
                value = self._cache.get(key, _MISSING)
                if value is _MISSING:
                    if empty is None:
                        value = build()
                    else:
                        try:
                            value = build()
                        except (MemoryError, RecursionError, ValueError, TypeError, KeyError,
                                AttributeError, OSError, IndexError) as exc:
                            where = self._source(source) if source in SOURCE_FILES else (source or key)
                            self._note(where, f"could not be read: {type(exc).__name__}: {exc}")
                            value = empty()
                    self._cache[key] = value
        return value  # type: ignore[return-value]

    def _rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.folder))
        except ValueError:
            return str(path)

    def _note(self, path: Path | str, problem: str, skipped: int = 0) -> None:
        rel = path if isinstance(path, str) else self._rel(path)
        old = self._problems.get(rel)
        if old is not None:
            problem = f"{old.problem}; {problem}"
            skipped += old.rows_skipped
        self._problems[rel] = SourceProblem(rel, problem, skipped)

    def _read_text(self, path: Path, required: tuple[str, ...], optional: tuple[str, ...]) -> list[list[Any]]:
        """A small file's columns as Python lists: the first (Timestamp) as epoch floats (NaN when
        unreadable), the others as strings."""
        self.files_read.append(self._rel(path))
        result = read_table(path, required, optional)
        if result.problems:
            self._note(path, "; ".join(result.problems), result.skipped)
        names = list(required) + list(optional)
        table = result.table
        return [parse_timestamp_column(table.column(names[0])).tolist()] + [pylist(table.column(n)) for n in names[1:]]

    def _read_columnar(self, path: Path, required: tuple[str, ...], optional: tuple[str, ...],
                       dictionary: tuple[str, ...], build: Callable[[Any], T], **options: Any) -> T:
        """Stream the columns of ``path`` into ``build`` (see :func:`~sre_agent.snapshot.columns.read_columnar`)."""
        self.files_read.append(self._rel(path))
        result, value = read_columnar(path, required, optional, build, dictionary=dictionary, **options)
        if result.problems:
            self._note(path, "; ".join(result.problems), result.skipped)
        return value

    def _source(self, source: str) -> Path:
        return source_path(self.folder, source)

    # -- Kubernetes objects -----------------------------------------------------------------
    def _objects(self) -> dict[tuple[str, str, str], list[K8sObject]]:
        return self._cached("objects", self._load_objects, dict, "objects")

    def _load_objects(self) -> dict[tuple[str, str, str], list[K8sObject]]:
        path = self._source("objects")
        times, bodies, attrs = self._read_text(path, ("Timestamp", "Body"), ("LogAttributes",))
        parsed: dict[str, Any] = {}  # identical bodies (unchanged objects across dumps) share one dict
        dumps: list[K8sObject] = []
        bad = 0
        for t, body, attr in zip(times, bodies, attrs):
            data = parsed.get(body, _MISSING)
            if data is _MISSING:
                data = parsed[body] = load_json(body)
            objs = parse_objects(data, t, attr) if (t == t and data is not None) else []  # t != t: NaN, unreadable
            if not objs:
                bad += 1
            dumps.extend(objs)
        parsed.clear()
        if bad:
            self._note(path, f"{bad} row(s) without a readable Timestamp or object Body skipped", bad)
        dumps.sort(key=lambda o: o.observed)
        history: dict[tuple[str, str, str], list[K8sObject]] = {}
        for obj in dumps:
            history.setdefault((obj.kind, obj.namespace, obj.name), []).append(obj)
        return history

    def list_objects(self, kind: str | None = None, namespace: str | None = None) -> list[K8sObject]:
        """The latest dump of every object (sorted by kind, namespace, name).

        ``kind`` matches the Kind case-insensitively, or the plural resource (``pods``).
        """
        want = kind.lower() if kind else None
        out = []
        for (k, ns, _name), dumps in self._objects().items():
            if want is not None and k.lower() != want and dumps[-1].resource.lower() != want:
                continue
            if namespace is not None and ns != namespace:
                continue
            out.append(dumps[-1])
        out.sort(key=lambda o: (o.kind, o.namespace, o.name))
        return out

    def object_history(self, kind: str, namespace: str, name: str) -> list[K8sObject]:
        """Every dump of one object, oldest first (``kind`` case-insensitive)."""
        objects = self._objects()
        dumps = objects.get((kind, namespace, name))
        if dumps is None:
            for (k, ns, n), d in objects.items():
                if ns == namespace and n == name and k.lower() == kind.lower():
                    dumps = d
                    break
        return list(dumps or [])

    # -- events -----------------------------------------------------------------------------
    def _events(self) -> list[K8sEvent]:
        return self._cached("events", self._load_events, list, "events")

    def _load_events(self) -> list[K8sEvent]:
        path = self._source("events")
        times, bodies = self._read_text(path, ("Timestamp", "Body"), ())
        latest: dict[str, tuple[float, int, K8sEvent]] = {}
        anonymous: list[K8sEvent] = []
        bad = 0
        for i, (row_time, body) in enumerate(zip(times, bodies)):
            row_time = row_time if row_time == row_time else None  # NaN: unreadable
            data = load_json(body)
            event = parse_event(data, row_time or 0.0) if isinstance(data, dict) else None
            if event is None:
                bad += 1
                continue
            ident = event_identity(data)
            if not ident:
                anonymous.append(event)
                continue
            key = (row_time or 0.0, i)
            old = latest.get(ident)
            if old is None or key >= old[:2]:
                latest[ident] = (key[0], key[1], event)
        if bad:
            self._note(path, f"{bad} row(s) without a readable event Body skipped", bad)
        events = [e for _t, _i, e in latest.values()] + anonymous
        events.sort(key=lambda e: (e.time, e.involved_namespace, e.involved_name, e.reason))
        return events

    def events(self, namespace: str | None = None) -> list[K8sEvent]:
        """Kubernetes events (one per Event object, its latest state), oldest first."""
        events = self._events()
        if namespace is None:
            return list(events)
        return [e for e in events if e.involved_namespace == namespace]

    # -- logs -------------------------------------------------------------------------------
    def _logs(self) -> LogTable | None:
        return self._cached("logs", self._load_logs, lambda: None, "logs")

    def _load_logs(self) -> LogTable:
        path = self._source("logs")
        table, bad = self._read_columnar(path, LOG_REQUIRED, LOG_OPTIONAL, LOG_DICTIONARY, LogTable.from_table,
                                         block_size=LOG_BLOCK_SIZE)
        if bad:
            self._note(path, f"{bad} row(s) without a readable Timestamp skipped", bad)
        return table

    def logs(self, service: str | None = None, pod: str | None = None,
             since: float | None = None, until: float | None = None) -> list[LogRecord]:
        """Log records, oldest first, filtered by service and/or pod and time window."""
        table = self._logs()
        if table is None:
            return []
        return table.rows(table.select(service, pod, since, until))

    def log_table(self) -> LogTable | None:
        """The log records as columns (``None`` when the logs file is unusable): for analyses
        that would otherwise ask :meth:`logs` for every record."""
        return self._logs()

    def _log_times(self) -> Any:
        table = self._logs()
        return table.time if table is not None else ()

    # -- spans ------------------------------------------------------------------------------
    def _spans(self) -> SpanTable | None:
        return self._cached("spans", self._load_spans, lambda: None, "traces")

    def _load_spans(self) -> SpanTable:
        path = self._source("traces")
        table, bad = self._read_columnar(path, SPAN_REQUIRED, SPAN_OPTIONAL, SPAN_DICTIONARY, SpanTable.from_table)
        if bad:
            self._note(path, f"{bad} row(s) without a readable Timestamp or Duration skipped", bad)
        return table

    def _span_starts(self) -> Any:
        table = self._spans()
        return table.start if table is not None else ()

    def span_table(self) -> SpanTable | None:
        """The spans as columns (``None`` when the traces file is unusable): for analyses that
        would otherwise ask :meth:`spans` for every row."""
        return self._spans()

    def spans(self, service: str | None = None, since: float | None = None,
              until: float | None = None) -> list[Span]:
        """Spans ordered by start, filtered by emitting service and start-time window."""
        table = self._spans()
        return table.rows(table.select(service, since, until)) if table is not None else []

    # -- metrics ----------------------------------------------------------------------------
    def _metric_index(self) -> dict[tuple[str, str], list[Path]]:
        return self._cached("metric_index", lambda: metric_files(self.folder))

    def _metric_file(self, path: Path, kind: str, entity: str) -> list[MetricSeries]:
        series = self._metric_cache.get(path)
        if series is None:
            with self._lock:
                series = self._metric_cache.get(path)
                if series is None:
                    self.files_read.append(self._rel(path))
                    try:
                        series, result = read_metric_file(path, kind, entity)
                    except (MemoryError, RecursionError, ValueError, TypeError, OSError) as exc:
                        self._note(path, f"could not be read: {type(exc).__name__}: {exc}")
                        series = []
                    else:
                        if result.problems:
                            self._note(path, "; ".join(result.problems), result.skipped)
                    self._metric_cache[path] = series
        return series

    def _select_series(self, matchers: dict[str, str] | None) -> list[MetricSeries]:
        want = normalise_matchers(matchers)
        index = self._metric_index()
        if "pod_name" in want:
            keys = [("pod", want["pod_name"])]
        elif "service_name" in want:
            keys = [("service", want["service_name"])]
        else:
            keys = sorted(index)
        out: list[MetricSeries] = []
        for key in keys:
            for path in index.get(key, []):
                out.extend(s for s in self._metric_file(path, *key) if series_matches(s, want))
        return out

    def metric_names(self, matchers: dict[str, str] | None = None) -> list[str]:
        """Metric names of the series the matchers select (a pod/service matcher reads one file)."""
        return sorted({s.name for s in self._select_series(matchers)})

    def metric_series(self, name: str, matchers: dict[str, str] | None = None,
                      since: float | None = None, until: float | None = None) -> list[MetricSeries]:
        """Series of ``name`` whose labels equal every matcher, points cut to [since, until]."""
        out = []
        for s in self._select_series(matchers):
            if s.name != name:
                continue
            if since is not None or until is not None:
                pts = tuple(p for p in s.points
                            if (since is None or p[0] >= since) and (until is None or p[0] <= until))
                s = MetricSeries(s.name, s.labels, pts)
            out.append(s)
        return out

    # -- alerts and time --------------------------------------------------------------------
    def alert_dumps(self) -> list[AlertDump]:
        """The scenario's alert dump files, oldest first (names only)."""
        return self._cached("alert_dumps", lambda: alert_dumps(self.folder))

    def _read_dump(self, dump: AlertDump) -> list[Alert] | None:
        from ..alerts.load import read_alert_file  # late: sre_agent.alerts imports this package

        self.files_read.append(self._rel(dump.path))
        try:
            alerts, _fmt, _stamp = read_alert_file(dump.path)
        except InputError as exc:
            self._note(dump.path, str(exc).split(": ", 1)[-1])
            return None
        return alerts

    def now(self) -> float:
        """The snapshot time (see the module notes)."""
        return self._cached("now", self._compute_now)

    def _compute_now(self) -> float:
        times = [d.time for d in self.alert_dumps() if d.time is not None]
        if times:
            return max(times)
        ends = self._data_ends()
        return max(ends) if ends else 0.0

    def _data_ends(self) -> list[float]:
        ends = [d[-1].observed for d in self._objects().values() if d]
        starts = self._span_starts()
        if len(starts):
            ends.append(float(starts[-1]))
        events = self._events()
        if events:
            ends.append(max(e.time for e in events))
        times = self._log_times()
        if len(times):
            ends.append(float(times[-1]))
        return ends

    def window(self) -> tuple[float, float]:
        """(start, end) of the recording (see the module notes for which sources count)."""
        return self._cached("window", self._compute_window)

    def _compute_window(self) -> tuple[float, float]:
        now = self.now()
        firsts: list[float] = [d.time for d in self.alert_dumps() if d.time is not None][:1]
        lasts: list[float] = [now]
        objects = self._objects()
        if objects:
            firsts.append(min(d[0].observed for d in objects.values()))
            lasts.append(max(d[-1].observed for d in objects.values()))
        starts = self._span_starts()
        if len(starts):
            firsts.append(float(starts[0]))
            lasts.append(float(starts[-1]))
        if not firsts:
            events = self._events()
            if events:
                firsts.append(min(e.first_time or e.time for e in events))
            times = self._log_times()
            if len(times):
                firsts.append(float(times[0]))
        start = min(firsts) if firsts else now
        end = max(lasts)
        return (min(start, end), end)

    def alerts(self) -> list[Alert]:
        """Alerts of the newest non-empty alert dump at or before :meth:`now` (``[]`` if none)."""
        return list(self._cached("alerts", self._compute_alerts, list, "alerts/"))

    def _compute_alerts(self) -> list[Alert]:
        now = self.now()
        dumps = [d for d in self.alert_dumps() if d.time is None or d.time <= now]
        for dump in reversed(dumps):
            alerts = self._read_dump(dump)
            if alerts:
                return alerts
        return []

    # -- problems ---------------------------------------------------------------------------
    def problems(self) -> list[SourceProblem]:
        """Missing files (always checked, by name), plus problems of every source read so far."""
        out: dict[str, SourceProblem] = {}
        for source in SOURCE_FILES:
            path = self._source(source)
            if not path.is_file():
                out[self._rel(path)] = SourceProblem(self._rel(path), "file missing")
        if not (self.folder / "metrics").is_dir():
            out["metrics/"] = SourceProblem("metrics/", "folder missing")
        if not self.alert_dumps():
            out["alerts/"] = SourceProblem("alerts/", "no alert dumps (alerts/alerts_at_*.json)")
        with self._lock:
            for key, problem in self._problems.items():
                if key in out and problem.problem.startswith("file missing"):
                    continue
                out[key] = problem
        return sorted(out.values(), key=lambda p: p.source)
