"""Which Kubernetes kinds the live backend reads, how, and the RBAC rules that allows exactly.

Every kind a state analyzer judges (``sre_agent/analyzers/``) is here: workloads, Services and
Endpoints, ConfigMaps, HPAs, NetworkPolicies, PersistentVolumeClaims, Ingresses, Jobs and
CronJobs, PodDisruptionBudgets, ResourceQuotas and LimitRanges, Namespaces and Nodes, and the
Chaos Mesh experiments (``chaos-mesh.org/v1alpha1``), read through the custom-objects API: a
cluster without Chaos Mesh answers 404 for them, which is a recorded absence, not an error.

A kind is *listed* (once per namespace scope, see ``kubernetes.py``), never read by name; the
only ``get`` is a pod's log.  :func:`rbac_rules` derives the ClusterRole rules from this table
(``deploy/rbac.yaml`` and the namespaced overlay are tested against it).

Example:
    >>> canonical_kind("pvc"), canonical_kind("podchaos"), canonical_kind("nonsense")
    ('PersistentVolumeClaim', 'PodChaos', None)
    >>> [r for r in rbac_rules() if r["apiGroups"] == ["policy"]]
    [{'apiGroups': ['policy'], 'resources': ['poddisruptionbudgets'], 'verbs': ['list']}]
"""

from __future__ import annotations

from typing import Any

#: the API group and version of the Chaos Mesh experiments
CHAOS_GROUP, CHAOS_VERSION = "chaos-mesh.org", "v1alpha1"

# kind -> (plural, group attribute, list-in-namespace, list-all, read, namespaced)
KINDS: dict[str, tuple[str, str, str, str, str, bool]] = {
    "Pod": ("pods", "core", "list_namespaced_pod", "list_pod_for_all_namespaces", "read_namespaced_pod", True),
    "Deployment": ("deployments", "apps", "list_namespaced_deployment", "list_deployment_for_all_namespaces",
                   "read_namespaced_deployment", True),
    "ReplicaSet": ("replicasets", "apps", "list_namespaced_replica_set", "list_replica_set_for_all_namespaces",
                   "read_namespaced_replica_set", True),
    "StatefulSet": ("statefulsets", "apps", "list_namespaced_stateful_set", "list_stateful_set_for_all_namespaces",
                    "read_namespaced_stateful_set", True),
    "DaemonSet": ("daemonsets", "apps", "list_namespaced_daemon_set", "list_daemon_set_for_all_namespaces",
                  "read_namespaced_daemon_set", True),
    "Service": ("services", "core", "list_namespaced_service", "list_service_for_all_namespaces",
                "read_namespaced_service", True),
    "Endpoints": ("endpoints", "core", "list_namespaced_endpoints", "list_endpoints_for_all_namespaces",
                  "read_namespaced_endpoints", True),
    "ConfigMap": ("configmaps", "core", "list_namespaced_config_map", "list_config_map_for_all_namespaces",
                  "read_namespaced_config_map", True),
    "PersistentVolumeClaim": ("persistentvolumeclaims", "core", "list_namespaced_persistent_volume_claim",
                              "list_persistent_volume_claim_for_all_namespaces",
                              "read_namespaced_persistent_volume_claim", True),
    "ResourceQuota": ("resourcequotas", "core", "list_namespaced_resource_quota",
                      "list_resource_quota_for_all_namespaces", "read_namespaced_resource_quota", True),
    "LimitRange": ("limitranges", "core", "list_namespaced_limit_range", "list_limit_range_for_all_namespaces",
                   "read_namespaced_limit_range", True),
    "HorizontalPodAutoscaler": ("horizontalpodautoscalers", "autoscaling", "list_namespaced_horizontal_pod_autoscaler",
                                "list_horizontal_pod_autoscaler_for_all_namespaces",
                                "read_namespaced_horizontal_pod_autoscaler", True),
    "NetworkPolicy": ("networkpolicies", "networking", "list_namespaced_network_policy",
                      "list_network_policy_for_all_namespaces", "read_namespaced_network_policy", True),
    "Ingress": ("ingresses", "networking", "list_namespaced_ingress", "list_ingress_for_all_namespaces",
                "read_namespaced_ingress", True),
    "Job": ("jobs", "batch", "list_namespaced_job", "list_job_for_all_namespaces", "read_namespaced_job", True),
    "CronJob": ("cronjobs", "batch", "list_namespaced_cron_job", "list_cron_job_for_all_namespaces",
                "read_namespaced_cron_job", True),
    "PodDisruptionBudget": ("poddisruptionbudgets", "policy", "list_namespaced_pod_disruption_budget",
                            "list_pod_disruption_budget_for_all_namespaces",
                            "read_namespaced_pod_disruption_budget", True),
    "Namespace": ("namespaces", "core", "", "list_namespace", "read_namespace", False),
    "Node": ("nodes", "core", "", "list_node", "read_node", False),
}
#: Chaos Mesh kinds (custom resources): kind -> plural
CHAOS_KINDS: dict[str, str] = {
    "PodChaos": "podchaos", "NetworkChaos": "networkchaos", "StressChaos": "stresschaos", "HTTPChaos": "httpchaos",
    "IOChaos": "iochaos", "TimeChaos": "timechaos", "DNSChaos": "dnschaos", "JVMChaos": "jvmchaos",
    "KernelChaos": "kernelchaos", "Schedule": "schedules", "Workflow": "workflows",
}
for _kind, _plural in CHAOS_KINDS.items():
    KINDS[_kind] = (_plural, "custom", "list_namespaced_custom_object", "list_cluster_custom_object", "", True)

API_VERSIONS = {"apps": "apps/v1", "autoscaling": "autoscaling/v2", "networking": "networking.k8s.io/v1",
                "batch": "batch/v1", "policy": "policy/v1", "custom": f"{CHAOS_GROUP}/{CHAOS_VERSION}", "core": "v1"}

_KIND_ALIASES = {k.lower(): k for k in KINDS} | {v[0]: k for k, v in KINDS.items()} | {
    "hpa": "HorizontalPodAutoscaler", "ep": "Endpoints", "endpoint": "Endpoints", "cm": "ConfigMap",
    "netpol": "NetworkPolicy", "ns": "Namespace", "svc": "Service", "rs": "ReplicaSet", "deploy": "Deployment",
    "pvc": "PersistentVolumeClaim", "ing": "Ingress", "cj": "CronJob", "pdb": "PodDisruptionBudget",
    "quota": "ResourceQuota", "limits": "LimitRange",
}


def canonical_kind(kind: str) -> str | None:
    """``pods`` / ``pod`` / ``Pod`` -> ``Pod``; ``None`` for a kind this backend does not read."""
    return _KIND_ALIASES.get(str(kind).strip().lower()) or (kind if kind in KINDS else None)


def is_custom(kind: str) -> bool:
    """A custom resource (Chaos Mesh): absent when its CRD is not installed."""
    return KINDS[kind][1] == "custom"


def api_group(kind: str) -> str:
    """The RBAC ``apiGroup`` of a kind (``""`` for the core group)."""
    version = API_VERSIONS[KINDS[kind][1]]
    return version.split("/")[0] if "/" in version else ""


def rbac_rules(namespaced_only: bool = False) -> list[dict[str, Any]]:
    """The RBAC rules that allow exactly what the backend reads: ``list`` on every kind, ``get`` on
    pods' logs, ``list`` on both Event APIs.  ``namespaced_only`` leaves out the cluster-scoped
    kinds (Namespaces, Nodes), which a namespaced Role cannot grant."""
    grants: dict[tuple[str, str], set[str]] = {}
    for kind, spec in KINDS.items():
        if namespaced_only and not spec[5]:
            continue
        grants.setdefault((api_group(kind), "list"), set()).add(spec[0])
    grants[("", "list")].add("events")
    grants.setdefault(("events.k8s.io", "list"), set()).add("events")
    grants[("", "get")] = {"pods/log"}
    order = ["", "apps", "autoscaling", "batch", "networking.k8s.io", "policy", "events.k8s.io", CHAOS_GROUP]
    return [{"apiGroups": [group], "resources": sorted(resources), "verbs": [verb]}
            for (group, verb), resources in sorted(grants.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1]))]


__all__ = ["API_VERSIONS", "CHAOS_GROUP", "CHAOS_KINDS", "CHAOS_VERSION", "KINDS", "api_group", "canonical_kind",
           "is_custom", "rbac_rules"]
