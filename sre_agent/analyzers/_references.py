"""ConfigMap and Secret references: a workload (or a bare pod) that references a ConfigMap,
a Secret or a key in one that does not exist (env, envFrom, volumes, projected volumes).

An object is called missing only when the dump holds objects of that kind in the namespace
(a recorder that skips Secrets must not make every Secret look missing) or when a pod's
config error names it.

Example:
    >>> from sre_agent.models import K8sObject
    >>> d = K8sObject(0.0, "Deployment", "shop", "cart", {"spec": {"template": {"spec": {"containers": [
    ...     {"name": "cart", "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cart-cfg", "key": "a"}}}]}]}}}})
    >>> cm = K8sObject(0.0, "ConfigMap", "shop", "cart-cfg", {"data": {"b": "1"}})
    >>> [(f.reason, f.related[0]) for f in ReferenceAnalyzer().analyze([d, cm], [])]
    [('missing_key', 'shop/ConfigMap/cart-cfg')]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..models import K8sObject
from .base import Analyzer, Cluster, Finding, pod_template, last_write

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod")


def references(pod_spec: dict[str, Any]) -> Iterator[tuple[str, str, str | None, bool]]:
    """Every (kind, name, key or None, optional) a pod spec references.

    >>> list(references({"volumes": [{"secret": {"secretName": "tls"}}]}))
    [('Secret', 'tls', None, False)]
    """
    for c in (pod_spec.get("containers") or []) + (pod_spec.get("initContainers") or []):
        for e in c.get("env") or []:
            vf = e.get("valueFrom") or {}
            for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                if vf.get(field):
                    r = vf[field]
                    yield kind, r.get("name", ""), r.get("key"), bool(r.get("optional"))
        for e in c.get("envFrom") or []:
            for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                if e.get(field):
                    yield kind, e[field].get("name", ""), None, bool(e[field].get("optional"))
    for v in pod_spec.get("volumes") or []:
        sources = [v] + [s for s in ((v.get("projected") or {}).get("sources") or [])]
        for s in sources:
            if s.get("configMap"):
                r = s["configMap"]
                yield "ConfigMap", r.get("name", ""), None, bool(r.get("optional"))
                for item in r.get("items") or []:
                    yield "ConfigMap", r.get("name", ""), item.get("key"), bool(r.get("optional"))
            if s.get("secret"):
                r = s["secret"]
                name = r.get("secretName") or r.get("name", "")
                yield "Secret", name, None, bool(r.get("optional"))
                for item in r.get("items") or []:
                    yield "Secret", name, item.get("key"), bool(r.get("optional"))


def _keys(obj: K8sObject) -> set[str]:
    return set(obj.body.get("data") or {}) | set(obj.body.get("binaryData") or {}) | set(obj.body.get("stringData") or {})


class ReferenceAnalyzer(Analyzer):
    kind = "ConfigMap"
    kinds = ("ConfigMap", "Secret")

    def check(self, cluster: Cluster) -> list[Finding]:
        out: list[Finding] = []
        named_by_errors = self._named_by_config_errors(cluster)
        for kind in WORKLOADS:
            for w in cluster.of_kind(kind):
                if kind in ("Pod", "Job") and w.owner_refs:
                    continue  # reported on the workload that owns it
                out.extend(self._workload(cluster, w, named_by_errors))
        return out

    @staticmethod
    def _named_by_config_errors(cluster: Cluster) -> set[str]:
        """ConfigMap/Secret names that pods' config-error events say are not found."""
        out = set()
        for e in cluster.events:
            low = e.message.lower()
            if e.reason == "Failed" and "not found" in low or e.reason == "FailedMount":
                for word in ("configmap", "secret"):
                    i = low.find(f'{word} "')
                    if i >= 0:
                        out.add(f"{e.involved_namespace}/{e.message[i + len(word) + 2:].split(chr(34), 1)[0]}")
        return out

    def _workload(self, cluster: Cluster, w: K8sObject, named: set[str]) -> list[Finding]:
        out: list[Finding] = []
        seen: set[tuple[str, str, str | None]] = set()
        created = last_write(w)
        for kind, name, key, optional in references(pod_template(w)):
            if not name or (kind, name, key) in seen:
                continue
            seen.add((kind, name, key))
            if (kind, name, None) in seen and key is not None and cluster.by_id.get(f"{w.namespace}/{kind}/{name}") is None:
                continue  # the whole object is missing: said once
            ref = f"{w.namespace}/{kind}/{name}"
            obj = cluster.by_id.get(ref)
            if obj is None and (cluster.recorded(kind, w.namespace) or f"{w.namespace}/{name}" in named):
                out.append(Finding(object=w.ref.id, reason=f"missing_{kind.lower()}", severity="info" if optional else "critical",
                                   related=[ref, w.ref.id], first_seen=created,
                                   message=f"references {kind} {name}, which does not exist" + (" (optional)" if optional else "")))
            elif obj is not None and key is not None and key not in _keys(obj):
                out.append(Finding(object=w.ref.id, reason="missing_key", severity="info" if optional else "critical",
                                   related=[ref, w.ref.id], first_seen=created,
                                   message=f"references key {key} of {kind} {name}, which has no such key"))
        return out
