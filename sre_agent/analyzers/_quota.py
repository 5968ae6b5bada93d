"""ResourceQuota and LimitRange: a quota used up (used >= hard), and the pods either one
kept from being created (FailedCreate events that name them: exceeded quota, or failed quota
when a pod does not specify a resource the quota meters).

Example:
    >>> from sre_agent.models import K8sObject
    >>> q = K8sObject(0.0, "ResourceQuota", "shop", "q1", {"status": {"hard": {"pods": "10", "limits.memory": "2Gi"},
    ...     "used": {"pods": "10", "limits.memory": "1Gi"}}})
    >>> [f.message for f in QuotaAnalyzer().analyze([q], [])]
    ['quota used up: pods 10/10']
"""

from __future__ import annotations

import re

from .base import Analyzer, Cluster, Finding, first_last, status

_UNITS = {"": 1, "m": 1e-3, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
          "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
_QTY = re.compile(r"^([0-9.]+)([A-Za-z]*)$")


def quantity(text: object) -> float | None:
    """A Kubernetes quantity as a number (``"500m"`` -> 0.5, ``"1Gi"`` -> 1073741824).

    >>> quantity("500m"), quantity("2Ki"), quantity("x") is None
    (0.5, 2048.0, True)
    """
    m = _QTY.match(str(text).strip())
    if not m or m.group(2) not in _UNITS:
        return None
    try:
        return float(m.group(1)) * _UNITS[m.group(2)]
    except ValueError:
        return None


def _failed_creates(cluster: Cluster, namespace: str, needle: str) -> list:
    """FailedCreate events (of any object in the namespace) whose message contains ``needle``."""
    out = []
    for o in cluster.objects:
        if o.namespace == namespace and o.kind in ("ReplicaSet", "StatefulSet", "DaemonSet", "Job"):
            out += [(o.ref.id, e) for e in cluster.events_of(o.ref.id, "FailedCreate") if needle in e.message]
    return out


class QuotaAnalyzer(Analyzer):
    kind = "ResourceQuota"
    kinds = ("ResourceQuota", "LimitRange")

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for q in cluster.of_kind("ResourceQuota"):
            qid = q.ref.id
            hard, used = status(q).get("hard") or {}, status(q).get("used") or {}
            full = [f"{k} {used.get(k)}/{v}" for k, v in sorted(hard.items())
                    if quantity(v) is not None and quantity(used.get(k, "0")) is not None and quantity(used.get(k, "0")) >= quantity(v)]  # type: ignore[operator]
            # the quota admission plugin's two refusals: "exceeded quota: q, requested ..." and
            # "failed quota: q: must specify limits.cpu ..." (the pod lacks what the quota meters)
            blocked = (_failed_creates(cluster, q.namespace, f"exceeded quota: {q.name}")
                       + _failed_creates(cluster, q.namespace, f"failed quota: {q.name}"))
            if not full and not blocked:
                continue
            first, last = first_last([e for _, e in blocked])
            owners = sorted({o for rid, _ in blocked for o in [rid] + cluster.owners(cluster.by_id[rid])})
            msg = ("quota used up: " + ", ".join(full)) if full else "quota refuses pods"
            if blocked:
                msg += f"; blocked pod creation for {len({r for r, _ in blocked})} workload(s): {blocked[-1][1].message}"
            out.append(Finding(object=qid, reason="quota_exhausted" if full else "quota_rejects_pods",
                               severity="critical" if blocked else "warning",
                               first_seen=first, last_seen=last, related=owners, message=msg))
        for lr in cluster.of_kind("LimitRange"):
            blocked = _failed_creates(cluster, lr.namespace, "LimitRange") + _failed_creates(cluster, lr.namespace, "per Container")
            if blocked:
                first, last = first_last([e for _, e in blocked])
                owners = sorted({o for rid, _ in blocked for o in [rid] + cluster.owners(cluster.by_id[rid])})
                out.append(Finding(object=lr.ref.id, reason="limit_range_rejects", severity="critical", first_seen=first,
                                   last_seen=last, related=owners, message=f"pod creation rejected: {blocked[-1][1].message}"))
        return out
