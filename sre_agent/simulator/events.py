"""Kubernetes events as the recorder's watch sees them (``k8s_events_raw.tsv``).

Each event is written once as ``ADDED`` and, when it repeats, again as ``MODIFIED`` with a
higher ``count`` (core v1) or ``series.count`` (events.k8s.io/v1).  The two API shapes are
mixed, as a recorder watching both groups would see them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from .clock import rfc3339, ts, ts_seconds
from .cluster import RESOURCES, Cluster


@dataclass
class EventLog:
    """Collects event rows for one scenario."""

    cluster: Cluster
    rng: random.Random
    v1_share: float = 0.3
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)

    def ref(self, kind: str, namespace: str, name: str, field_path: str = "") -> dict[str, Any]:
        """An object reference (with uid when the object is known)."""
        ref = {"kind": kind, "namespace": namespace, "name": name, "apiVersion": RESOURCES.get(kind, ("v1", ""))[0]}
        if self.cluster.has(kind, namespace, name):
            meta = self.cluster.get(kind, namespace, name)["metadata"]
            ref["uid"] = meta["uid"]
        if field_path:
            ref["fieldPath"] = field_path
        return ref

    def emit(self, times: list[int], kind: str, namespace: str, name: str, reason: str, message: str,
             type_: str = "Normal", component: str = "kubelet", host: str = "", field_path: str = "") -> None:
        """One event that happened at each of ``times`` (first = ADDED, the rest MODIFIED)."""
        if not times:
            return
        times = sorted(times)
        ev_name = f"{name}.{self.rng.getrandbits(64):016x}"[: len(name) + 17]
        uid = f"{self.rng.getrandbits(128):032x}"
        uid = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:]}"
        ns = namespace or "default"
        ref = self.ref(kind, namespace, name, field_path)
        v1 = self.rng.random() < self.v1_share
        if len(times) > 8:  # the API server coalesces repeats: keep a few observations
            keep = sorted(self.rng.sample(range(1, len(times) - 1), 6))
            shown = [times[0]] + [times[i] for i in keep] + [times[-1]]
            counts = [1] + [i + 1 for i in keep] + [len(times)]
        else:
            shown, counts = times, list(range(1, len(times) + 1))
        for i, (t, count) in enumerate(zip(shown, counts)):
            rv = str(self.rng.randint(10**6, 9 * 10**6))
            meta = {"name": ev_name, "namespace": ns, "uid": uid, "resourceVersion": rv,
                    "creationTimestamp": rfc3339(times[0])}
            if v1:
                obj: dict[str, Any] = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": meta,
                                       "eventTime": None, "reportingController": component,
                                       "reportingInstance": host or component, "action": reason, "reason": reason,
                                       "regarding": ref, "note": message, "type": type_,
                                       "deprecatedSource": {"component": component, **({"host": host} if host else {})},
                                       "deprecatedFirstTimestamp": rfc3339(times[0]),
                                       "deprecatedLastTimestamp": rfc3339(t), "deprecatedCount": count}
                if count > 1:
                    obj["series"] = {"count": count, "lastObservedTime": rfc3339(t, fraction=True)}
            else:
                obj = {"apiVersion": "v1", "kind": "Event", "metadata": meta, "involvedObject": ref,
                       "reason": reason, "message": message, "source": {"component": component, **({"host": host} if host else {})},
                       "firstTimestamp": rfc3339(times[0]), "lastTimestamp": rfc3339(t), "count": count,
                       "type": type_, "eventTime": None, "reportingComponent": component,
                       "reportingInstance": host}
            body = {"type": "ADDED" if i == 0 else "MODIFIED", "object": obj}
            observed = t + self.rng.randint(5, 900) * 1_000_000
            attrs = {"k8s.resource.name": "events", "event.domain": "k8s", "event.name": ev_name, "k8s.namespace.name": ns}
            self.rows.append((observed, [ts(observed), ts_seconds(observed), "", "", 0, "", 0, "",
                                         json.dumps(body, separators=(",", ":")), "", "{}", "", "", "", "{}",
                                         str(attrs), ""]))

    def sorted_rows(self, since: int | None = None) -> list[list[Any]]:
        """Rows in observation order (only those observed at or after ``since`` when given)."""
        return [r for t, r in sorted(self.rows, key=lambda x: x[0]) if since is None or t >= since]
