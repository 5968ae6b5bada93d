"""One cached analysis per investigation: the facade the tools read through."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar
from collections.abc import Callable

from ..backends._redact import one_line
from ..backends.base import ObservabilityBackend
from ..models import Alert, K8sEvent, parse_map
from .changes import Change, object_changes
from .declared import declared_callees
from .unversioned import unversioned_changes
from .timeutil import parse_k8s_time
from .flags import evaluations_from_logs, evaluations_from_spans, flag_definitions, flag_providers
from .profile import AppProfile
from .span_columns import analyse_span_columns, flag_span_rows
from .topology import Ownership, build_ownership
from .traces import TraceAnalysis, analyse_spans

T = TypeVar("T")

CHAOS_KINDS = {"networkchaos", "podchaos", "stresschaos", "httpchaos", "jvmchaos", "iochaos", "dnschaos",
               "timechaos", "kernelchaos", "schedule", "workflow", "physicalmachinechaos", "awschaos", "gcpchaos"}
INFRA_NAMESPACES = {"kube-system", "kube-public", "kube-node-lease", "prometheus", "monitoring", "clickhouse",
                    "opentelemetry-collectors", "opentelemetry-operator", "cert-manager", "local-path-storage"}
_POD_REF_RE = re.compile(r"\b([a-z0-9][a-z0-9-]*)/([a-z0-9][a-z0-9.-]*-[a-z0-9]{5,10}(?:-[a-z0-9]{5})?)\b")


@dataclass
class EventGroup:
    involved: str      # namespace/Kind/name
    reason: str
    type: str
    count: int
    first: float
    last: float
    message: str
    source: str


class Analyzer:
    """Lazily computed, cached views over a backend for one set of alerts."""

    def __init__(self, backend: ObservabilityBackend, alerts: list[Alert], profile: AppProfile | None = None) -> None:
        self.backend = backend
        self.alerts = alerts
        #: an optional application profile: a hint added to what telemetry shows, never an assumption
        self.profile = profile
        #: source -> one line: analyses whose backend reads failed (their views are empty)
        self.failed_sources: dict[str, str] = {}

    def _read(self, source: str, build: Callable[[], T], empty: Callable[[], T]) -> T:
        """``build()``, retried once; if the backend keeps failing (or answers garbage), ``empty()``
        and the source is noted in :attr:`failed_sources`: a failing source never ends the run."""
        last: Exception | None = None
        for _ in range(2):
            try:
                return build()
            except Exception as exc:  # noqa: BLE001 - any backend failure or garbage answer
                last = exc
        self.failed_sources.setdefault(source, one_line(f"{type(last).__name__}: {last}", 200))
        return empty()

    # -- time ------------------------------------------------------------------------------
    @cached_property
    def window(self) -> tuple[float, float]:
        def build() -> tuple[float, float]:
            start, end = self.backend.window()
            return float(start), float(end)
        return self._read("window", build, lambda: (self.now, self.now))

    @cached_property
    def now(self) -> float:
        return self._read("window", lambda: float(self.backend.now()),
                          lambda: max((a.active_at for a in self.alerts if a.active_at), default=0.0))

    @cached_property
    def onset(self) -> float:
        """When the incident started to show: the earliest alert activation, else 15 min ago."""
        start, end = self.window
        times = [a.active_at for a in self.alerts if a.active_at]
        t = min(times) if times else self.now - 900
        # alerts fire after a "for:" delay; symptoms began a little earlier
        t -= 180
        lo = start + (end - start) * 0.25 if end > start else t
        return max(t, lo) if end > start else t

    # -- sources ---------------------------------------------------------------------------
    @cached_property
    def traces(self) -> TraceAnalysis | None:
        analysis = self._read("traces", self._analyse_spans, lambda: None)
        return analysis if analysis is not None and analysis.span_count else None

    def _span_table(self) -> Any:
        """The backend's spans as columns when it keeps them so (a recording), else ``None``."""
        span_table = getattr(self.backend, "span_table", None)
        return span_table() if callable(span_table) else None

    def _analyse_spans(self) -> TraceAnalysis:
        table = self._span_table()
        if table is not None:  # a recording: counted on columns, no record per span
            return analyse_span_columns(table, self.onset)
        return analyse_spans(self.backend.spans(), self.onset)

    def _flag_spans(self) -> Any:
        table = self._span_table()
        return table.rows(flag_span_rows(table)) if table is not None else self.backend.spans()

    def _flag_logs(self, keys: set[str]) -> Any:
        """The log records evaluations_from_logs can learn from: on a recording, only those whose
        attributes carry a flag or whose body names a key (the others add nothing)."""
        log_table = getattr(self.backend, "log_table", None)
        table = log_table() if callable(log_table) else None
        if table is None:
            return self.backend.logs()
        return table.rows(table.containing(body=sorted(keys), attributes=["feature_flag"])) if keys else []

    @cached_property
    def ownership(self) -> Ownership:
        return self._read("kubernetes", lambda: build_ownership(self.backend.list_objects()),
                          lambda: build_ownership([]))

    @cached_property
    def changes(self) -> list[Change]:
        return self._read("kubernetes", self._changes, list)

    def _changes(self) -> list[Change]:
        start = self.window[0]
        out: list[Change] = []
        objects = list(self.backend.list_objects())
        owned_rs: dict[str, list[Any]] = defaultdict(list)  # Deployment id -> its ReplicaSets
        for o in objects:
            if o.kind == "ReplicaSet":
                for ref in o.metadata.get("ownerReferences") or []:
                    if isinstance(ref, dict) and ref.get("kind") == "Deployment":
                        owned_rs[f"{o.namespace}/Deployment/{ref.get('name')}"].append(o)
        for obj in objects:
            if obj.kind in ("Event", "Endpoints", "EndpointSlice", "Lease", "Node"):
                continue
            history = self.backend.object_history(obj.kind, obj.namespace, obj.name)
            created = parse_k8s_time(obj.metadata.get("creationTimestamp"))
            found = object_changes(history, start + 60, created)
            if not [c for c in found if c.what != "created"] and obj.kind not in ("Pod", "ReplicaSet"):
                # no earlier version shows a change: read what the current object itself says
                found += unversioned_changes(history[-1] if history else obj, start - 60, owned_rs.get(obj.ref.id, []))
            out.extend(found)
        out.sort(key=lambda c: (c.time if c.time is not None else start, c.entity))
        return out

    @cached_property
    def event_groups(self) -> list[EventGroup]:
        return self._read("kubernetes", self._event_groups, list)

    def _event_groups(self) -> list[EventGroup]:
        groups: dict[tuple[str, str], list[K8sEvent]] = defaultdict(list)
        for ev in self.backend.events():
            groups[(ev.involved.id, ev.reason)].append(ev)
        out = []
        for (inv, reason), evs in groups.items():
            evs.sort(key=lambda e: e.time)
            out.append(EventGroup(inv, reason, evs[-1].type, sum(max(1, e.count) for e in evs),
                                  min((e.first_time or e.time) for e in evs), evs[-1].time,
                                  evs[-1].message, evs[-1].source))
        out.sort(key=lambda g: (g.first, g.involved, g.reason))
        return out

    # -- naming ----------------------------------------------------------------------------
    @cached_property
    def namespace(self) -> str:
        """The application namespace: the alerts', else where most workloads run, else the profile's."""
        for a in self.alerts:
            if a.namespace:
                return a.namespace
        objects = [o for o in self.ownership.objects.values() if o.namespace and o.namespace not in INFRA_NAMESPACES]
        counts = Counter(o.namespace for o in objects if o.kind in ("Deployment", "StatefulSet")) or \
            Counter(o.namespace for o in objects)
        if counts:
            return counts.most_common(1)[0][0]
        return (self.profile.namespace if self.profile and self.profile.namespace else "default")

    @cached_property
    def observed_services(self) -> set[str]:
        """Services the data shows: traced services and Service / workload objects."""
        names = set(self.traces.services) if self.traces else set()
        names |= self._read("kubernetes", lambda: {o.name for kind in ("Service", "Deployment", "StatefulSet")
                                                   for o in self.backend.list_objects(kind)}, set)
        return names

    @cached_property
    def cluster_ips(self) -> dict[str, str]:
        """A Service's ClusterIP -> its name (log lines name peers by address)."""
        return self._read("kubernetes", lambda: {ip: o.name for o in self.backend.list_objects("Service")
                                                 if isinstance(ip := (o.body.get("spec") or {}).get("clusterIP"), str)
                                                 and ip[:1].isdigit()}, dict)

    @cached_property
    def service_names(self) -> set[str]:
        return self.observed_services | (self.profile.services if self.profile else set())

    # -- feature flags ---------------------------------------------------------------------
    @cached_property
    def flag_providers(self) -> set[str]:
        """Workloads mounting a flag ConfigMap (they serve flags; flags do not act on them)."""
        defs = flag_definitions(self.ownership.objects.values())
        names = {cm.split("/")[-1] for d in defs.values() for cm in d.configmaps}
        return flag_providers(self.ownership.objects.values(), names) if names else set()

    @cached_property
    def flag_evaluators(self) -> dict[str, Counter]:
        """Flag key -> services seen evaluating it (span events, provider spans, logs)."""
        keys = set(flag_definitions(self.ownership.objects.values()))
        providers = self.flag_providers
        out: dict[str, Counter] = defaultdict(Counter)
        for key, c in self._read("traces", lambda: evaluations_from_spans(self._flag_spans(), providers), dict).items():
            out[key].update(c)
        # logs speak for flags no span shows evaluated (e.g. the evaluating service emits no traces)
        for key, c in self._read("logs", lambda: evaluations_from_logs(self._flag_logs(keys), keys, providers), dict).items():
            if not out.get(key):
                out[key].update(c)
        return dict(out)

    def flag_targets(self, key: str) -> tuple[list[str], str]:
        """(services a flag acts on, where that came from: "telemetry", "profile" or "").

        Telemetry first; the profile's ``flags`` only when no service was seen evaluating it.
        """
        seen = sorted(s for s in self.flag_evaluators.get(key, {}) if s)
        if seen:
            return seen, "telemetry"
        hinted = self.profile.flag_targets(key) if self.profile else []
        return (hinted, "profile") if hinted else ([], "")

    def service_of(self, entity: str) -> str:
        """The application service an entity belongs to ('' if none)."""
        parts = entity.split("/")
        if len(parts) != 3:
            return entity if entity in self.service_names else ""
        ns, kind, name = parts
        if kind in ("Service", "Deployment", "StatefulSet", "DaemonSet", "HorizontalPodAutoscaler"):
            return name
        if kind == "Pod":
            return self.ownership.app_of_pod.get(entity) or self._strip_hash(name)
        if kind == "ReplicaSet":
            return self._strip_hash(name)
        return ""

    @staticmethod
    def _strip_hash(name: str) -> str:
        parts = name.split("-")
        while len(parts) > 1 and (len(parts[-1]) in (5, 9, 10) and any(ch.isdigit() for ch in parts[-1]) or len(parts[-1]) == 5):
            parts = parts[:-1]
        return "-".join(parts)

    def resolve(self, text: str) -> str:
        """Turn a bare name or an id into an entity id, preferring real objects."""
        text = (text or "").strip()
        if text.count("/") == 2:
            return text
        ns = self.namespace
        for kind in ("Service", "Deployment", "Pod", "ConfigMap", "StatefulSet"):
            if f"{ns}/{kind}/{text}" in self.ownership.objects:
                return f"{ns}/{kind}/{text}"
        return f"{ns}/Service/{text}"

    def entities_of_service(self, service: str) -> list[str]:
        ns = self.namespace
        out = [i for i in (f"{ns}/Service/{service}", f"{ns}/Deployment/{service}", f"{ns}/StatefulSet/{service}")
               if i in self.ownership.objects]
        out += sorted(p for p, app in self.ownership.app_of_pod.items() if app == service)
        return out

    # -- graph -----------------------------------------------------------------------------
    @cached_property
    def _declared_all(self) -> dict[str, set[str]]:
        return declared_callees(self.ownership.objects.values())

    @cached_property
    def declared(self) -> dict[str, set[str]]:
        """Untraced workload -> the Services its configuration names (analysis/declared.py): the
        calls of a service that emits no spans, which traces cannot show."""
        traced = self.traces.services if self.traces else set()
        return {w: cs for w, cs in self._declared_all.items() if w not in traced}

    def declared_untraced_callees(self, service: str) -> set[str]:
        """The Services ``service``'s configuration names that emit no spans: calls traces cannot show."""
        traced = self.traces.services if self.traces else set()
        return {c for c in self._declared_all.get(service, set()) if c not in traced}

    def callees(self, service: str) -> list[str]:
        """Services ``service`` calls: seen in traces, plus the profile's hints if one is given."""
        hinted = self.profile.callees(service) if self.profile else []
        dynamic = self.traces.callees(service) if self.traces else []
        return sorted(set(hinted) | set(dynamic))

    def callers(self, service: str) -> list[str]:
        """Services calling ``service``: seen in traces, plus the untraced workloads whose
        configuration names it (a traffic source that emits no spans), plus the profile's hints."""
        hinted = self.profile.callers(service) if self.profile else []
        dynamic = self.traces.callers(service) if self.traces else []
        declared = {w for w, cs in self.declared.items() if service in cs}
        return sorted(set(hinted) | set(dynamic) | declared)

    def downstream(self, services: list[str], depth: int = 6) -> list[str]:
        """Every service reachable from ``services`` along calls (themselves included)."""
        seen = list(dict.fromkeys(services))
        frontier = list(seen)
        for _ in range(depth):
            nxt = []
            for s in frontier:
                for c in self.callees(s) + (self.profile.consumers.get(s, []) if self.profile else []):
                    if c not in seen:
                        seen.append(c)
                        nxt.append(c)
            frontier = nxt
        return seen

    def sync_callees(self, service: str) -> list[str]:
        """The callees ``service`` waits for: a message consumer is not one (its failure stays its own);
        a Service its configuration names that emits no spans is taken as one (traces cannot say)."""
        hinted = self.profile.callees(service) if self.profile else []  # a profile's calls; its consumers are apart
        dynamic = self.traces.sync_callees(service) if self.traces else []
        return sorted(set(hinted) | set(dynamic) | self.declared_untraced_callees(service))

    def sync_reach(self, service: str, depth: int = 8) -> set[str]:
        """``service`` and every service it reaches through synchronous calls: the services whose
        failure can show (as errors or latency) on ``service``."""
        seen = {service}
        frontier = [service]
        for _ in range(depth):
            frontier = [c for s in frontier for c in self.sync_callees(s) if c not in seen]
            seen |= set(frontier)
        return seen

    def off_alert_path(self) -> dict[str, str]:
        """Traced service -> why its failure cannot show on any alerting service: no alerting
        service reaches it through synchronous calls (a message consumer is reached only by its
        producers' messages), and it is no entry point sending traffic onto their path."""
        ta, alerting = self.traces, self.alert_services
        if ta is None or not alerting:
            return {}
        reach = {r for s in alerting for r in self.sync_reach(s)}
        names = ", ".join(alerting[:4])
        out = {}
        for s in sorted(ta.services - reach):
            if self.sync_reach(s) & set(alerting):
                continue  # upstream of an alerting service: the traffic it sends (a load source, a flood) reaches it
            callers = self.callers(s)
            producers = [c for c in callers if (c, s) in ta.async_edges]
            if producers and len(producers) == len(callers):
                out[s] = f"{s} is reached only by messages (from {', '.join(producers[:3])}); its failure does not reach {names}"
            else:
                out[s] = f"{s} is not called, directly or through others, by {names}; its failure does not reach them"
        return out

    @cached_property
    def alert_services(self) -> list[str]:
        out = []
        for a in self.alerts:
            subj = a.labels.get("service_name") or a.labels.get("service") or a.labels.get("deployment") or ""
            if not subj and a.labels.get("pod"):
                subj = self.service_of(f"{self.namespace}/Pod/{a.labels['pod']}")
            if subj and subj not in out:
                out.append(subj)
        return out

    @cached_property
    def neighbourhood(self) -> list[str]:
        """Services on the alerting services' call paths (callees, transitively) and their callers;
        every service when an alert concerns the namespace as a whole (a spend alert, say)."""
        base = self.alert_services
        whole = any(a.namespace_wide for a in self.alerts)
        if not base or whole:
            return sorted(self.service_names)
        down = self.downstream(base)
        up = {c for s in base for c in self.callers(s)}
        return sorted(set(down) | up)

    def chaos_targets(self, message: str) -> list[str]:
        """Pods named in a chaos controller message (``namespace/pod-name``)."""
        return [f"{ns}/Pod/{name}" for ns, name in _POD_REF_RE.findall(message or "")]

    def log_attributes(self, text: str) -> dict[str, Any]:
        return parse_map(text)
