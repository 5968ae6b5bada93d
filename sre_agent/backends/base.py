"""The one interface every observability backend implements.

Tools (``sre_agent.tools``) talk only to this protocol, so a recorded ITBench-Lite snapshot, a
live cluster (Kubernetes API + Prometheus + Jaeger) or a test double can stand behind the same
agent.  Every method is read-only.  A backend never raises for missing or broken data: it
returns what it could read and lists the rest in :meth:`problems`.

Times are epoch seconds (UTC) as floats.  ``since`` / ``until`` bound a query window; ``None``
means "the whole recorded window" for a snapshot and "a default look-back" for a live backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from ..models import Alert, K8sEvent, K8sObject, LogRecord, MetricSeries, SourceProblem, Span


class BackendUnavailable(RuntimeError):
    """A source could not be reached; the message is one line and names the source."""


@runtime_checkable
class ObservabilityBackend(Protocol):
    """Read-only access to the data of one incident."""

    name: str

    def now(self) -> float:
        """The investigation's "now": the snapshot time for a recording, the wall clock live."""
        ...

    def window(self) -> tuple[float, float]:
        """The time range the data covers (start, end)."""
        ...

    # -- Kubernetes -------------------------------------------------------------------------
    def list_objects(self, kind: str | None = None, namespace: str | None = None) -> list[K8sObject]:
        """The latest dump of every object, optionally of one kind (``Pod``, ``Deployment`` ...)."""
        ...

    def object_history(self, kind: str, namespace: str, name: str) -> list[K8sObject]:
        """Every dump of one object, oldest first (shows changes: resourceVersion, spec, data)."""
        ...

    def events(self, namespace: str | None = None) -> list[K8sEvent]:
        """Kubernetes events, oldest first."""
        ...

    # -- Logs, traces, metrics, alerts -------------------------------------------------------
    def logs(
        self, service: str | None = None, pod: str | None = None,
        since: float | None = None, until: float | None = None,
    ) -> Iterable[LogRecord]:
        """Application log records, oldest first, filtered by service and/or pod."""
        ...

    def spans(
        self, service: str | None = None, since: float | None = None, until: float | None = None,
    ) -> Iterable[Span]:
        """Spans, filtered by emitting service; parents may belong to other services."""
        ...

    def metric_names(self, matchers: dict[str, str] | None = None) -> list[str]:
        """Metric names available for the entities the matchers select."""
        ...

    def metric_series(
        self, name: str, matchers: dict[str, str] | None = None,
        since: float | None = None, until: float | None = None,
    ) -> list[MetricSeries]:
        """Series of one metric whose labels equal every matcher (``{"service_name": "cart"}``).

        Label keys ``pod`` / ``pod_name`` and ``service`` / ``service_name`` are synonyms.
        """
        ...

    def alerts(self) -> list[Alert]:
        """Alerts firing at :meth:`now`."""
        ...

    def problems(self) -> list[SourceProblem]:
        """Sources that were missing, unreachable or partly unreadable so far."""
        ...


def iter_window(records: Iterable, since: float | None, until: float | None, attr: str = "time") -> Iterator:
    """Yield the records whose ``attr`` time lies in [since, until] (either bound optional)."""
    for record in records:
        t = getattr(record, attr)
        if since is not None and t < since:
            continue
        if until is not None and t > until:
            continue
        yield record
