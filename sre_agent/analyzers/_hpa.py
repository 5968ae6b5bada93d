"""HorizontalPodAutoscaler: pinned at its maximum, a floor holding replicas the load does not
need (spend with low utilization), unable to scale (missing metrics, failing conditions), a
scale target that does not exist.

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


#: a floor holds more replicas than demand needs when utilization is below this share of the target
IDLE_SHARE = 0.5


def over_demand(sp: dict, st: dict) -> str:
    """Why the HPA's floor holds replicas the load does not need ('' if it does not): at least two
    replicas kept at ``minReplicas`` while every resource metric's utilization is under half its
    target, so the autoscaler would go lower if the floor let it (spend with low utilization).

    >>> over_demand({"minReplicas": 8, "maxReplicas": 8, "metrics": [{"type": "Resource", "resource":
    ...     {"name": "cpu", "target": {"averageUtilization": 80}}}]}, {"currentReplicas": 8, "currentMetrics":
    ...     [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 20}}}]})
    'replicas held at minReplicas 8 (= maxReplicas: scaling disabled) while cpu utilization is 20% of a 80% target'
    """
    lo, cur = sp.get("minReplicas", 1), st.get("currentReplicas")
    if not isinstance(lo, int) or not isinstance(cur, int) or lo < 2 or cur != lo:
        return ""
    targets = {((m.get("resource") or {}).get("name")): ((m.get("resource") or {}).get("target") or {}).get("averageUtilization")
               for m in sp.get("metrics") or [] if m.get("type") == "Resource"}
    current = {((m.get("resource") or {}).get("name")): ((m.get("resource") or {}).get("current") or {}).get("averageUtilization")
               for m in st.get("currentMetrics") or [] if m.get("type") == "Resource"}
    pairs = [(n, current.get(n), t) for n, t in targets.items() if isinstance(t, (int, float)) and t > 0]
    if not pairs or any(not isinstance(c, (int, float)) or c >= IDLE_SHARE * t for _, c, t in pairs):
        return ""
    fixed = " (= maxReplicas: scaling disabled)" if sp.get("maxReplicas") == lo else ""
    return f"replicas held at minReplicas {lo}{fixed} while " + ", ".join(
        f"{n} utilization is {c:g}% of a {t:g}% target" for n, c, t in pairs)


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
            floor = over_demand(sp, st)
            if floor:
                first, last = first_last([], status_time(st.get("lastScaleTime")))
                out.append(Finding(object=hid, reason="hpa_floor_over_demand", severity="warning", related=[target],
                                   first_seen=first, last_seen=last, message=floor))
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
