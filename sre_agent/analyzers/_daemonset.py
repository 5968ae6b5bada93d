"""DaemonSet: pods unavailable on some nodes, pods running where they should not.

Example:
    >>> from sre_agent.models import K8sObject
    >>> d = K8sObject(0.0, "DaemonSet", "kube-system", "agent", {"status": {"desiredNumberScheduled": 3,
    ...     "numberReady": 2, "numberUnavailable": 1, "numberMisscheduled": 0}})
    >>> [f.message for f in DaemonSetAnalyzer().analyze([d], [])]
    ['2/3 pods ready, 1 unavailable']
"""

from __future__ import annotations

from .base import Analyzer, Cluster, Finding, first_last, status


class DaemonSetAnalyzer(Analyzer):
    kind = "DaemonSet"
    kinds = ("DaemonSet",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for d in cluster.of_kind("DaemonSet"):
            did = d.ref.id
            st = status(d)
            desired = int(st.get("desiredNumberScheduled") or 0)
            ready = int(st.get("numberReady") or 0)
            unavailable = int(st.get("numberUnavailable") or max(0, desired - ready))
            if desired and unavailable:
                evs = cluster.events_of(did, "FailedCreate", "FailedPlacement", "FailedDaemonPod")
                first, last = first_last(evs)
                out.append(Finding(object=did, reason="pods_unavailable", severity="warning", related=[did],
                                   first_seen=first, last_seen=last,
                                   message=f"{ready}/{desired} pods ready, {unavailable} unavailable"
                                   + (f"; {evs[-1].reason}: {evs[-1].message}" if evs else "")))
            mis = int(st.get("numberMisscheduled") or 0)
            if mis:
                out.append(Finding(object=did, reason="misscheduled", severity="info", related=[did],
                                   message=f"{mis} pod(s) running on nodes they should not"))
        return out
