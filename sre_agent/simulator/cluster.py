"""The cluster's objects over time: a versioned store the recorder re-dumps every 5 minutes.

Every change (spec or status) is a new version with its own time; resourceVersions are
assigned at the end in time order so they grow monotonically whatever order the simulation
made the changes in.  A spec change bumps ``metadata.generation``.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .clock import NS, rfc3339, ts, ts_seconds

#: kind -> (apiVersion, plural resource).
RESOURCES: dict[str, tuple[str, str]] = {
    "Namespace": ("v1", "namespaces"), "Node": ("v1", "nodes"), "Pod": ("v1", "pods"),
    "Service": ("v1", "services"), "Endpoints": ("v1", "endpoints"), "ConfigMap": ("v1", "configmaps"),
    "Deployment": ("apps/v1", "deployments"), "ReplicaSet": ("apps/v1", "replicasets"),
    "StatefulSet": ("apps/v1", "statefulsets"), "DaemonSet": ("apps/v1", "daemonsets"),
    "HorizontalPodAutoscaler": ("autoscaling/v2", "horizontalpodautoscalers"),
    "NetworkPolicy": ("networking.k8s.io/v1", "networkpolicies"),
    "ResourceQuota": ("v1", "resourcequotas"), "PersistentVolumeClaim": ("v1", "persistentvolumeclaims"),
    "NetworkChaos": ("chaos-mesh.org/v1alpha1", "networkchaos"), "PodChaos": ("chaos-mesh.org/v1alpha1", "podchaos"),
    "StressChaos": ("chaos-mesh.org/v1alpha1", "stresschaos"), "HTTPChaos": ("chaos-mesh.org/v1alpha1", "httpchaos"),
    "JVMChaos": ("chaos-mesh.org/v1alpha1", "jvmchaos"), "Schedule": ("chaos-mesh.org/v1alpha1", "schedules"),
}
CUSTOM_KINDS = frozenset(k for k, (api, _) in RESOURCES.items() if api.startswith("chaos-mesh"))

Key = tuple[str, str, str]  # kind, namespace, name


def new_uid(rng: random.Random) -> str:
    """A UUID4-looking uid from the scenario's random stream."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


@dataclass
class History:
    """All versions of one object: ``(time_ns, body)`` sorted by time, and its deletion time."""

    kind: str
    namespace: str
    name: str
    versions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    deleted_at: int | None = None

    def at(self, t: int) -> dict[str, Any] | None:
        if self.deleted_at is not None and t >= self.deleted_at:
            return None
        body = None
        for vt, b in self.versions:
            if vt > t:
                break
            body = b
        return body


class Cluster:
    """Versioned Kubernetes objects of one simulated cluster."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.objects: dict[Key, History] = {}

    # -- building -------------------------------------------------------------------------
    def add(self, kind: str, namespace: str, name: str, t: int, metadata: dict[str, Any],
            spec: dict[str, Any] | None = None, status: dict[str, Any] | None = None,
            extra: dict[str, Any] | None = None, created: int | None = None) -> dict[str, Any]:
        """Create an object at ``t`` (``created`` = its creationTimestamp, default ``t``)."""
        api, _ = RESOURCES[kind]
        meta = {"name": name}
        if namespace:
            meta["namespace"] = namespace
        meta.update({"uid": new_uid(self.rng), "resourceVersion": "0",
                     "creationTimestamp": rfc3339(created if created is not None else t)})
        meta.update(metadata)
        body: dict[str, Any] = {"apiVersion": api, "kind": kind, "metadata": meta}
        if spec is not None:
            body["spec"] = spec
            meta.setdefault("generation", 1)
        body.update(extra or {})
        if status is not None:
            body["status"] = status
        hist = History(kind, namespace, name, [(t, body)])
        self.objects[(kind, namespace, name)] = hist
        return body

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        """The latest version of an object (KeyError if unknown)."""
        return self.objects[(kind, namespace, name)].versions[-1][1]

    def has(self, kind: str, namespace: str, name: str) -> bool:
        return (kind, namespace, name) in self.objects

    def update(self, kind: str, namespace: str, name: str, t: int,
               change: Callable[[dict[str, Any]], None], spec_change: bool = False) -> dict[str, Any]:
        """Record a new version at ``t``: a copy of the version current at ``t`` changed by ``change``.

        Later versions (if any) are re-based on top of this change too, so changes may be
        recorded out of time order.
        """
        hist = self.objects[(kind, namespace, name)]
        idx = 0
        for i, (vt, _) in enumerate(hist.versions):
            if vt <= t:
                idx = i
        body = copy.deepcopy(hist.versions[idx][1])
        change(body)
        if spec_change:
            body["metadata"]["generation"] = body["metadata"].get("generation", 1) + 1
        hist.versions.insert(idx + 1, (t, body))
        for j in range(idx + 2, len(hist.versions)):
            later = hist.versions[j][1]
            change(later)
            if spec_change:
                later["metadata"]["generation"] = later["metadata"].get("generation", 1) + 1
        return body

    def delete(self, kind: str, namespace: str, name: str, t: int) -> None:
        self.objects[(kind, namespace, name)].deleted_at = t

    def of_kind(self, kind: str, namespace: str | None = None) -> Iterator[History]:
        for (k, ns, _), h in self.objects.items():
            if k == kind and (namespace is None or ns == namespace):
                yield h

    # -- recording ------------------------------------------------------------------------
    def assign_resource_versions(self, base: int) -> None:
        """Give every version a resourceVersion increasing with its time."""
        allv = [(t, i, b) for i, (t, b) in enumerate(v for h in self.objects.values() for v in h.versions)]
        allv.sort(key=lambda x: (x[0], x[1]))
        seen: set[int] = set()
        rv = base
        for _, _, body in allv:
            if id(body) in seen:  # a body shared by two versions gets one resourceVersion
                continue
            seen.add(id(body))
            rv += self.rng.randint(3, 40)
            body["metadata"]["resourceVersion"] = str(rv)

    def dump_rows(self, times: list[int], include_custom: bool) -> list[list[Any]]:
        """Rows of k8s_objects_raw.tsv: every live object at each dump time."""
        rows = []
        for t in times:
            stamp, stamp_s = ts(t), ts_seconds(t)
            for (kind, ns, name), hist in self.objects.items():
                if kind in CUSTOM_KINDS and not include_custom:
                    continue
                body = hist.at(t)
                if body is None:
                    continue
                resource = RESOURCES[kind][1]
                attrs = {"k8s.resource.name": resource, "event.domain": "k8s", "event.name": name}
                if ns:
                    attrs["k8s.namespace.name"] = ns
                rows.append([stamp, stamp_s, "", "", 0, "", 0, "", json.dumps(body, separators=(",", ":")),
                             "", "{}", "", "", "", "{}", str(attrs), ""])
        return rows


def dump_times(start: int, end: int, rng: random.Random) -> list[int]:
    """Pull times: every 5 minutes from shortly after ``start`` to ``end``."""
    t = start + rng.randint(5, 40) * NS
    out = []
    while t < end:
        out.append(t + rng.randint(0, 900) * 1_000_000)
        t += 300 * NS
    return out
