"""NetworkPolicy: a policy that selects serving pods and denies all their ingress (or all
their egress), and one that selects no pod at all.

Policies add up: a pod's ingress is denied only when every policy that selects it for
ingress allows none.  "Serving" pods are those a Service selects: a Service exists to be
called.

Example:
    >>> from sre_agent.models import K8sObject
    >>> np = K8sObject(0.0, "NetworkPolicy", "shop", "deny", {"spec": {"podSelector": {"matchLabels": {"app": "cart"}},
    ...     "policyTypes": ["Ingress"], "ingress": []}})
    >>> pod = K8sObject(0.0, "Pod", "shop", "cart-1", {"metadata": {"labels": {"app": "cart"}}})
    >>> svc = K8sObject(0.0, "Service", "shop", "cart", {"spec": {"selector": {"app": "cart"}}})
    >>> [(f.reason, f.related) for f in NetworkPolicyAnalyzer().analyze([np, pod, svc], [])]
    [('denies_ingress', ['shop/Service/cart', 'shop/Pod/cart-1'])]
"""

from __future__ import annotations

from ..models import K8sObject
from .base import Analyzer, Cluster, Finding, last_write, selector_matches, spec, status_time


def _types(policy: K8sObject) -> set[str]:
    sp = spec(policy)
    types = set(sp.get("policyTypes") or [])
    if not types:  # the API default: Ingress always, Egress when egress rules are given
        types = {"Ingress"} | ({"Egress"} if sp.get("egress") else set())
    return types


class NetworkPolicyAnalyzer(Analyzer):
    kind = "NetworkPolicy"
    kinds = ("NetworkPolicy",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        policies = cluster.of_kind("NetworkPolicy")
        for np in policies:
            nid = np.ref.id
            created = last_write(np) or status_time(np.metadata.get("creationTimestamp"))
            pods = cluster.select_pods(np.namespace, spec(np).get("podSelector"))
            if not pods:
                if cluster.recorded("Pod", np.namespace):
                    out.append(Finding(object=nid, reason="policy_selects_nothing", severity="info", first_seen=created,
                                       message=f"podSelector {spec(np).get('podSelector')} matches no pod"))
                continue
            for direction, field in (("Ingress", "ingress"), ("Egress", "egress")):
                if direction not in _types(np) or spec(np).get(field):
                    continue
                # pods no other policy opens in this direction
                shut = [p for p in pods if not any(
                    other is not np and direction in _types(other) and spec(other).get(field)
                    and selector_matches(spec(other).get("podSelector"), p.labels)
                    for other in policies if other.namespace == np.namespace)]
                serving = sorted({s for p in shut for s in cluster.services_of(p)})
                if not shut or (direction == "Ingress" and not serving):
                    continue
                out.append(Finding(object=nid, reason=f"denies_{field}", severity="critical", first_seen=created,
                                   related=serving + [p.ref.id for p in shut[:6]],
                                   message=f"denies all {field} to {len(shut)} pod(s)"
                                           + (f" behind {', '.join(s.split('/')[-1] for s in serving)}" if serving else "")))
        return out
