"""State analyzers: for every kind, objects built here that must and must not produce each finding."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sre_agent.analyzers import ANALYZERS, REGISTRY, analyze_all, analyzer_for
from sre_agent.models import K8sEvent, K8sObject

NS = "shop"
T0 = "2025-01-01T10:00:00Z"  # 1735725600
T0_S = 1735725600.0


def obj(kind: str, name: str, spec: dict | None = None, status: dict | None = None, ns: str = NS, **meta: Any) -> K8sObject:
    body: dict[str, Any] = {"metadata": {"name": name, "namespace": ns, **meta}}
    if spec is not None:
        body["spec"] = spec
    if status is not None:
        body["status"] = status
    return K8sObject(T0_S + 600, kind, ns, name, body)


def event(kind: str, name: str, reason: str, message: str, t: float = T0_S, count: int = 1, ns: str = NS,
          typ: str = "Warning") -> K8sEvent:
    return K8sEvent(t, typ, reason, message, kind, ns, name, count)


def pod(name: str, labels: dict | None = None, phase: str = "Running", ready: bool = True, containers: list | None = None,
        statuses: list | None = None, owner: str | None = None, **extra: Any) -> K8sObject:
    meta: dict[str, Any] = {"labels": labels or {"app": name.rsplit("-", 1)[0]}}
    if owner:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner, "controller": True}]
    st = {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
          "containerStatuses": statuses or [{"name": "main", "ready": ready, "restartCount": 0, "state": {"running": {}}}]}
    sp = {"containers": containers or [{"name": "main", "image": "x", "ports": [{"containerPort": 8080, "name": "http"}]}],
          "nodeName": "n1", **extra}
    return obj("Pod", name, sp, st, **meta)


def reasons(objects: list[K8sObject], events: list[K8sEvent] = (), kind: str | None = None) -> set[tuple[str, str]]:
    return {(f.object, f.reason) for f in analyze_all(objects, list(events), kind=kind) if f.active}


def only(found: set[tuple[str, str]], reason: str) -> set[str]:
    return {o for o, r in found if r == reason}


# -- Pod ------------------------------------------------------------------------------------
def test_pod_pending_unschedulable_says_why_and_a_scheduled_pod_does_not():
    p = obj("Pod", "cart-1", {"containers": []}, {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": T0,
         "message": "0/3 nodes are available: 3 Insufficient memory."}]})
    fs = analyze_all([p], [event("Pod", "cart-1", "FailedScheduling", "0/3 nodes are available", t=T0_S + 30, count=4)])
    f = next(f for f in fs if f.reason == "unschedulable")
    assert "Insufficient memory" in f.message and f.first_seen == T0_S and f.last_seen == T0_S + 30
    assert not only(reasons([pod("cart-1")]), "unschedulable")


def test_pod_crashloop_reports_last_termination_and_oom_separately():
    crash = pod("cart-1", ready=False, statuses=[{"name": "main", "ready": False, "restartCount": 5,
                                                  "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                                  "lastState": {"terminated": {"reason": "Error", "exitCode": 2}}}])
    oom = pod("ad-1", ready=False, statuses=[{"name": "main", "ready": False, "restartCount": 3,
                                              "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                              "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}])
    fs = {f.object: f for f in analyze_all([crash, oom, pod("ok-1")], [])}
    assert fs[f"{NS}/Pod/cart-1"].reason == "crash_loop" and "Error, exit code 2" in fs[f"{NS}/Pod/cart-1"].message
    assert fs[f"{NS}/Pod/ad-1"].reason == "oom_killed"
    assert f"{NS}/Pod/ok-1" not in fs


def test_pod_image_pull_and_config_error_name_what_is_missing():
    pull = pod("web-1", ready=False, statuses=[{"name": "main", "ready": False, "state": {"waiting": {
        "reason": "ImagePullBackOff", "message": "Back-off pulling image \"x:bad\""}}}])
    cfg = pod("api-1", ready=False, statuses=[{"name": "main", "ready": False, "state": {"waiting": {
        "reason": "CreateContainerConfigError", "message": "configmap \"api-config\" not found"}}}])
    fs = {f.object: f for f in analyze_all([pull, cfg], [])}
    assert fs[f"{NS}/Pod/web-1"].reason == "image_pull_error"
    assert fs[f"{NS}/Pod/api-1"].reason == "config_error" and f"{NS}/ConfigMap/api-config" in fs[f"{NS}/Pod/api-1"].related


def test_pod_probe_failing_init_failing_and_not_ready():
    probe = pod("cart-1", ready=False)
    init = pod("db-1", phase="Pending", ready=False, statuses=[])
    init.body["status"]["initContainerStatuses"] = [{"name": "migrate", "restartCount": 2, "state": {
        "waiting": {"reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]
    lonely = pod("web-1", ready=False)
    evs = [event("Pod", "cart-1", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", count=9)]
    found = reasons([probe, init, lonely], evs)
    assert only(found, "probe_failing") == {f"{NS}/Pod/cart-1"}
    assert only(found, "init_failing") == {f"{NS}/Pod/db-1"}
    assert only(found, "pod_not_ready") == {f"{NS}/Pod/web-1"}  # not ready, no probe event to say why


def test_pod_findings_carry_the_owner_chain():
    rs = obj("ReplicaSet", "cart-7d9", {"replicas": 1}, {"replicas": 1},
             ownerReferences=[{"kind": "Deployment", "name": "cart", "controller": True}])
    p = pod("cart-7d9-abc", ready=False, owner="cart-7d9", statuses=[{"name": "main", "ready": False, "state": {
        "waiting": {"reason": "ErrImagePull"}}}])
    f = next(f for f in analyze_all([rs, p], []) if f.reason == "image_pull_error")
    assert f.related == [f"{NS}/ReplicaSet/cart-7d9", f"{NS}/Deployment/cart"]


# -- workloads ------------------------------------------------------------------------------
def test_deployment_unavailable_stalled_generation_and_zero():
    bad = obj("Deployment", "cart", {"replicas": 2}, {"observedGeneration": 2, "readyReplicas": 0, "availableReplicas": 0,
              "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "timed out"}]},
              generation=3)
    zero = obj("Deployment", "ad", {"replicas": 0}, {"observedGeneration": 1}, generation=1)
    good = obj("Deployment", "web", {"replicas": 2}, {"observedGeneration": 1, "readyReplicas": 2, "availableReplicas": 2}, generation=1)
    found = {(o, r) for o, r in {(f.object, f.reason) for f in analyze_all([bad, zero, good], [])}}
    assert {r for o, r in found if o == f"{NS}/Deployment/cart"} == {"replicas_unavailable", "rollout_stalled", "generation_pending"}
    assert {r for o, r in found if o == f"{NS}/Deployment/ad"} == {"scaled_to_zero"}
    assert not {r for o, r in found if o == f"{NS}/Deployment/web"}


def test_replicaset_failed_create_exceeded_quota_names_the_quota():
    rs = obj("ReplicaSet", "cart-7d9", {"replicas": 2}, {"replicas": 0},
             ownerReferences=[{"kind": "Deployment", "name": "cart", "controller": True}])
    fine = obj("ReplicaSet", "web-1a2", {"replicas": 1}, {"replicas": 1})
    old = obj("ReplicaSet", "web-0ff", {"replicas": 0}, {"replicas": 0})
    evs = [event("ReplicaSet", "cart-7d9", "FailedCreate", 'pods "cart-7d9-x" is forbidden: exceeded quota: compute, requested: pods=1',
                 count=12),
           event("ReplicaSet", "web-0ff", "FailedCreate", "old trouble", t=T0_S - 7200)]
    fs = analyze_all([rs, fine, old], evs)
    f = next(f for f in fs if f.object == f"{NS}/ReplicaSet/cart-7d9")
    assert f.reason == "quota_exceeded" and f.related[:2] == [f"{NS}/ResourceQuota/compute", f"{NS}/Deployment/cart"]
    assert {f.object for f in fs} == {f"{NS}/ReplicaSet/cart-7d9"}


def test_statefulset_and_daemonset():
    sts = obj("StatefulSet", "pg", {"replicas": 3, "serviceName": "pg-headless"}, {"readyReplicas": 1})
    sts_ok = obj("StatefulSet", "kafka", {"replicas": 1, "serviceName": "kafka"}, {"readyReplicas": 1})
    svc = obj("Service", "kafka", {"clusterIP": "None"})
    ds = obj("DaemonSet", "agent", {}, {"desiredNumberScheduled": 3, "numberReady": 1, "numberUnavailable": 2})
    ds_ok = obj("DaemonSet", "logs", {}, {"desiredNumberScheduled": 3, "numberReady": 3, "numberUnavailable": 0})
    found = reasons([sts, sts_ok, svc, ds, ds_ok])
    assert only(found, "service_missing") == {f"{NS}/StatefulSet/pg"}
    assert only(found, "replicas_unavailable") == {f"{NS}/StatefulSet/pg"}
    assert only(found, "pods_unavailable") == {f"{NS}/DaemonSet/agent"}


# -- Service, Ingress -----------------------------------------------------------------------
def test_service_selector_no_match_no_ready_endpoints_and_port_mismatch():
    pods = [pod("cart-1", {"app": "cart"}), pod("ad-1", {"app": "ad"}, ready=False), pod("web-1", {"app": "web"})]
    typo = obj("Service", "cart", {"selector": {"app": "kart"}, "ports": [{"port": 80, "targetPort": 8080}]})
    unready = obj("Service", "ad", {"selector": {"app": "ad"}, "ports": [{"port": 80, "targetPort": 8080}]})
    port = obj("Service", "web", {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 9999}]})
    good = obj("Service", "cart2", {"selector": {"app": "cart"}, "ports": [{"port": 80, "targetPort": "http"}]})
    eps = obj("Endpoints", "ad", None, None)
    eps.body["subsets"] = [{"notReadyAddresses": [{"ip": "10.0.0.1"}]}]
    found = reasons(pods + [typo, unready, port, good, eps])
    assert only(found, "selector_no_match") == {f"{NS}/Service/cart"}
    assert only(found, "no_ready_endpoints") == {f"{NS}/Service/ad"}
    assert only(found, "target_port_mismatch") == {f"{NS}/Service/web"}
    assert not {r for o, r in found if o == f"{NS}/Service/cart2"}


def test_service_one_undeclared_port_of_several_is_only_a_hint():
    p = pod("flagd-1", {"app": "flagd"})
    svc = obj("Service", "flagd", {"selector": {"app": "flagd"}, "ports": [{"port": 8080, "targetPort": 8080},
                                                                         {"port": 8016, "targetPort": 8016}]})
    fs = analyze_all([p, svc], [])
    assert [(f.reason, f.severity) for f in fs] == [("target_port_undeclared", "info")]


def test_ingress_backend_missing_and_port_missing():
    def ing(name: str, svc: str, port: int) -> K8sObject:
        return obj("Ingress", name, {"rules": [{"http": {"paths": [{"path": "/", "backend": {
            "service": {"name": svc, "port": {"number": port}}}}]}}]})
    svc = obj("Service", "web", {"ports": [{"port": 80}]})
    found = reasons([svc, ing("a", "nope", 80), ing("b", "web", 81), ing("c", "web", 80)])
    assert only(found, "backend_missing") == {f"{NS}/Ingress/a"}
    assert only(found, "backend_port_missing") == {f"{NS}/Ingress/b"}


# -- storage, nodes, autoscaling, disruption --------------------------------------------------
def test_pvc_pending_with_provisioning_failure_and_bound_pvc_quiet():
    pending = obj("PersistentVolumeClaim", "data", {}, {"phase": "Pending"})
    bound = obj("PersistentVolumeClaim", "logs", {}, {"phase": "Bound"})
    user = pod("pg-0", volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}])
    evs = [event("PersistentVolumeClaim", "data", "ProvisioningFailed", 'storageclass.storage.k8s.io "fast" not found')]
    f = next(f for f in analyze_all([pending, bound, user], evs))
    assert f.reason == "pvc_pending" and "fast" in f.message and f.related == [f"{NS}/Pod/pg-0"] and f.first_seen == T0_S
    assert len(analyze_all([pending, bound, user], evs)) == 1


def test_node_not_ready_pressure_cordon_and_blocking_taint():
    bad = obj("Node", "n1", {"unschedulable": True, "taints": [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]},
              {"conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady", "lastTransitionTime": T0},
                              {"type": "DiskPressure", "status": "True"}]}, ns="")
    good = obj("Node", "n2", {}, {"conditions": [{"type": "Ready", "status": "True"},
                                                 {"type": "DiskPressure", "status": "False"}]}, ns="")
    waiting = obj("Pod", "job-1", {"containers": []}, {"phase": "Pending"})
    tolerant = obj("Pod", "gpu-1", {"containers": [], "tolerations": [{"key": "gpu", "operator": "Exists"}]}, {"phase": "Pending"})
    fs = analyze_all([bad, good, waiting, tolerant], [])
    by = {(f.object, f.reason): f for f in fs}
    assert {r for o, r in by if o == "/Node/n1"} == {"node_not_ready", "node_pressure", "node_cordoned", "blocking_taint"}
    assert by[("/Node/n1", "blocking_taint")].related == [f"{NS}/Pod/job-1"]
    assert by[("/Node/n1", "node_not_ready")].first_seen == T0_S
    assert not {r for o, r in by if o == "/Node/n2"}


def test_hpa_pinned_at_max_unable_to_scale_and_healthy():
    target = obj("Deployment", "cart", {"replicas": 5}, {"readyReplicas": 5, "availableReplicas": 5})
    pinned = obj("HorizontalPodAutoscaler", "cart", {"maxReplicas": 5, "scaleTargetRef": {"kind": "Deployment", "name": "cart"}},
                 {"currentReplicas": 5, "desiredReplicas": 5})
    blind = obj("HorizontalPodAutoscaler", "web", {"maxReplicas": 5, "scaleTargetRef": {"kind": "Deployment", "name": "web"}},
                {"currentReplicas": 1, "desiredReplicas": 1, "conditions": [
                    {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric"}]})
    calm = obj("HorizontalPodAutoscaler", "ad", {"maxReplicas": 5, "scaleTargetRef": {"kind": "Deployment", "name": "cart"}},
               {"currentReplicas": 2, "desiredReplicas": 2})
    found = reasons([target, pinned, blind, calm])
    assert only(found, "hpa_at_max") == {f"{NS}/HorizontalPodAutoscaler/cart"}
    assert only(found, "hpa_unable_to_scale") == {f"{NS}/HorizontalPodAutoscaler/web"}
    assert only(found, "hpa_target_missing") == {f"{NS}/HorizontalPodAutoscaler/web"}
    assert not {r for o, r in found if o.endswith("/ad")}


def test_pdb_blocking_only_with_unhealthy_pods():
    sel = {"selector": {"matchLabels": {"app": "cart"}}}
    blocking = obj("PodDisruptionBudget", "cart", sel, {"disruptionsAllowed": 0, "currentHealthy": 1, "desiredHealthy": 2})
    tight = obj("PodDisruptionBudget", "cart2", sel, {"disruptionsAllowed": 0, "currentHealthy": 2, "desiredHealthy": 2})
    found = reasons([blocking, tight, pod("cart-1", {"app": "cart"})])
    assert only(found, "pdb_blocking") == {f"{NS}/PodDisruptionBudget/cart"}


# -- NetworkPolicy ----------------------------------------------------------------------------
def test_network_policy_denying_ingress_to_a_called_service():
    deny = obj("NetworkPolicy", "block", {"podSelector": {"matchLabels": {"app": "cart"}}, "policyTypes": ["Ingress"], "ingress": []})
    allow_egress = obj("NetworkPolicy", "egress", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"namespaceSelector": {}}]}]})
    svc = obj("Service", "cart", {"selector": {"app": "cart"}})
    f = next(f for f in analyze_all([deny, allow_egress, svc, pod("cart-1", {"app": "cart"})], []) if f.reason == "denies_ingress")
    assert f.object == f"{NS}/NetworkPolicy/block" and f"{NS}/Service/cart" in f.related
    # another policy that opens ingress to the same pods: nothing is denied
    opener = obj("NetworkPolicy", "open", {"podSelector": {"matchLabels": {"app": "cart"}}, "ingress": [{"from": [{"podSelector": {}}]}]})
    assert not only(reasons([deny, opener, svc, pod("cart-1", {"app": "cart"})]), "denies_ingress")
    # pods no Service selects: nobody calls them
    assert not only(reasons([deny, pod("cart-1", {"app": "cart"})]), "denies_ingress")


# -- Job / CronJob, quota, references, chaos ----------------------------------------------------
def test_failed_job_and_its_cronjob():
    failed = obj("Job", "backup-1", {}, {"failed": 6, "conditions": [{"type": "Failed", "status": "True",
                                                                      "reason": "BackoffLimitExceeded"}]},
                 ownerReferences=[{"kind": "CronJob", "name": "backup", "controller": True}])
    done = obj("Job", "backup-0", {}, {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]},
               ownerReferences=[{"kind": "CronJob", "name": "backup", "controller": True}])
    cron = obj("CronJob", "backup", {"schedule": "@daily"}, {})
    found = reasons([failed, done, cron])
    assert only(found, "job_failed") == {f"{NS}/Job/backup-1"}
    assert only(found, "cronjob_failing") == {f"{NS}/CronJob/backup"}


def test_quota_exhausted_names_blocked_workloads_and_a_roomy_quota_is_quiet():
    full = obj("ResourceQuota", "compute", {}, {"hard": {"pods": "4", "requests.memory": "1Gi"},
                                                "used": {"pods": "4", "requests.memory": "512Mi"}})
    roomy = obj("ResourceQuota", "other", {}, {"hard": {"pods": "40"}, "used": {"pods": "4"}})
    rs = obj("ReplicaSet", "cart-7d9", {"replicas": 1}, {"replicas": 0},
             ownerReferences=[{"kind": "Deployment", "name": "cart", "controller": True}])
    evs = [event("ReplicaSet", "cart-7d9", "FailedCreate", "forbidden: exceeded quota: compute, requested: pods=1")]
    fs = {f.object: f for f in analyze_all([full, roomy, rs], evs, kind="ResourceQuota")}
    assert set(fs) == {f"{NS}/ResourceQuota/compute"}
    f = fs[f"{NS}/ResourceQuota/compute"]
    assert f.severity == "critical" and "pods 4/4" in f.message and f"{NS}/Deployment/cart" in f.related


def test_quota_refusing_pods_that_do_not_specify_what_it_meters():
    q = obj("ResourceQuota", "compute", {}, {"hard": {"limits.cpu": "8"}, "used": {"limits.cpu": "0"}})
    rs = obj("ReplicaSet", "cart-7d9", {"replicas": 1}, {"replicas": 0},
             ownerReferences=[{"kind": "Deployment", "name": "cart", "controller": True}])
    evs = [event("ReplicaSet", "cart-7d9", "FailedCreate",
                 'pods "cart-7d9-x" is forbidden: failed quota: compute: must specify limits.cpu for: cart')]
    found = reasons([q, rs], evs)
    assert only(found, "quota_rejects_pods") == {f"{NS}/ResourceQuota/compute"}
    assert only(found, "quota_rejected") == {f"{NS}/ReplicaSet/cart-7d9"}
    assert not reasons([q, rs])  # nothing refused, nothing used up


def test_limit_range_rejecting_pods():
    lr = obj("LimitRange", "limits", {"limits": [{"type": "Container", "max": {"memory": "64Mi"}}]})
    rs = obj("ReplicaSet", "cart-7d9", {"replicas": 1}, {"replicas": 0})
    evs = [event("ReplicaSet", "cart-7d9", "FailedCreate", "forbidden: maximum memory usage per Container is 64Mi, but limit is 1Gi")]
    assert only(reasons([lr, rs], evs), "limit_range_rejects") == {f"{NS}/LimitRange/limits"}
    assert not only(reasons([lr, rs]), "limit_range_rejects")


def test_missing_configmap_secret_and_key_references():
    def deploy(name: str, env: list) -> K8sObject:
        return obj("Deployment", name, {"replicas": 1, "template": {"spec": {"containers": [{"name": "m", "env": env}]}}},
                   {"readyReplicas": 1, "availableReplicas": 1})
    cm = obj("ConfigMap", "cfg", None, None)
    cm.body["data"] = {"url": "x"}
    sec = obj("Secret", "creds", None, None)
    sec.body["data"] = {"password": "***"}
    a = deploy("a", [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "gone", "key": "url"}}}])
    b = deploy("b", [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}}])
    c = deploy("c", [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "url"}}}])
    d = deploy("d", [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k", "optional": True}}}])
    found = reasons([cm, sec, a, b, c, d], kind="ConfigMap")
    assert only(found, "missing_configmap") == {f"{NS}/Deployment/a"}
    assert only(found, "missing_key") == {f"{NS}/Deployment/b"}
    assert not {r for o, r in found if o.endswith("/c")}
    f = next(f for f in analyze_all([cm, sec, d], []) if f.object.endswith("/d"))
    assert f.severity == "info"  # optional: no fault


def test_secrets_not_recorded_are_not_called_missing():
    d = obj("Deployment", "a", {"template": {"spec": {"containers": [{"name": "m", "envFrom": [{"secretRef": {"name": "s"}}]}]}}}, {})
    assert not reasons([d], kind="Secret")
    # unless a pod's config error says so
    ev = event("Pod", "a-1", "Failed", 'Error: secret "s" not found')
    assert only(reasons([d], [ev], kind="Secret"), "missing_secret") == {f"{NS}/Deployment/a"}


def test_chaos_active_with_targets_and_finished_or_paused_flagged_inactive():
    sel = {"namespaces": [NS], "labelSelectors": {"app": "cart"}}
    running = obj("NetworkChaos", "delay", {"action": "delay", "selector": sel}, {"experiment": {"desiredPhase": "Run"}}, ns="chaos-mesh",
                  creationTimestamp=T0)
    finished = obj("PodChaos", "old", {"action": "pod-kill", "selector": sel}, {"experiment": {"desiredPhase": "Stop"}}, ns="chaos-mesh")
    paused = obj("StressChaos", "p", {"selector": sel}, {}, ns="chaos-mesh",
                 annotations={"experiment.chaos-mesh.org/pause": "true"})
    elapsed = obj("HTTPChaos", "short", {"selector": sel, "duration": "5m"}, {}, ns="chaos-mesh", creationTimestamp=T0)
    svc = obj("Service", "cart", {"selector": {"app": "cart"}})
    fs = {f.object.split("/")[-1]: f for f in analyze_all([running, finished, paused, elapsed, svc, pod("cart-1", {"app": "cart"})],
                                                          [event("NetworkChaos", "delay", "Started", "started", t=T0_S + 5, ns="chaos-mesh")],
                                                          kind="Chaos", now=T0_S + 3600)}
    assert fs["delay"].reason == "chaos_active" and fs["delay"].active
    assert {f"{NS}/Pod/cart-1", f"{NS}/Service/cart"} <= set(fs["delay"].related) and fs["delay"].first_seen == T0_S
    for name in ("old", "p", "short"):
        assert fs[name].reason == "chaos_inactive" and not fs[name].active, name
    assert analyze_all([elapsed], [], kind="Chaos", now=T0_S + 60)[0].active  # still within its 5 minutes


# -- the interface -----------------------------------------------------------------------------
def test_registry_covers_the_kinds_the_issue_lists():
    wanted = {"Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Service", "Endpoints", "Ingress",
              "PersistentVolumeClaim", "Node", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Job",
              "CronJob", "ResourceQuota", "LimitRange", "ConfigMap", "Secret"}
    assert wanted <= set(REGISTRY)
    assert analyzer_for("PodChaos") is analyzer_for("Schedule") is REGISTRY["Chaos"]
    assert analyzer_for("pvc") is REGISTRY["PersistentVolumeClaim"] and analyzer_for("Nope") is None


def _healthy_and_broken() -> tuple[list[K8sObject], list[K8sEvent]]:
    objs = [pod("cart-1", {"app": "cart"}, ready=False, statuses=[{"name": "main", "ready": False, "state": {
        "waiting": {"reason": "CrashLoopBackOff"}}}]), obj("Service", "cart", {"selector": {"app": "kart"}}),
        obj("ResourceQuota", "q", {}, {"hard": {"pods": "1"}, "used": {"pods": "1"}})]
    return objs, [event("Pod", "cart-1", "BackOff", "Back-off restarting failed container")]


@pytest.mark.parametrize("analyzer", ANALYZERS, ids=lambda a: a.kind)
def test_analyzers_only_read_their_input(analyzer: Any):
    objs, evs = _healthy_and_broken()
    before = copy.deepcopy([o.body for o in objs]), list(evs)
    analyzer.analyze(objs, evs)
    assert [o.body for o in objs] == before[0] and evs == before[1]


def test_findings_are_sorted_critical_first_and_filtered_by_namespace():
    objs, evs = _healthy_and_broken()
    other = obj("Service", "x", {"selector": {"app": "none"}}, ns="elsewhere")
    other_pod = obj("Pod", "y", {"containers": []}, {"phase": "Running"}, ns="elsewhere")
    fs = analyze_all(objs + [other, other_pod], evs, namespace=NS)
    assert {f.object.split("/")[0] for f in fs} == {NS}
    order = ["critical", "warning", "info"]
    assert [order.index(f.severity) for f in fs] == sorted(order.index(f.severity) for f in fs)
