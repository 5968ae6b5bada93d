"""State analyzers, one per Kubernetes kind, behind one interface (k8sgpt's analyzers are the
model): each reads the current objects and events only and reports :class:`Finding` s.

Example:
    >>> from sre_agent.models import K8sObject
    >>> svc = K8sObject(0.0, "Service", "shop", "cart", {"spec": {"selector": {"app": "cart"}}})
    >>> pod = K8sObject(0.0, "Pod", "shop", "web-1", {"metadata": {"labels": {"app": "web"}}})
    >>> [(f.object, f.reason) for f in analyze_all([svc, pod], [])]
    [('shop/Service/cart', 'selector_no_match')]
    >>> analyzer_for("Endpoints").kind
    'Service'
"""

from __future__ import annotations

from collections.abc import Sequence

from ..models import K8sEvent, K8sObject
from ._chaos import ChaosAnalyzer, is_chaos_kind
from ._daemonset import DaemonSetAnalyzer
from ._deployment import DeploymentAnalyzer
from ._hpa import HPAAnalyzer
from ._ingress import IngressAnalyzer
from ._job import JobAnalyzer
from ._networkpolicy import NetworkPolicyAnalyzer
from ._node import NodeAnalyzer
from ._pdb import PDBAnalyzer
from ._pod import PodAnalyzer
from ._pvc import PVCAnalyzer
from ._quota import QuotaAnalyzer
from ._references import ReferenceAnalyzer
from ._replicaset import ReplicaSetAnalyzer
from ._service import ServiceAnalyzer
from ._statefulset import StatefulSetAnalyzer
from .base import Analyzer, Cluster, Finding

#: every analyzer, in the order their findings are listed
ANALYZERS: list[Analyzer] = [
    PodAnalyzer(), DeploymentAnalyzer(), ReplicaSetAnalyzer(), StatefulSetAnalyzer(), DaemonSetAnalyzer(),
    ServiceAnalyzer(), IngressAnalyzer(), PVCAnalyzer(), NodeAnalyzer(), HPAAnalyzer(), PDBAnalyzer(),
    NetworkPolicyAnalyzer(), JobAnalyzer(), QuotaAnalyzer(), ReferenceAnalyzer(), ChaosAnalyzer(),
]
#: kind (and aliases such as Endpoints, CronJob, Secret, every *Chaos) -> its analyzer
REGISTRY: dict[str, Analyzer] = {k: a for a in ANALYZERS for k in (a.kind, *a.kinds)}
_ALIASES = {"pvc": "PersistentVolumeClaim", "hpa": "HorizontalPodAutoscaler", "pdb": "PodDisruptionBudget",
            "svc": "Service", "deploy": "Deployment", "sts": "StatefulSet", "ds": "DaemonSet", "rs": "ReplicaSet",
            "netpol": "NetworkPolicy", "quota": "ResourceQuota", "cm": "ConfigMap", "ing": "Ingress"}


def analyzer_for(kind: str) -> Analyzer | None:
    """The analyzer that reports on ``kind`` (case-insensitive; short names like ``pvc`` work)."""
    if is_chaos_kind(kind):
        return REGISTRY["Chaos"]
    kind = _ALIASES.get(kind.lower(), kind)
    return next((a for k, a in REGISTRY.items() if k.lower() == kind.lower()), None)


def analyze_all(objects: Sequence[K8sObject], events: Sequence[K8sEvent], kind: str | None = None,
                namespace: str | None = None, now: float | None = None) -> list[Finding]:
    """Every analyzer's findings (or one kind's), optionally for one namespace; critical first."""
    cluster = Cluster(objects, events, now)
    chosen = ANALYZERS if kind is None else [a for a in [analyzer_for(kind)] if a is not None]
    out = [f for a in chosen for f in a.check(cluster)]
    if namespace is not None:
        out = [f for f in out if f.object.split("/")[0] in (namespace, "")]
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda f: (not f.active, order[f.severity], f.object, f.reason))


__all__ = ["ANALYZERS", "REGISTRY", "Analyzer", "Cluster", "Finding", "analyze_all", "analyzer_for"]
