"""Deployment: replicas unavailable, a spec not yet observed (generation ahead of
observedGeneration), a stalled rollout (ProgressDeadlineExceeded), scaled to zero.

Example:
    >>> from sre_agent.models import K8sObject
    >>> d = K8sObject(0.0, "Deployment", "shop", "cart", {"metadata": {"generation": 2},
    ...     "spec": {"replicas": 0}, "status": {"observedGeneration": 2}})
    >>> [f.reason for f in DeploymentAnalyzer().analyze([d], [])]
    ['scaled_to_zero']
"""

from __future__ import annotations

from .base import Analyzer, Cluster, Finding, condition, first_last, last_write, spec, status, status_time


class DeploymentAnalyzer(Analyzer):
    kind = "Deployment"
    kinds = ("Deployment",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for d in cluster.of_kind("Deployment"):
            did = d.ref.id
            sp, st = spec(d), status(d)
            want = sp.get("replicas", 1)
            ready = int(st.get("readyReplicas") or 0)
            avail = int(st.get("availableReplicas", ready) or 0)
            gen, observed = d.metadata.get("generation"), st.get("observedGeneration")
            progressing = condition(d, "Progressing")
            available = condition(d, "Available")
            if want == 0:
                out.append(Finding(object=did, reason="scaled_to_zero", severity="critical", related=[did],
                                   message="spec.replicas is 0: no pod serves", first_seen=last_write(d)))
            if isinstance(gen, int) and isinstance(observed, int) and gen > observed:
                out.append(Finding(object=did, reason="generation_pending", severity="info", related=[did],
                                   message=f"generation {gen} not yet observed by the controller (observedGeneration {observed})"))
            if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
                t = status_time(progressing.get("lastTransitionTime"))
                out.append(Finding(object=did, reason="rollout_stalled", severity="warning", related=[did],
                                   message=f"ProgressDeadlineExceeded: {progressing.get('message', '')}",
                                   first_seen=t, last_seen=status_time(progressing.get("lastUpdateTime")) or t))
            failure = condition(d, "ReplicaFailure")
            if failure and failure.get("status") == "True":
                evs = [e for rs in _replicasets(cluster, did) for e in cluster.events_of(rs, "FailedCreate")]
                first, last = first_last(evs, status_time(failure.get("lastTransitionTime")))
                out.append(Finding(object=did, reason="replica_failure", severity="critical", related=[did],
                                   message=f"{failure.get('reason', 'FailedCreate')}: {failure.get('message', '')}",
                                   first_seen=first, last_seen=last))
            if want and st and min(ready, avail) < want:
                t = status_time((available or {}).get("lastTransitionTime"))
                out.append(Finding(object=did, reason="replicas_unavailable", severity="warning", related=[did],
                                   message=f"{min(ready, avail)}/{want} replicas ready and available", first_seen=t))
        return out


def _replicasets(cluster: Cluster, deployment: str) -> list[str]:
    ns = deployment.split("/")[0]
    return [rs.ref.id for rs in cluster.of_kind("ReplicaSet", ns) if deployment in cluster.owners(rs)[:1]]
