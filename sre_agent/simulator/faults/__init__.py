"""Fault mechanisms: one function per way ITBench breaks the demo, driven by the ground truth.

:func:`classify` reads the root-cause group (kind, filters, fault mechanism and condition words)
and picks a mechanism; the mechanism changes Kubernetes objects, writes the events a real
controller would write, and registers its effects on calls, traffic and resources in the
:class:`~.incident.Incident`.  Symptoms then propagate through the request flows by
themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from ..groundtruth import GroundTruth, Group, service_of
from ._blocks import chaos, crashloop, endpoints_refresh, pod_image, pod_ref_events, rollout
from ._capacity import m_broker_disk_full, m_hpa_capped
from ._chaos import _chaos_with_schedule, m_http, m_jvm, m_network, m_pod_failure, m_schedule, m_stress
from ._context import CHAOS_KINDS, Context, chain, direct_service, direct_targets, mark_critical, rc_name, services_in_name
from ._flagd_faults import m_flagd
from ._k8s_objects import m_cpu_throttle, m_dns_failure, m_pvc_pending, m_quota, m_selector_mismatch
from ._k8s_pods import (m_bad_command, m_init_failure, m_liveness_probe, m_missing_configmap_volume, m_missing_secret,
                        m_oom_limit, m_readiness_probe, m_unschedulable)
from ._pod import m_dependency_auth, m_generic, m_load_surge, m_namespace, m_pod_crash
from ._workload import m_bad_image, m_env, m_hpa, m_network_policy, m_scale_zero, m_service_port


#: Mechanisms of sre-agent's own ground truths, keyed by their ``fault_mechanism`` (none of ITBench's 29 uses these).
OWN_MECHANISMS: dict[str, Callable[[Context, Group], None]] = {
    "resource_quota_exceeded": m_quota, "unschedulable_node_selector": m_unschedulable,
    "readiness_probe_failure": m_readiness_probe, "liveness_probe_failure": m_liveness_probe,
    "missing_secret_reference": m_missing_secret, "missing_configmap_volume": m_missing_configmap_volume,
    "pvc_pending": m_pvc_pending, "service_selector_mismatch": m_selector_mismatch,
    "cpu_limit_throttling": m_cpu_throttle, "dns_misconfiguration": m_dns_failure,
    "init_container_failure": m_init_failure, "bad_container_command": m_bad_command,
    "oom_memory_limit": m_oom_limit, "broker_disk_full": m_broker_disk_full, "hpa_max_replicas_cap": m_hpa_capped,
}

#: Own mechanisms whose Deployment uses the Recreate strategy (the old pod goes before the new one is up).
RECREATE = frozenset({"unschedulable_node_selector", "readiness_probe_failure", "missing_secret_reference",
                      "missing_configmap_volume", "pvc_pending", "init_container_failure", "bad_container_command",
                      "oom_memory_limit", "resource_quota_exceeded"})


def own_mechanism(gt: GroundTruth) -> str | None:
    """The ``fault_mechanism`` of ``gt`` when it is one of :data:`OWN_MECHANISMS`."""
    return next((f.mechanism for f in gt.faults if f.mechanism in OWN_MECHANISMS), None)


def recreate_services(gt: GroundTruth) -> frozenset[str]:
    """Services whose Deployment must use the Recreate strategy for ``gt``'s own mechanism (else none)."""
    if own_mechanism(gt) not in RECREATE:
        return frozenset()
    out = set()
    for rc in gt.root_causes:
        svc = service_of(rc.id, rc.filters, rc.name) or next(iter(direct_targets(gt, rc)), None)
        if svc:
            out.add(svc)
    return frozenset(out)


def classify(gt: GroundTruth, rc: Group) -> Callable[[Context, Group], None]:
    """The mechanism for a root-cause group."""
    own = own_mechanism(gt)
    if own:
        return OWN_MECHANISMS[own]
    kind = rc.kind.lower()
    text = gt.all_text() + " " + rc.id.lower()
    if kind == "configmap":
        return m_flagd
    if kind in CHAOS_KINDS:
        return {"networkchaos": _chaos_with_schedule(m_network), "podchaos": _chaos_with_schedule(m_pod_failure),
                "stresschaos": _chaos_with_schedule(m_stress), "httpchaos": _chaos_with_schedule(m_http),
                "jvmchaos": _chaos_with_schedule(m_jvm), "schedule": m_schedule}[kind]
    if kind == "deployment":
        if "image" in text:
            return m_bad_image
        if "environment" in text or " env" in text or "port" in text:
            return m_env
        return m_scale_zero
    if kind == "service":
        return m_service_port if "port" in text else m_scale_zero
    if kind == "networkpolicy":
        return m_network_policy
    if kind in ("horizontalpodautoscaler", "hpa"):
        return m_hpa
    if kind == "namespace":
        return m_namespace
    if kind == "pod":
        if "password" in text or "authenticat" in text:
            return m_dependency_auth
        if "load-generator" in rc.id or "users" in text:
            return m_load_surge
        return m_pod_crash
    return m_generic


def inject(ctx: Context) -> None:
    """Apply every root cause of the ground truth."""
    mark_critical(ctx)
    for rc in ctx.gt.root_causes:
        classify(ctx.gt, rc)(ctx, rc)


__all__ = ["CHAOS_KINDS", "Context", "chain", "chaos", "classify", "crashloop", "direct_service", "direct_targets",
           "endpoints_refresh", "inject", "own_mechanism", "recreate_services", "pod_image", "pod_ref_events", "rc_name", "rollout", "services_in_name"]
