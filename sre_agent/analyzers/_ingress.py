"""Ingress: a backend Service that does not exist, or a backend port the Service lacks.

Example:
    >>> from sre_agent.models import K8sObject
    >>> ing = K8sObject(0.0, "Ingress", "shop", "web", {"spec": {"rules": [{"http": {"paths": [
    ...     {"path": "/", "backend": {"service": {"name": "frontend", "port": {"number": 80}}}}]}}]}})
    >>> other = K8sObject(0.0, "Service", "shop", "cart", {"spec": {"ports": [{"port": 80}]}})
    >>> [f.reason for f in IngressAnalyzer().analyze([ing, other], [])]
    ['backend_missing']
"""

from __future__ import annotations

from typing import Any

from .base import Analyzer, Cluster, Finding, spec, last_write


def _backends(ingress_spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    default = (ingress_spec.get("defaultBackend") or {}).get("service")
    if default:
        out.append(default)
    for rule in ingress_spec.get("rules") or []:
        for path in ((rule.get("http") or {}).get("paths")) or []:
            svc = (path.get("backend") or {}).get("service")
            if svc:
                out.append(svc)
    return out


class IngressAnalyzer(Analyzer):
    kind = "Ingress"
    kinds = ("Ingress",)

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        for ing in cluster.of_kind("Ingress"):
            iid = ing.ref.id
            created = last_write(ing)
            for b in _backends(spec(ing)):
                name = b.get("name", "")
                sid = f"{ing.namespace}/Service/{name}"
                svc = cluster.get("Service", ing.namespace, name)
                if svc is None:
                    out.append(Finding(object=iid, reason="backend_missing", severity="critical", related=[sid], first_seen=created,
                                       message=f"backend Service {name} does not exist"))
                    continue
                port = b.get("port") or {}
                ports = spec(svc).get("ports") or []
                if port.get("number") and all(p.get("port") != port["number"] for p in ports):
                    out.append(Finding(object=iid, reason="backend_port_missing", severity="critical", related=[sid],
                                       first_seen=created, message=f"Service {name} has no port {port['number']}"))
                elif port.get("name") and all(p.get("name") != port["name"] for p in ports):
                    out.append(Finding(object=iid, reason="backend_port_missing", severity="critical", related=[sid],
                                       first_seen=created, message=f"Service {name} has no port named {port['name']}"))
        return out
