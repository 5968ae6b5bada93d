"""Typed records of observability data, shared by every backend.

Each record is a small frozen dataclass: cheap to build in bulk (a scenario holds 10^4-10^5
spans and log lines), comparable, and free of any backend detail.  Map-valued columns
(``SpanAttributes``, ``ResourceAttributes`` ...) are kept as their raw text and parsed only
when a tool asks for them (:func:`parse_map`), because parsing Python-dict text is the most
expensive part of reading a snapshot.

Example:
    >>> from sre_agent.models import Span
    >>> s = Span(start=0.0, trace_id="t", span_id="a", parent_span_id="", name="GET /",
    ...          kind="Server", service="frontend", duration_ns=2_000_000, status="Error")
    >>> s.is_error, s.duration_ms
    (True, 2.0)
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from typing import Any


def parse_map(text: str | None) -> dict[str, Any]:
    """Parse a map column written as Python-dict text (JSON as fallback); ``{}`` when unreadable.

    >>> parse_map("{'service.name': 'cart'}")
    {'service.name': 'cart'}
    >>> parse_map('not a dict')
    {}
    """
    if not text:
        return {}
    if isinstance(text, dict):
        return text
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class EntityRef:
    """A Kubernetes-style entity: ``namespace/Kind/name`` (the ITBench-Lite answer id)."""

    namespace: str
    kind: str
    name: str

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.kind}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> "EntityRef":
        """Parse ``namespace/Kind/name``; raises ``ValueError`` on any other shape."""
        parts = text.split("/")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"entity id must be namespace/Kind/name, got {text!r}")
        return cls(*parts)

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class K8sObject:
    """One dump of one Kubernetes object (the recorder re-dumps every object every 5 minutes).

    ``observed`` is the dump time (epoch seconds, UTC); ``body`` is the object's JSON.
    """

    observed: float
    kind: str
    namespace: str
    name: str
    body: dict[str, Any]
    resource: str = ""

    @property
    def ref(self) -> EntityRef:
        return EntityRef(self.namespace, self.kind, self.name)

    @property
    def metadata(self) -> dict[str, Any]:
        return self.body.get("metadata") or {}

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.get("labels") or {}

    @property
    def owner_refs(self) -> list[dict[str, Any]]:
        return self.metadata.get("ownerReferences") or []

    @property
    def resource_version(self) -> str:
        return str(self.metadata.get("resourceVersion", ""))


@dataclass(frozen=True, slots=True)
class K8sEvent:
    """A Kubernetes event (core v1 or events.k8s.io/v1, normalised).

    ``time`` is the event's last occurrence (epoch seconds, UTC); ``watch_type`` is the
    watch verb the recorder saw (ADDED / MODIFIED / DELETED).
    """

    time: float
    type: str
    reason: str
    message: str
    involved_kind: str
    involved_namespace: str
    involved_name: str
    count: int = 1
    source: str = ""
    watch_type: str = "ADDED"
    first_time: float | None = None

    @property
    def involved(self) -> EntityRef:
        return EntityRef(self.involved_namespace, self.involved_kind, self.involved_name)


@dataclass(frozen=True, slots=True)
class LogRecord:
    """An application log line with its resource identity."""

    time: float
    service: str
    body: str
    severity_text: str = ""
    severity_number: int = 0
    namespace: str = ""
    pod: str = ""
    trace_id: str = ""
    span_id: str = ""
    attributes_text: str = ""
    resource_text: str = ""

    @property
    def attributes(self) -> dict[str, Any]:
        return parse_map(self.attributes_text)

    @property
    def resource(self) -> dict[str, Any]:
        """``ResourceAttributes`` (service.name, k8s.pod.name ...), parsed on demand."""
        return parse_map(self.resource_text)

    @property
    def is_error(self) -> bool:
        return self.severity_number >= 17 or self.severity_text.upper() in {"ERROR", "FATAL", "CRITICAL"}

    @property
    def is_warning(self) -> bool:
        return 13 <= self.severity_number < 17 or self.severity_text.upper() in {"WARN", "WARNING"}


@dataclass(frozen=True, slots=True)
class Span:
    """One span. ``status`` is normalised to ``Unset`` / ``Ok`` / ``Error``."""

    start: float
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str
    service: str
    duration_ns: int
    status: str = "Unset"
    status_message: str = ""
    attributes_text: str = ""
    resource_text: str = ""
    #: span events (``Events.Name`` / ``Events.Attributes`` list text; "" when none), e.g.
    #: ``feature_flag.evaluation`` events that say which flag this span's service evaluated
    event_names: str = ""
    event_attributes: str = ""

    @property
    def is_error(self) -> bool:
        return self.status == "Error"

    @property
    def duration_ms(self) -> float:
        return self.duration_ns / 1e6

    @property
    def attributes(self) -> dict[str, Any]:
        return parse_map(self.attributes_text)

    @property
    def resource(self) -> dict[str, Any]:
        return parse_map(self.resource_text)


def _label(labels: tuple[tuple[str, str], ...], key: str, default: str) -> str:
    for k, v in labels:
        if k == key:
            return v
    return default


@dataclass(frozen=True, slots=True)
class MetricSample:
    """One raw Prometheus sample (counters and buckets stay cumulative)."""

    name: str
    time: float
    value: float
    labels: tuple[tuple[str, str], ...] = ()

    def label(self, key: str, default: str = "") -> str:
        return _label(self.labels, key, default)


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """Samples of one metric for one label set, sorted by time."""

    name: str
    labels: tuple[tuple[str, str], ...]
    points: tuple[tuple[float, float], ...]

    def label(self, key: str, default: str = "") -> str:
        return _label(self.labels, key, default)


#: alert labels that name one component of the application (see :attr:`Alert.namespace_wide`)
COMPONENT_LABELS = ("service_name", "service", "deployment", "pod")


@dataclass(frozen=True, slots=True)
class Alert:
    """A firing (or pending) alert, whatever format it came in."""

    name: str
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=True)
    annotations: dict[str, str] = field(default_factory=dict, hash=False, compare=True)
    state: str = "firing"
    active_at: float | None = None
    value: str = ""
    fingerprint: str = ""

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")

    @property
    def namespace(self) -> str:
        return self.labels.get("namespace", "")

    @property
    def subject(self) -> str:
        """The entity the alert is about, as the labels name it (service, pod, deployment ...)."""
        for key in ("service_name", "service", "deployment", "pod", "job", "namespace"):
            if self.labels.get(key):
                return self.labels[key]
        return ""

    @property
    def namespace_wide(self) -> bool:
        """Whether no label names one component (service, deployment, pod): the alert concerns
        its namespace as a whole (a spend alert, say)."""
        return not any(self.labels.get(k) for k in COMPONENT_LABELS)

    @property
    def key(self) -> str:
        """A stable identity: alert name plus sorted labels (the Alertmanager grouping idea)."""
        return self.fingerprint or self.name + "{" + ",".join(f"{k}={v}" for k, v in sorted(self.labels.items())) + "}"


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A data source that could not be read, or read only in part (reported, never raised)."""

    source: str
    problem: str
    rows_skipped: int = 0
