"""Service and Endpoints: a selector that matches no pod, no ready endpoint, a targetPort that
no selected container exposes.

Example:
    >>> from sre_agent.models import K8sObject
    >>> svc = K8sObject(0.0, "Service", "shop", "cart", {"spec": {"selector": {"app": "kart"},
    ...     "ports": [{"port": 80, "targetPort": 8080}]}})
    >>> pod = K8sObject(0.0, "Pod", "shop", "cart-1", {"metadata": {"labels": {"app": "cart"}}})
    >>> [f.reason for f in ServiceAnalyzer().analyze([svc, pod], [])]
    ['selector_no_match']
"""

from __future__ import annotations

from typing import Any

from ..models import K8sObject
from .base import Analyzer, Cluster, Finding, condition, last_write, spec


def _ready(pod: K8sObject) -> bool:
    c = condition(pod, "Ready")
    return bool(c and c.get("status") == "True")


def _container_ports(pod: K8sObject) -> tuple[set[int], set[str]]:
    numbers: set[int] = set()
    names: set[str] = set()
    for c in spec(pod).get("containers") or []:
        for p in c.get("ports") or []:
            if isinstance(p.get("containerPort"), int):
                numbers.add(p["containerPort"])
            if p.get("name"):
                names.add(p["name"])
    return numbers, names


def _endpoint_addresses(ep: K8sObject | None) -> tuple[int, int]:
    """(ready, not ready) address counts of an Endpoints object."""
    if ep is None:
        return 0, 0
    subsets = ep.body.get("subsets") or []
    return (sum(len(s.get("addresses") or []) for s in subsets), sum(len(s.get("notReadyAddresses") or []) for s in subsets))


class ServiceAnalyzer(Analyzer):
    kind = "Service"
    kinds = ("Service", "Endpoints")

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for s in cluster.of_kind("Service"):
            sp = spec(s)
            selector = sp.get("selector") or {}
            if not selector or sp.get("type") == "ExternalName":
                continue  # endpoints managed by hand, or a DNS alias
            out.extend(self._service(cluster, s, selector))
        return out

    def _service(self, cluster: Cluster, s: K8sObject, selector: dict[str, Any]) -> list[Finding]:
        sid = s.ref.id
        changed = last_write(s)
        pods = [p for p in cluster.select_pods(s.namespace, selector) if (p.body.get("status") or {}).get("phase") != "Succeeded"]
        if not pods:
            if not cluster.recorded("Pod", s.namespace):
                return []
            near = _near_miss(cluster, s.namespace, selector)
            return [Finding(object=sid, reason="selector_no_match", severity="critical", first_seen=changed,
                            message=f"selector {selector} matches no pod" + (f"; pods {near[0]} carry {near[1]}" if near else ""),
                            related=[sid])]
        out: list[Finding] = []
        ep = cluster.get("Endpoints", s.namespace, s.name)
        ready_addr, unready_addr = _endpoint_addresses(ep)
        ready_pods = [p for p in pods if _ready(p)]
        if (ep is not None and ready_addr == 0) or (ep is None and not ready_pods):
            out.append(Finding(object=sid, reason="no_ready_endpoints", severity="warning", related=[sid] + [p.ref.id for p in pods[:4]],
                               message=f"{len(pods)} pod(s) selected, none ready" + (f" ({unready_addr} not-ready address(es))" if unready_addr else "")))
        numbers: set[int] = set()
        names: set[str] = set()
        for p in pods:
            n, m = _container_ports(p)
            numbers |= n
            names |= m
        if numbers or names:
            bad = []
            for port in spec(s).get("ports") or []:
                tp = port.get("targetPort", port.get("port"))
                if isinstance(tp, int) and numbers and tp not in numbers:
                    bad.append(str(tp))
                elif isinstance(tp, str) and not tp.isdigit() and tp not in names:
                    bad.append(tp)
            n_ports = len(spec(s).get("ports") or [])
            if bad and len(bad) == n_ports:  # nothing the Service forwards to is exposed
                out.append(Finding(object=sid, reason="target_port_mismatch", severity="critical", first_seen=changed, related=[sid],
                                   message=f"targetPort {', '.join(bad)} exposed by no selected container (ports {sorted(numbers)})"))
            elif bad:  # containers may listen on ports they do not declare: a hint, not a fault
                out.append(Finding(object=sid, reason="target_port_undeclared", severity="info", first_seen=changed, related=[sid],
                                   message=f"targetPort {', '.join(bad)} not declared by the selected containers (ports {sorted(numbers)})"))
        return out


def _near_miss(cluster: Cluster, namespace: str, selector: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    """A pod that carries the selector's keys with other values (the likely intended target)."""
    keys = set(selector) - {"matchLabels", "matchExpressions"}
    for p in cluster.of_kind("Pod", namespace):
        if keys and keys <= set(p.labels):
            return p.name, {k: p.labels[k] for k in sorted(keys)}
    return None
