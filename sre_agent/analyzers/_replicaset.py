"""ReplicaSet: pods it cannot create (FailedCreate, e.g. exceeded quota or a LimitRange).

Example:
    >>> from sre_agent.models import K8sEvent, K8sObject
    >>> rs = K8sObject(0.0, "ReplicaSet", "shop", "cart-7d9", {"spec": {"replicas": 1}, "status": {"replicas": 0}})
    >>> ev = K8sEvent(10.0, "Warning", "FailedCreate", 'pods "cart-7d9-x" is forbidden: exceeded quota: q1',
    ...               "ReplicaSet", "shop", "cart-7d9")
    >>> [(f.reason, f.related) for f in ReplicaSetAnalyzer().analyze([rs], [ev])]
    [('quota_exceeded', ['shop/ResourceQuota/q1'])]
"""

from __future__ import annotations

import re

from .base import Analyzer, Cluster, Finding, condition, first_last, spec, status, status_time

_QUOTA_RE = re.compile(r"(exceeded|failed) quota: ([a-z0-9][a-z0-9.-]*)")


class ReplicaSetAnalyzer(Analyzer):
    kind = "ReplicaSet"
    kinds = ("ReplicaSet",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for rs in cluster.of_kind("ReplicaSet"):
            rid = rs.ref.id
            if not spec(rs).get("replicas"):
                continue  # an old ReplicaSet of a rollout: nothing to create
            failure = condition(rs, "ReplicaFailure")
            evs = cluster.events_of(rid, "FailedCreate")
            if not evs and not (failure and failure.get("status") == "True"):
                continue
            if int(status(rs).get("replicas") or 0) >= int(spec(rs).get("replicas") or 0) and not failure:
                continue  # it created them since: the failure is over
            msg = (failure or {}).get("message") or (evs[-1].message if evs else "")
            first, last = first_last(evs, status_time((failure or {}).get("lastTransitionTime")))
            quota = _QUOTA_RE.search(msg)
            related = cluster.owners(rs)
            if quota:  # exceeded: no room left; failed: the pod lacks a request/limit the quota meters
                out.append(Finding(object=rid, reason="quota_exceeded" if quota.group(1) == "exceeded" else "quota_rejected",
                                   severity="critical", first_seen=first, last_seen=last, message=f"FailedCreate: {msg}",
                                   related=[f"{rs.namespace}/ResourceQuota/{quota.group(2)}"] + related))
            else:
                out.append(Finding(object=rid, reason="failed_create", severity="critical", first_seen=first, last_seen=last,
                                   message=f"FailedCreate: {msg}", related=related))
        return out
