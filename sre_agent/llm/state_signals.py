"""How the reasoner weighs the state analyzers' findings (tool ``analyze_cluster``) as
root-cause mechanisms: base strength per reason code, and whether the finding is timed as a
failure (seen while it happens) or as a configuration change (seen when it was written).

Reasons absent here (replicas unavailable, no ready endpoints, a pod not ready, a finished
chaos experiment ...) are effects or notes: evidence of an anomaly, never a mechanism.

Example:
    >>> STATE_MECHANISMS["selector_no_match"], "crash_loop" in STATE_FAILURES
    (0.9, True)
    >>> distinct_facts(["container_terminated", "oom_killed"]), distinct_facts(["oom_killed", "selector_no_match"])
    (1, 2)
"""

from __future__ import annotations

#: reason code -> base strength as a root cause (the scale of reasoning.MECHANISM_SIGNALS)
STATE_MECHANISMS: dict[str, float] = {
    # configuration that breaks a path, found in the current objects
    "chaos_active": 1.0, "target_port_mismatch": 0.95, "selector_no_match": 0.9, "denies_ingress": 0.9,
    "denies_egress": 0.85, "missing_configmap": 0.9, "missing_secret": 0.9, "missing_key": 0.85,
    "backend_missing": 0.85, "backend_port_missing": 0.85, "quota_exhausted": 0.9, "quota_rejects_pods": 0.9,
    "limit_range_rejects": 0.85, "hpa_floor_over_demand": 0.8,
    # failures of a component, seen while they last
    "image_pull_error": 0.9, "config_error": 0.85, "oom_killed": 0.8, "init_failing": 0.8, "crash_loop": 0.75,
    "unschedulable": 0.8, "quota_exceeded": 0.85, "quota_rejected": 0.85, "failed_create": 0.7, "replica_failure": 0.6, "pvc_pending": 0.85,
    "pvc_lost": 0.85, "node_not_ready": 0.85, "node_pressure": 0.6, "blocking_taint": 0.7, "probe_failing": 0.6,
    "pod_failed": 0.5, "hpa_at_max": 0.6, "hpa_unable_to_scale": 0.5, "hpa_target_missing": 0.5, "job_failed": 0.5,
    "cronjob_failing": 0.4, "pods_unavailable": 0.4, "service_missing": 0.4, "pdb_blocking": 0.3,
}
#: reasons timed as failures (the reasoner's FAILURE_SIGNALS); the rest are timed as changes
STATE_FAILURES: set[str] = {
    "image_pull_error", "config_error", "oom_killed", "init_failing", "crash_loop", "unschedulable", "quota_exceeded",
    "quota_rejected",
    "failed_create", "replica_failure", "pvc_pending", "pvc_lost", "node_not_ready", "node_pressure", "probe_failing",
    "pod_failed", "hpa_at_max", "hpa_unable_to_scale", "job_failed", "cronjob_failing", "pods_unavailable",
}
#: reasons that are a configuration change acting on services (the reasoner's CHANGE_SIGNALS)
STATE_CHANGES: set[str] = set(STATE_MECHANISMS) - STATE_FAILURES - {"pdb_blocking", "service_missing", "hpa_target_missing",
                                                                      "blocking_taint"}
#: reasons that show an entity is in trouble without naming a mechanism: an observed anomaly
#: for the verifier and the verification gate, not a candidate cause
STATE_ANOMALIES: set[str] = {"replicas_unavailable", "no_ready_endpoints", "pod_not_ready", "rollout_stalled"}

#: pod-health signals the other tools already give (recent_changes, get_events)
_POD_HEALTH = {"container_waiting", "container_terminated", "pod_phase", "pod_restarted", "crashloop", "oomkilled",
               "image_pull", "evicted"}
#: the state analyzers' pod reasons: the same facts seen again from the pod's current status
_STATE_POD = {"crash_loop", "oom_killed", "image_pull_error", "config_error", "init_failing", "pod_failed"}


def distinct_facts(signals: list[str] | set[str]) -> int:
    """How many distinct facts a candidate's signals state, for corroboration: a pod's status
    read by the state analyzers restates what another tool already said about the same pod."""
    facts = set(signals)
    if facts & _POD_HEALTH:
        facts -= _STATE_POD
    return len(facts)
