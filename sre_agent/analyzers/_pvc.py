"""PersistentVolumeClaim: Pending (with the provisioner's ProvisioningFailed reason), Lost.

Example:
    >>> from sre_agent.models import K8sEvent, K8sObject
    >>> pvc = K8sObject(0.0, "PersistentVolumeClaim", "db", "data", {"status": {"phase": "Pending"}})
    >>> ev = K8sEvent(5.0, "Warning", "ProvisioningFailed", 'storageclass "fast" not found',
    ...               "PersistentVolumeClaim", "db", "data")
    >>> [(f.reason, f.first_seen) for f in PVCAnalyzer().analyze([pvc], [ev])]
    [('pvc_pending', 5.0)]
"""

from __future__ import annotations

from .base import Analyzer, Cluster, Finding, first_last, pod_template, status, status_time


class PVCAnalyzer(Analyzer):
    kind = "PersistentVolumeClaim"
    kinds = ("PersistentVolumeClaim",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for pvc in cluster.of_kind("PersistentVolumeClaim"):
            pid = pvc.ref.id
            phase = status(pvc).get("phase", "")
            users = [p.ref.id for p in cluster.of_kind("Pod", pvc.namespace)
                     if any(((v.get("persistentVolumeClaim") or {}).get("claimName")) == pvc.name
                            for v in pod_template(p).get("volumes") or [])]
            created = status_time(pvc.metadata.get("creationTimestamp"))
            if phase == "Pending":
                evs = cluster.events_of(pid, "ProvisioningFailed", "FailedBinding", "ExternalProvisioning")
                first, last = first_last(evs, created)
                why = next((e.message for e in reversed(evs) if e.type == "Warning"), evs[-1].message if evs else "")
                out.append(Finding(object=pid, reason="pvc_pending", severity="critical" if users or evs else "warning",
                                   first_seen=first, last_seen=last, related=users,
                                   message="Pending" + (f": {why}" if why else "") + (f"; used by {len(users)} pod(s)" if users else "")))
            elif phase == "Lost":
                out.append(Finding(object=pid, reason="pvc_lost", severity="critical", related=users,
                                   message="Lost: its PersistentVolume is gone"))
        return out
