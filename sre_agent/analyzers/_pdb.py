"""PodDisruptionBudget: no disruption allowed because selected pods are unhealthy, or a
selector that matches no pod.

Example:
    >>> from sre_agent.models import K8sObject
    >>> pdb = K8sObject(0.0, "PodDisruptionBudget", "shop", "cart", {"spec": {"selector": {"matchLabels": {"app": "cart"}}},
    ...     "status": {"disruptionsAllowed": 0, "currentHealthy": 1, "desiredHealthy": 2, "expectedPods": 2}})
    >>> [f.reason for f in PDBAnalyzer().analyze([pdb], [])]
    ['pdb_blocking']
"""

from __future__ import annotations

from .base import Analyzer, Cluster, Finding, first_last, spec, status


class PDBAnalyzer(Analyzer):
    kind = "PodDisruptionBudget"
    kinds = ("PodDisruptionBudget",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for pdb in cluster.of_kind("PodDisruptionBudget"):
            pid = pdb.ref.id
            st = status(pdb)
            pods = cluster.select_pods(pdb.namespace, spec(pdb).get("selector"))
            related = [p.ref.id for p in pods[:6]]
            healthy, desired = st.get("currentHealthy"), st.get("desiredHealthy")
            if st.get("disruptionsAllowed") == 0 and isinstance(healthy, int) and isinstance(desired, int) and healthy < desired:
                out.append(Finding(object=pid, reason="pdb_blocking", severity="warning", related=related,
                                   message=f"0 disruptions allowed: {healthy} healthy pod(s), {desired} required"))
            evs = cluster.events_of(pid, "NoPods")
            if (evs or st.get("expectedPods") == 0) and not pods and cluster.recorded("Pod", pdb.namespace):
                first, last = first_last(evs)
                out.append(Finding(object=pid, reason="pdb_no_pods", severity="info", first_seen=first, last_seen=last,
                                   message=f"selector {spec(pdb).get('selector')} matches no pod"))
        return out
