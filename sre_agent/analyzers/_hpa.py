"""HorizontalPodAutoscaler: pinned at its maximum, unable to scale (missing metrics, failing
conditions), a scale target that does not exist.

Example:
    >>> from sre_agent.models import K8sObject
    >>> h = K8sObject(0.0, "HorizontalPodAutoscaler", "shop", "cart", {"spec": {"maxReplicas": 3,
    ...     "scaleTargetRef": {"kind": "Deployment", "name": "cart"}},
    ...     "status": {"currentReplicas": 3, "desiredReplicas": 3}})
    >>> d = K8sObject(0.0, "Deployment", "shop", "cart", {})
    >>> [(f.reason, f.related) for f in HPAAnalyzer().analyze([h, d], [])]
    [('hpa_at_max', ['shop/Deployment/cart'])]
"""

from __future__ import annotations

from .base import Analyzer, Cluster, Finding, condition, first_last, spec, status, status_time


class HPAAnalyzer(Analyzer):
    kind = "HorizontalPodAutoscaler"
    kinds = ("HorizontalPodAutoscaler",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for h in cluster.of_kind("HorizontalPodAutoscaler"):
            hid = h.ref.id
            sp, st = spec(h), status(h)
            ref = sp.get("scaleTargetRef") or {}
            target = f"{h.namespace}/{ref.get('kind', '')}/{ref.get('name', '')}"
            if ref.get("kind") and cluster.recorded(ref["kind"], h.namespace) and target not in cluster.by_id:
                out.append(Finding(object=hid, reason="hpa_target_missing", severity="warning", related=[target],
                                   message=f"scale target {ref['kind']}/{ref.get('name')} does not exist"))
            mx = sp.get("maxReplicas")
            cur, desired = st.get("currentReplicas"), st.get("desiredReplicas")
            if isinstance(mx, int) and isinstance(cur, int) and cur >= mx and (desired is None or desired >= mx):
                limited = condition(h, "ScalingLimited")
                evs = cluster.events_of(hid, "SuccessfulRescale")
                first, last = first_last(evs, status_time((limited or {}).get("lastTransitionTime"), st.get("lastScaleTime")))
                out.append(Finding(object=hid, reason="hpa_at_max", severity="warning", related=[target], first_seen=first,
                                   last_seen=last, message=f"pinned at maxReplicas {mx} (current {cur}, desired {desired})"))
            metric_evs = cluster.events_of(hid, "FailedGetResourceMetric", "FailedComputeMetricsReplicas",
                                           "FailedGetExternalMetric", "FailedGetPodsMetric")
            bad = [c for c in st.get("conditions") or [] if c.get("type") in ("AbleToScale", "ScalingActive")
                   and c.get("status") == "False"]
            if bad or metric_evs:
                first, last = first_last(metric_evs, *(status_time(c.get("lastTransitionTime")) for c in bad))
                why = "; ".join(f"{c['type']} False: {c.get('reason', '')} {c.get('message', '')}".strip() for c in bad)
                if metric_evs:
                    why = (why + "; " if why else "") + f"{metric_evs[-1].reason}: {metric_evs[-1].message}"
                out.append(Finding(object=hid, reason="hpa_unable_to_scale", severity="warning", related=[target],
                                   first_seen=first, last_seen=last, message=why))
        return out
