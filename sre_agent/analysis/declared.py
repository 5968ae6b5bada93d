"""Calls a workload's configuration declares: the Services its containers' environment names.

Traces show who calls whom, but only for services that emit spans.  A service without traces
(a load generator, a batch job, an uninstrumented client) still declares where it sends its
requests, the way Kubernetes service discovery works: an environment variable holding a
Service's DNS name, alone, as ``host:port`` or inside a URL (``http://web:8080``,
``db.shop.svc.cluster.local:5432``).  Variables of the OpenTelemetry SDK (``OTEL_*``) name
where telemetry goes, which is not a call of the application, and are skipped.

Example:
    >>> env = {"TARGET_HOST": "http://web-edge:8080", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
    ...        "USERS": "10", "CACHE": "cache.shop.svc.cluster.local:6379"}
    >>> sorted(named_services(env, {"web-edge", "collector", "cache", "users"}))
    ['cache', 'web-edge']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..models import K8sObject

__all__ = ["named_services", "declared_callees"]

#: a host as a URL's, a ``host:port``'s or a bare value's: DNS labels, first one kept
_HOST_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/\s]*@)?([a-z0-9][a-z0-9.-]*?)(?::\d+)?(?:/.*)?$", re.I)
#: environment variables that configure telemetry export, not the application's calls
_SKIP_PREFIXES = ("OTEL_",)
_WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def named_services(env: Mapping[str, str], services: set[str]) -> set[str]:
    """The Service names among the environment's values (whole hosts, never substrings)."""
    out: set[str] = set()
    for name, value in env.items():
        if not isinstance(value, str) or any(str(name).startswith(p) for p in _SKIP_PREFIXES):
            continue
        for part in value.split(","):
            m = _HOST_RE.match(part.strip())
            if not m:
                continue
            host = m.group(1).lower()
            labels = host.split(".")
            # "svc", "svc.ns", "svc.ns.svc[.cluster.local]": the first label is the Service
            if len(labels) > 1 and not (len(labels) == 2 or labels[2] == "svc"):
                continue
            if labels[0] in services:
                out.add(labels[0])
    return out


def _pod_env(obj: K8sObject) -> dict[str, str]:
    spec = obj.body.get("spec") or {}
    if obj.kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec") or {})
    pod = (spec.get("template") or {}).get("spec") or {}
    env: dict[str, str] = {}
    for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
        for e in c.get("env") or []:
            if isinstance(e, dict) and isinstance(e.get("value"), str):
                env[str(e.get("name", ""))] = e["value"]
    return env


def declared_callees(objects: Iterable[K8sObject]) -> dict[str, set[str]]:
    """Workload name -> the Services (same namespace, itself excluded) its environment names."""
    objects = list(objects)
    services: dict[str, set[str]] = {}
    for o in objects:
        if o.kind == "Service":
            services.setdefault(o.namespace, set()).add(o.name)
    out: dict[str, set[str]] = {}
    for o in objects:
        if o.kind not in _WORKLOAD_KINDS:
            continue
        named = named_services(_pod_env(o), services.get(o.namespace, set())) - {o.name}
        if named:
            out.setdefault(o.name, set()).update(named)
    return out
