"""Node: NotReady, pressure conditions, cordoned, taints that keep pending pods off.

Example:
    >>> from sre_agent.models import K8sObject
    >>> n = K8sObject(0.0, "Node", "", "n1", {"status": {"conditions": [
    ...     {"type": "Ready", "status": "False", "reason": "KubeletNotReady"},
    ...     {"type": "MemoryPressure", "status": "True"}]}})
    >>> sorted(f.reason for f in NodeAnalyzer().analyze([n], []))
    ['node_not_ready', 'node_pressure']
"""

from __future__ import annotations

from typing import Any

from ..models import K8sObject
from .base import Analyzer, Cluster, Finding, pod_template, spec, status, status_time

_PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


def tolerates(tolerations: list[dict[str, Any]], taint: dict[str, Any]) -> bool:
    """Whether a pod's tolerations let it onto a node with ``taint``.

    >>> tolerates([{"key": "gpu", "operator": "Exists"}], {"key": "gpu", "effect": "NoSchedule"})
    True
    """
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t["key"] == taint.get("key")):
            return True
        if t.get("key") == taint.get("key") and t.get("value", "") == taint.get("value", ""):
            return True
    return False


class NodeAnalyzer(Analyzer):
    kind = "Node"
    kinds = ("Node",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        pending = [p for p in cluster.of_kind("Pod") if status(p).get("phase") == "Pending" and not spec(p).get("nodeName")]
        for n in cluster.of_kind("Node"):
            out.extend(self._node(cluster, n, pending))
        return out

    def _node(self, cluster: Cluster, n: K8sObject, pending: list[K8sObject]) -> list[Finding]:
        nid = n.ref.id
        on_node = [p.ref.id for p in cluster.of_kind("Pod") if spec(p).get("nodeName") == n.name][:6]
        out: list[Finding] = []
        for c in status(n).get("conditions") or []:
            t = status_time(c.get("lastTransitionTime"))
            if c.get("type") == "Ready" and c.get("status") != "True":
                seen = [x for x in [t] + [e.first for e in cluster.events_of(nid, "NodeNotReady")] if x is not None]
                out.append(Finding(object=nid, reason="node_not_ready", severity="critical", related=on_node,
                                   first_seen=min(seen, default=None),
                                   message=f"NotReady: {c.get('reason', '')} {c.get('message', '')}".strip()))
            elif c.get("type") in _PRESSURE and c.get("status") == "True":
                out.append(Finding(object=nid, reason="node_pressure", severity="warning", related=on_node, first_seen=t,
                                   message=f"{c['type']}: {c.get('message') or c.get('reason', '')}"))
        if spec(n).get("unschedulable"):
            out.append(Finding(object=nid, reason="node_cordoned", severity="warning", related=[],
                               message="cordoned: spec.unschedulable is true"))
        for taint in spec(n).get("taints") or []:
            if taint.get("effect") not in ("NoSchedule", "NoExecute"):
                continue
            blocked = [p.ref.id for p in pending if not tolerates(pod_template(p).get("tolerations") or [], taint)]
            if blocked:
                out.append(Finding(object=nid, reason="blocking_taint", severity="warning", related=blocked[:6],
                                   first_seen=status_time(taint.get("timeAdded")),
                                   message=f"taint {taint.get('key')}={taint.get('value', '')}:{taint['effect']} "
                                           f"not tolerated by {len(blocked)} pending pod(s)"))
        return out
