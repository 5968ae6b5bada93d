"""An in-memory ObservabilityBackend for unit tests: records in, the protocol out."""

from __future__ import annotations

from dataclasses import dataclass, field

from sre_agent.backends.base import iter_window
from sre_agent.models import Alert, K8sEvent, K8sObject, LogRecord, MetricSeries, SourceProblem, Span


@dataclass
class MemoryBackend:
    name: str = "memory"
    objects: list[K8sObject] = field(default_factory=list)
    event_list: list[K8sEvent] = field(default_factory=list)
    log_list: list[LogRecord] = field(default_factory=list)
    span_list: list[Span] = field(default_factory=list)
    series: list[MetricSeries] = field(default_factory=list)
    alert_list: list[Alert] = field(default_factory=list)
    start: float = 0.0
    end: float = 3600.0
    problem_list: list[SourceProblem] = field(default_factory=list)

    def now(self) -> float:
        return self.end

    def window(self) -> tuple[float, float]:
        return (self.start, self.end)

    def list_objects(self, kind=None, namespace=None):
        latest = {}
        for o in sorted(self.objects, key=lambda o: o.observed):
            if (kind is None or o.kind == kind) and (namespace is None or o.namespace == namespace):
                latest[o.ref.id] = o
        return list(latest.values())

    def object_history(self, kind, namespace, name):
        return sorted((o for o in self.objects if (o.kind, o.namespace, o.name) == (kind, namespace, name)), key=lambda o: o.observed)

    def events(self, namespace=None):
        return sorted((e for e in self.event_list if namespace is None or e.involved_namespace == namespace), key=lambda e: e.time)

    def logs(self, service=None, pod=None, since=None, until=None):
        recs = (r for r in self.log_list if (service is None or r.service == service) and (pod is None or r.pod == pod))
        return list(iter_window(recs, since, until))

    def spans(self, service=None, since=None, until=None):
        return list(iter_window((s for s in self.span_list if service is None or s.service == service), since, until, "start"))

    def metric_names(self, matchers=None):
        return sorted({s.name for s in self._match(matchers)})

    def metric_series(self, name, matchers=None, since=None, until=None):
        out = []
        for s in self._match(matchers):
            if s.name == name:
                pts = tuple((t, v) for t, v in s.points if (since is None or t >= since) and (until is None or t <= until))
                out.append(MetricSeries(s.name, s.labels, pts))
        return out

    def _match(self, matchers):
        syn = {"pod": "pod_name", "service": "service_name"}
        want = {syn.get(k, k): v for k, v in (matchers or {}).items()}
        return [s for s in self.series if all(dict(s.labels).get(k) == v for k, v in want.items())]

    def alerts(self):
        return list(self.alert_list)

    def problems(self):
        return list(self.problem_list)
