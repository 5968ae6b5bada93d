"""StatefulSet: replicas not ready, a governing Service that does not exist, pods it cannot
create, a spec not yet observed.

Example:
    >>> from sre_agent.models import K8sObject
    >>> s = K8sObject(0.0, "StatefulSet", "db", "pg", {"spec": {"replicas": 2, "serviceName": "pg"},
    ...     "status": {"readyReplicas": 1}})
    >>> sorted(f.reason for f in StatefulSetAnalyzer().analyze([s], []))
    ['replicas_unavailable']
"""

from __future__ import annotations

from .base import Analyzer, Cluster, Finding, first_last, spec, status


class StatefulSetAnalyzer(Analyzer):
    kind = "StatefulSet"
    kinds = ("StatefulSet",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for s in cluster.of_kind("StatefulSet"):
            sid = s.ref.id
            sp, st = spec(s), status(s)
            want = sp.get("replicas", 1)
            ready = int(st.get("readyReplicas") or 0)
            svc = sp.get("serviceName")
            if svc and cluster.recorded("Service", s.namespace) and cluster.get("Service", s.namespace, svc) is None:
                out.append(Finding(object=sid, reason="service_missing", severity="warning",
                                   message=f"governing Service {svc} does not exist", related=[f"{s.namespace}/Service/{svc}"]))
            evs = cluster.events_of(sid, "FailedCreate")
            if evs and ready < want:
                first, last = first_last(evs)
                out.append(Finding(object=sid, reason="failed_create", severity="critical", first_seen=first, last_seen=last,
                                   message=f"FailedCreate: {evs[-1].message}", related=[sid]))
            gen, observed = s.metadata.get("generation"), st.get("observedGeneration")
            if isinstance(gen, int) and isinstance(observed, int) and gen > observed:
                out.append(Finding(object=sid, reason="generation_pending", severity="info", related=[sid],
                                   message=f"generation {gen} not yet observed (observedGeneration {observed})"))
            if want == 0:
                out.append(Finding(object=sid, reason="scaled_to_zero", severity="critical", related=[sid],
                                   message="spec.replicas is 0: no pod serves"))
            elif ready < want:
                out.append(Finding(object=sid, reason="replicas_unavailable", severity="warning", related=[sid],
                                   message=f"{ready}/{want} replicas ready"))
        return out
