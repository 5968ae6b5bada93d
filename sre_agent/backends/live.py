"""``LiveBackend``: the whole :class:`~sre_agent.backends.base.ObservabilityBackend` protocol over
real sources (Kubernetes API, Prometheus, Jaeger, Alertmanager), built from a :class:`LiveConfig`.

Each source is optional and independent: a source that is not configured, cannot be set up, or
stops answering makes its methods return empty results, and :meth:`LiveBackend.problems` names it
(one redacted line each), so the runner marks the run partial while the other sources still
answer.

A ``LiveBackend`` serves one triage: what it reads is kept for its life (each Kubernetes kind
listed once, each trace converted once, the default-window spans read once), so every tool of
the run sees one consistent picture and nothing is read twice.  :meth:`LiveBackend.prefetch`
starts the reads every triage needs (all spans, every object list, the events) concurrently in
the background; :meth:`LiveBackend.refresh` forgets everything read.

Example::

    from sre_agent.backends.live import LiveBackend
    from sre_agent.backends.live_config import load_live_config
    backend = LiveBackend.from_config(load_live_config("configs/live.yaml"))
    backend.alerts(); backend.metric_series("up", {"service": "cart"}); backend.problems()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..models import Alert, K8sEvent, K8sObject, LogRecord, MetricSeries, SourceProblem, Span
from ._parallel import ReadOnce
from ._redact import one_line
from ._retry import BackendRequestError
from .alertmanager import AlertmanagerBackend
from .base import BackendUnavailable
from .jaeger import JaegerBackend
from .kubernetes import KubernetesBackend
from .live_config import LiveConfig
from .prometheus import PrometheusBackend


class LiveBackend:
    """Composes the live sources; any of them may be ``None`` (reported as missing)."""

    name = "live"

    def __init__(
        self, *, kubernetes: KubernetesBackend | None = None, prometheus: PrometheusBackend | None = None,
        jaeger: JaegerBackend | None = None, alertmanager: AlertmanagerBackend | None = None,
        lookback_s: float = 3600.0, clock: Callable[[], float] = time.time,
        setup_problems: Iterable[SourceProblem] = (),
    ) -> None:
        self.kubernetes = kubernetes
        self.prometheus = prometheus
        self.jaeger = jaeger
        self.alertmanager = alertmanager
        self._lookback = lookback_s
        self._clock = clock
        self._setup_problems = list(setup_problems)
        self._lock = threading.Lock()
        self._missing: dict[str, SourceProblem] = {}
        self._reads = ReadOnce()
        self._prefetch: ThreadPoolExecutor | None = None

    def __repr__(self) -> str:
        parts = [f"{n}={getattr(self, n)!r}" for n in ("kubernetes", "prometheus", "jaeger", "alertmanager")]
        return "LiveBackend(" + ", ".join(parts) + ")"

    @classmethod
    def from_config(cls, config: LiveConfig, clock: Callable[[], float] = time.time) -> "LiveBackend":
        """Build every enabled source; a source that cannot even be set up is reported, not raised."""
        built: dict[str, Any] = {}
        problems: list[SourceProblem] = []
        factories: dict[str, Callable[[Any], Any]] = {
            "kubernetes": lambda c: KubernetesBackend.from_config(c, config.policy_for(c), config.lookback_s),
            "prometheus": lambda c: PrometheusBackend.from_config(c, config.policy_for(c), config.lookback_s),
            "jaeger": lambda c: JaegerBackend.from_config(c, config.policy_for(c), config.lookback_s),
            "alertmanager": lambda c: AlertmanagerBackend.from_config(c, config.policy_for(c)),
        }
        for name, make in factories.items():
            cfg = getattr(config, name)
            if cfg is None or not cfg.enabled:
                continue
            try:
                built[name] = make(cfg)
            except (BackendUnavailable, BackendRequestError) as exc:
                problems.append(SourceProblem(source=name, problem=one_line(str(exc))))
            except Exception as exc:  # noqa: BLE001 - a broken source must not stop the others
                problems.append(SourceProblem(source=name, problem=one_line(f"{name}: cannot be set up: "
                                                                           f"{type(exc).__name__}: {exc}")))
        return cls(lookback_s=config.lookback_s, clock=clock, setup_problems=problems, **built)

    def _need(self, source: str, what: str) -> Any:
        backend = getattr(self, source)
        if backend is None:
            with self._lock:
                if source not in self._missing and not any(p.source == source for p in self._setup_problems):
                    self._missing[source] = SourceProblem(
                        source=source, problem=f"{source} is not configured: no {what} in live mode")
        return backend

    # -- protocol ---------------------------------------------------------------------------------
    def now(self) -> float:
        return self._clock()

    def window(self) -> tuple[float, float]:
        now = self._clock()
        return (now - self._lookback, now)

    def list_objects(self, kind: str | None = None, namespace: str | None = None) -> list[K8sObject]:
        kube = self._need("kubernetes", "Kubernetes objects")
        return kube.list_objects(kind, namespace) if kube else []

    def object_history(self, kind: str, namespace: str, name: str) -> list[K8sObject]:
        kube = self._need("kubernetes", "Kubernetes objects")
        return kube.object_history(kind, namespace, name) if kube else []

    def owner_chain(self, kind: str, namespace: str, name: str) -> list[K8sObject]:
        kube = self._need("kubernetes", "Kubernetes objects")
        return kube.owner_chain(kind, namespace, name) if kube else []

    def events(self, namespace: str | None = None) -> list[K8sEvent]:
        kube = self._need("kubernetes", "Kubernetes events")
        return kube.events(namespace) if kube else []

    def logs(self, service: str | None = None, pod: str | None = None,
             since: float | None = None, until: float | None = None) -> list[LogRecord]:
        kube = self._need("kubernetes", "pod logs")
        return kube.logs(service, pod, since, until) if kube else []

    def spans(self, service: str | None = None, since: float | None = None, until: float | None = None) -> list[Span]:
        jaeger = self._need("jaeger", "traces")
        if jaeger is None:
            return []
        if since is None and until is None:  # the default window: read once per backend
            return list(self._reads.get(("spans", service), lambda: jaeger.spans(service)))
        return jaeger.spans(service, since, until)

    def metric_names(self, matchers: dict[str, str] | None = None) -> list[str]:
        prom = self._need("prometheus", "metrics")
        return prom.metric_names(matchers) if prom else []

    def metric_series(self, name: str, matchers: dict[str, str] | None = None,
                      since: float | None = None, until: float | None = None) -> list[MetricSeries]:
        prom = self._need("prometheus", "metrics")
        return prom.metric_series(name, matchers, since, until) if prom else []

    def alerts(self) -> list[Alert]:
        am = self._need("alertmanager", "alerts")
        return am.alerts() if am else []

    def prefetch(self) -> None:
        """Start, in the background, the reads every triage makes first: all spans, every object
        list and the events (two threads, each fanning out to its source's bounded pool).  The
        calls that need them later wait for these reads instead of starting their own."""
        jobs: list[Callable[[], Any]] = []
        if self.jaeger is not None:
            jobs.append(self.spans)
        if self.kubernetes is not None:
            kube = self.kubernetes
            jobs.append(lambda: (kube.list_objects(), kube.events()))
        with self._lock:
            if self._prefetch is not None or not jobs:
                return
            self._prefetch = ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="sre-agent-prefetch")
        for job in jobs:
            self._prefetch.submit(job)  # failures are the sources' problems(); a caller reads again

    def refresh(self) -> None:
        """Forget everything read so far (the next calls read the sources again)."""
        self._reads.clear()
        for name in ("kubernetes", "jaeger"):
            backend = getattr(self, name)
            if backend is not None:
                backend.refresh()

    def problems(self) -> list[SourceProblem]:
        out = list(self._setup_problems)
        with self._lock:
            out += list(self._missing.values())
        for name in ("kubernetes", "prometheus", "jaeger", "alertmanager"):
            backend = getattr(self, name)
            if backend is not None:
                out += backend.problems()
        return out

    def probes(self) -> dict[str, Callable[[], None]]:
        """One check per configured source, ``{source: check}``; a check raises ``BackendUnavailable``
        or ``BackendRequestError`` (one line) when its source does not answer.  A source that
        could not even be set up gets a check that raises its set-up problem; a source that is not
        configured has none."""
        out: dict[str, Callable[[], None]] = {}
        for problem in self._setup_problems:
            def failed(message: str = problem.problem) -> None:
                raise BackendUnavailable(message)
            out[problem.source] = failed
        for name in ("kubernetes", "prometheus", "jaeger", "alertmanager"):
            backend = getattr(self, name)
            if backend is not None:
                out[name] = backend.check
        return out

    def check(self) -> dict[str, str]:
        """Probe every configured source: ``{source: "ok" | one-line reason}`` (never raises)."""
        status = {name: "not configured" for name in ("kubernetes", "prometheus", "jaeger", "alertmanager")}
        for name, probe in self.probes().items():
            try:
                probe()
                status[name] = "ok"
            except (BackendUnavailable, BackendRequestError) as exc:
                status[name] = one_line(str(exc))
        return status

    def close(self) -> None:
        if self._prefetch is not None:
            self._prefetch.shutdown(wait=True, cancel_futures=True)
        for name in ("kubernetes", "prometheus", "jaeger", "alertmanager"):
            backend = getattr(self, name)
            if backend is not None:
                try:
                    backend.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass
