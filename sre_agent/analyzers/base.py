"""What a state analyzer is: one Kubernetes kind, the current objects and events in, findings out.

Modelled on k8sgpt's analyzers: each one reads only the *current* dump of the objects and the
events (no earlier version is needed, so it works when a recording starts after the fault)
and reports what is wrong with objects of its kind, with a reason code, a readable message,
a severity, when it was first and last seen and the objects it concerns.  Analyzers never
write anything: they receive plain records and return findings.

:class:`Cluster` is the shared read-only index the analyzers query (objects by kind and
namespace, events by object, label selectors, owner chains).

Example:
    >>> from sre_agent.models import K8sObject
    >>> pod = K8sObject(0.0, "Pod", "shop", "cart-1", {"metadata": {"labels": {"app": "cart"}}})
    >>> c = Cluster([pod], [])
    >>> [p.name for p in c.select_pods("shop", {"app": "cart"})]
    ['cart-1']
    >>> Finding(object="shop/Pod/cart-1", reason="crash_loop", message="m", severity="critical").weight
    0.9
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from ..analysis.timeutil import parse_k8s_time
from ..models import K8sEvent, K8sObject

Severity = Literal["critical", "warning", "info"]
#: severity -> the weight a finding carries as evidence (0..1)
SEVERITY_WEIGHT: dict[str, float] = {"critical": 0.9, "warning": 0.6, "info": 0.2}


class Finding(BaseModel):
    """One thing an analyzer found wrong (or notable) about one object, as it is now."""

    object: str = Field(..., description="namespace/Kind/name of the object the finding is about")
    reason: str = Field(..., description="reason code, snake_case (e.g. selector_no_match)")
    message: str = Field("", description="what is wrong, for a human or a model")
    severity: Severity = "warning"
    first_seen: float | None = Field(None, description="epoch seconds: earliest event or status time of the trouble")
    last_seen: float | None = Field(None, description="epoch seconds: latest event or status time of the trouble")
    related: list[str] = Field(default_factory=list, description="ids of the objects it concerns (owners, targets, refs)")
    active: bool = Field(True, description="False for something listed but no longer acting (a finished experiment)")

    @property
    def weight(self) -> float:
        """The finding's strength as evidence (from its severity)."""
        return SEVERITY_WEIGHT[self.severity]


@dataclass
class EventSummary:
    """Events of one object with one reason, folded: count, first/last time, newest message."""

    reason: str
    type: str
    count: int
    first: float
    last: float
    message: str


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Whether ``labels`` satisfy a label selector (a plain map, or matchLabels/matchExpressions).

    An empty or missing selector matches everything (the NetworkPolicy/PDB meaning).

    >>> selector_matches({"app": "a"}, {"app": "a", "x": "y"}), selector_matches({"app": "b"}, {"app": "a"})
    (True, False)
    >>> selector_matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}, {"tier": "web"})
    True
    """
    if not selector:
        return True
    if "matchLabels" in selector or "matchExpressions" in selector:
        plain = selector.get("matchLabels") or {}
        exprs = selector.get("matchExpressions") or []
    else:
        plain, exprs = selector, []
    if any(labels.get(k) != v for k, v in plain.items()):
        return False
    for e in exprs:
        key, op, values = e.get("key", ""), e.get("operator", ""), e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


class Cluster:
    """A read-only index over the current objects and the events (what every analyzer reads)."""

    def __init__(self, objects: Iterable[K8sObject], events: Iterable[K8sEvent], now: float | None = None) -> None:
        self.objects: list[K8sObject] = list(objects)
        self.events: list[K8sEvent] = sorted(events, key=lambda e: e.time)
        self.by_id: dict[str, K8sObject] = {o.ref.id: o for o in self.objects}
        self._by_kind: dict[str, list[K8sObject]] = defaultdict(list)
        for o in self.objects:
            self._by_kind[o.kind].append(o)
        #: the time "now" stands for: given, else the newest dump or event
        self.now = now if now is not None else max([o.observed for o in self.objects] + [e.time for e in self.events] + [0.0])

    def of_kind(self, kind: str, namespace: str | None = None) -> list[K8sObject]:
        """Objects of one kind (optionally one namespace), sorted by id."""
        objs = self._by_kind.get(kind, [])
        return sorted((o for o in objs if namespace is None or o.namespace == namespace), key=lambda o: o.ref.id)

    def get(self, kind: str, namespace: str, name: str) -> K8sObject | None:
        return self.by_id.get(f"{namespace}/{kind}/{name}")

    def recorded(self, kind: str, namespace: str) -> bool:
        """Whether the dump holds any object of ``kind`` in ``namespace`` (so an absent one is really absent)."""
        return any(o.namespace == namespace for o in self._by_kind.get(kind, []))

    @cached_property
    def _events_by_object(self) -> dict[str, dict[str, EventSummary]]:
        out: dict[str, dict[str, EventSummary]] = defaultdict(dict)
        for e in self.events:
            s = out[e.involved.id].get(e.reason)
            first = e.first_time or e.time
            if s is None:
                out[e.involved.id][e.reason] = EventSummary(e.reason, e.type, max(1, e.count), first, e.time, e.message)
            else:
                s.count += max(1, e.count)
                s.first, s.last = min(s.first, first), max(s.last, e.time)
                s.type, s.message = e.type, e.message
        return out

    def events_of(self, entity: str, *reasons: str) -> list[EventSummary]:
        """Folded events of one object (only the given reasons, if any), oldest first."""
        found = self._events_by_object.get(entity, {})
        rows = [s for r, s in found.items() if not reasons or r in reasons]
        return sorted(rows, key=lambda s: s.first)

    def select_pods(self, namespace: str, selector: dict[str, Any] | None) -> list[K8sObject]:
        """Pods of a namespace a label selector matches."""
        return [p for p in self.of_kind("Pod", namespace) if selector_matches(selector, p.labels)]

    def owners(self, obj: K8sObject) -> list[str]:
        """The owner chain of an object, nearest first, itself excluded (ReplicaSet, Deployment)."""
        out: list[str] = []
        cur: K8sObject | None = obj
        while cur is not None and len(out) < 5:
            refs = cur.owner_refs
            if not refs:
                break
            ref = next((r for r in refs if r.get("controller")), refs[0])
            oid = f"{cur.namespace}/{ref.get('kind', '')}/{ref.get('name', '')}"
            out.append(oid)
            cur = self.by_id.get(oid)
        return out

    def services_of(self, pod: K8sObject) -> list[str]:
        """Services whose selector matches a pod."""
        return [s.ref.id for s in self.of_kind("Service", pod.namespace)
                if (s.body.get("spec") or {}).get("selector") and selector_matches(s.body["spec"]["selector"], pod.labels)]


def status_time(*values: Any) -> float | None:
    """The earliest parseable RFC 3339 time among ``values`` (None when none parses)."""
    times = [t for t in (parse_k8s_time(v) for v in values) if t is not None]
    return min(times) if times else None


def last_write(obj: K8sObject) -> float | None:
    """When the object was last written, from ``metadata.managedFields`` (None when not recorded).

    A configuration found wrong now was most likely made wrong then; creation time says less.

    >>> o = K8sObject(0.0, "Service", "a", "b", {"metadata": {"managedFields": [
    ...     {"manager": "helm", "time": "2025-01-01T00:00:00Z"}, {"manager": "kubectl", "time": "2025-01-01T01:00:00Z"}]}})
    >>> last_write(o)
    1735693200.0
    """
    times = [parse_k8s_time(m.get("time")) for m in obj.metadata.get("managedFields") or [] if isinstance(m, dict)]
    times = [t for t in times if t is not None]
    return max(times) if times else None


def condition(obj: K8sObject, ctype: str) -> dict[str, Any] | None:
    """The status condition of one type, if the object has it."""
    for c in (obj.body.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def spec(obj: K8sObject) -> dict[str, Any]:
    return obj.body.get("spec") or {}


def status(obj: K8sObject) -> dict[str, Any]:
    return obj.body.get("status") or {}


def pod_template(obj: K8sObject) -> dict[str, Any]:
    """The pod spec of a Pod or of a workload's template."""
    if obj.kind == "Pod":
        return spec(obj)
    if obj.kind == "CronJob":
        return (((spec(obj).get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    return ((spec(obj).get("template") or {}).get("spec")) or {}


class Analyzer(ABC):
    """One Kubernetes kind's checks over the current state."""

    #: the kind the analyzer is registered under (``Pod``, ``Service`` ...)
    kind: ClassVar[str]
    #: every kind it reports on (Service also reports on Endpoints, Job on CronJob ...)
    kinds: ClassVar[tuple[str, ...]] = ()

    def analyze(self, objects: Sequence[K8sObject], events: Sequence[K8sEvent]) -> list[Finding]:
        """Findings for the given current objects and events."""
        return self.check(Cluster(objects, events))

    @abstractmethod
    def check(self, cluster: Cluster) -> list[Finding]:
        """Findings over a prepared index (what :func:`analyze` and the registry call)."""


def first_last(events: Sequence[EventSummary], *fallback: float | None) -> tuple[float | None, float | None]:
    """First and last time seen, over the events and the given status times (None when none).

    >>> first_last([EventSummary("BackOff", "Warning", 3, 20.0, 50.0, "m")], 10.0, None)
    (10.0, 50.0)
    """
    firsts = [e.first for e in events] + [t for t in fallback if t is not None]
    lasts = [e.last for e in events] + [t for t in fallback if t is not None]
    return (min(firsts), max(lasts)) if firsts else (None, None)
