"""Object faults (sre-agent's own ground truths): quota, volume claim, Service selector, CPU limit, DNS.

The broken object is the root cause; the workloads it governs fail the way Kubernetes makes
them fail (FailedCreate, an unbound claim, no endpoints, throttling, lookups that time out).
"""

from __future__ import annotations

from typing import Any

from ..app import CALLS, NAMESPACE, SERVICES
from ..clock import NS, rfc3339
from ..groundtruth import Group
from ..incident import CallFault, LogLine, ResourceCurve
from ..names import pod_name, replicaset_name
from ._blocks import endpoints_refresh, pod_ref_events, rollout
from ._context import Context, direct_service, direct_targets, rc_name
from ._k8s_pods import on_pod, retries

CONTROLLER = "replicaset-controller"


def m_quota(ctx: Context, rc: Group) -> None:
    """A compute ResourceQuota while pods set no CPU: a routine restart's pod cannot be created (FailedCreate)."""
    svc = (direct_targets(ctx.gt, rc) or ["currency"])[0]
    name = rc_name(ctx, rc, "otel-demo-compute-quota")
    c, rng = ctx.cluster, ctx.rng
    t = ctx.fault_start
    n_pods = sum(1 for s in SERVICES for _ in ctx.pods(s, t))
    c.add("ResourceQuota", NAMESPACE, name, t, {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": ""}},
          {"hard": {"pods": "40", "requests.cpu": "4", "limits.cpu": "8", "requests.memory": "8Gi"}},
          {"hard": {"pods": "40", "requests.cpu": "4", "limits.cpu": "8", "requests.memory": "8Gi"},
           "used": {"pods": str(n_pods), "requests.cpu": "0", "limits.cpu": "0", "requests.memory": f"{n_pods * 180}Mi"}})
    t_restart = t + int(rng.uniform(60, 150) * NS)
    stamp = rfc3339(t_restart)
    dep = c.get("Deployment", NAMESPACE, svc)
    revision = int(dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"]) + 1
    old_rs = ctx.topo.replicasets[svc]
    new_rs = replicaset_name(rng, svc)
    msg_pod = pod_name(rng, new_rs)
    msg = (f'Error creating: pods "{msg_pod}" is forbidden: failed quota: {name}: must specify limits.cpu for: {svc}; '
           f"requests.cpu for: {svc}")

    def on_dep(b: dict[str, Any]) -> None:
        b["spec"]["template"].setdefault("metadata", {}).setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = stamp
        b["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = str(revision)
        b["status"].update(replicas=0, readyReplicas=0, availableReplicas=0, updatedReplicas=0, unavailableReplicas=1,
                           observedGeneration=b["metadata"]["generation"] + 1)
        b["status"]["conditions"] = [
            {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability."},
            {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated", "message": f'ReplicaSet "{new_rs}" is progressing.'},
            {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": msg}]
    c.update("Deployment", NAMESPACE, svc, t_restart, on_dep, spec_change=True)
    tmpl = c.get("Deployment", NAMESPACE, svc)["spec"]["template"]
    ctx.builder.add_replicaset(SERVICES[svc], new_rs, t_restart, t_restart, 1, revision, tmpl)
    ctx.topo.replicasets[svc] = new_rs

    def failing(b: dict[str, Any]) -> None:
        b["status"] = {"replicas": 0, "observedGeneration": 1, "conditions": [
            {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": msg,
             "lastTransitionTime": rfc3339(t_restart)}]}
    failing(c.objects[("ReplicaSet", NAMESPACE, new_rs)].versions[0][1])
    down = t_restart + int(rng.uniform(0.3, 1.5) * NS)
    c.update("ReplicaSet", NAMESPACE, old_rs, down, lambda b: b["spec"].update(replicas=0) or b["status"].update(
        replicas=0, readyReplicas=0, availableReplicas=0, fullyLabeledReplicas=0), spec_change=True)
    ctx.events.emit([down], "Deployment", NAMESPACE, svc, "ScalingReplicaSet", f"Scaled down replica set {old_rs} to 0 from 1",
                    component="deployment-controller")
    for p in ctx.pods(svc, t_restart):
        p.up = [(a, min(e, down)) for a, e in p.up if a < down]
        p.deleted = down + int(rng.uniform(1, 30) * NS)
        c.delete("Pod", NAMESPACE, p.name, p.deleted)
        pod_ref_events(ctx, p, [([down + 5_000_000], "Normal", "Killing", f"Stopping container {svc}")])
    up = down + int(rng.uniform(2, 5) * NS)
    ctx.events.emit([up], "Deployment", NAMESPACE, svc, "ScalingReplicaSet", f"Scaled up replica set {new_rs} to 1",
                    component="deployment-controller")
    ctx.events.emit(retries(up + 50_000_000, ctx.end, 1, 300, ctx), "ReplicaSet", NAMESPACE, new_rs, "FailedCreate", msg,
                    "Warning", CONTROLLER)
    endpoints_refresh(ctx, svc, [down])
    ctx.inc.mark(svc, down)


def m_pvc_pending(ctx: Context, rc: Group) -> None:
    """A claim on a StorageClass that does not exist stays Pending; the pod that mounts it cannot be scheduled."""
    svc = (direct_targets(ctx.gt, rc) or ["valkey-cart"])[0]
    name = rc_name(ctx, rc, f"{svc}-data")
    t = ctx.fault_start
    sc = "gp3-encrypted"
    ctx.cluster.add("PersistentVolumeClaim", NAMESPACE, name, t, {"finalizers": ["kubernetes.io/pvc-protection"]},
                    {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                     "storageClassName": sc, "volumeMode": "Filesystem"}, {"phase": "Pending"})
    ctx.events.emit(retries(t + NS, ctx.end, 15, 15, ctx), "PersistentVolumeClaim", NAMESPACE, name, "ProvisioningFailed",
                    f'storageclass.storage.k8s.io "{sc}" not found', "Warning", "persistentvolume-controller")

    def change(tmpl: dict[str, Any]) -> None:
        tmpl["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": name}}]
        tmpl["spec"]["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    t_dep = t + int(ctx.rng.uniform(2, 8) * NS)
    new = rollout(ctx, svc, t_dep, change, ready=False, recreate=True, scheduled=False)
    new.up = []
    why = ("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are "
           "available: 3 Preemption is not helpful for scheduling.")

    def pending(b: dict[str, Any]) -> None:
        b["spec"].pop("nodeName", None)
        b["status"] = {"phase": "Pending", "qosClass": "Burstable", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": why,
             "lastTransitionTime": rfc3339(new.created)}]}
    on_pod(ctx, new, pending)
    ctx.events.emit(retries(new.created + 50_000_000, ctx.end, 10, 300, ctx), "Pod", NAMESPACE, new.name, "FailedScheduling",
                    why, "Warning", "default-scheduler")
    ip = ctx.topo.cluster_ips.get(svc, "10.96.0.30")
    for caller in [c for c, callees in CALLS.items() if svc in callees]:
        ctx.inc.call_faults.append(CallFault(svc, new.created, ctx.end, "refused", caller=caller, caller_message=(
            f"It was not possible to connect to the redis server(s). ConnectTimeout on {svc}:{SERVICES[svc].port}/Interactive, "
            f"Initializing/NotStarted, last: NONE, origin: BeginConnectAsync, outstanding: 0, last-read: 0s ago, "
            f"last-write: 0s ago, keep-alive: 60s, state: Connecting, mgr: 10 of 10 available, last-heartbeat: never, "
            f"global: 0s ago, v: 2.6.122.38350 ({ip})")))
    ctx.inc.mark(svc, new.created)


def m_selector_mismatch(ctx: Context, rc: Group) -> None:
    """A Service whose selector matches no pod: its Endpoints empty out and callers are refused."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    t = ctx.fault_start
    ctx.cluster.update("Service", NAMESPACE, svc, t,
                       lambda b: b["spec"].update(selector={"app.kubernetes.io/name": f"{svc}-v2"}))
    ctx.cluster.update("Endpoints", NAMESPACE, svc, t + int(ctx.rng.uniform(0.1, 1) * NS), lambda b: b.update(subsets=[]))
    ip = ctx.topo.cluster_ips.get(svc, "10.96.0.1")
    port = SERVICES[svc].port
    for caller in [c for c, callees in CALLS.items() if svc in callees]:
        msg = ""
        if SERVICES[caller].language == "nodejs":
            msg = f"14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED {ip}:{port}"
        ctx.inc.call_faults.append(CallFault(svc, t + NS, ctx.end, "refused", caller=caller, caller_message=msg))
    ctx.inc.mark(svc, t + NS)


def m_cpu_throttle(ctx: Context, rc: Group) -> None:
    """A CPU limit far below the service's need: CFS throttling, slow answers, timeouts upstream."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)

    def change(tmpl: dict[str, Any]) -> None:
        res = tmpl["spec"]["containers"][0]["resources"]
        res["limits"]["cpu"] = "10m"
        res["requests"]["cpu"] = "10m"
    new = rollout(ctx, svc, ctx.fault_start, change)
    onset = new.up[0][0]
    ctx.inc.resources.append(ResourceCurve(svc, onset, ctx.end, 4.0, None, new.name))
    share = ctx.rng.uniform(0.6, 0.9)  # of each second spent throttled (a counter: it only grows)

    def throttled_seconds(t: int, start: int = onset) -> float | None:
        return None if t < start else (t - start) / NS * share
    ctx.inc.gauges.append((svc, "container_cpu_cfs_throttled_seconds_total", throttled_seconds))
    ctx.inc.call_faults.append(CallFault(svc, onset, ctx.end, "slow", latency_ms=(800, 4000), prob=0.85))
    ctx.inc.mark(svc, onset)


def m_dns_failure(ctx: Context, rc: Group) -> None:
    """A pod DNS config pointing at a nameserver that does not answer: every outbound lookup times out."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    ns_ip = "10.96.0.53"

    def change(tmpl: dict[str, Any]) -> None:
        tmpl["spec"]["dnsPolicy"] = "None"
        tmpl["spec"]["dnsConfig"] = {"nameservers": [ns_ip], "searches": [f"{NAMESPACE}.svc.cluster.local", "svc.cluster.local"],
                                     "options": [{"name": "ndots", "value": "5"}]}
    new = rollout(ctx, svc, ctx.fault_start, change)
    onset = new.up[0][0]
    for callee in CALLS.get(svc, ()):
        host = callee
        msg = (f"rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial tcp: "
               f"lookup {host} on {ns_ip}:53: read udp {new.ip}:{ctx.rng.randint(32768, 60999)}->{ns_ip}:53: i/o timeout\"")
        if callee == "kafka":
            msg = f"kafka: client has run out of available brokers to talk to: dial tcp: lookup {host} on {ns_ip}:53: i/o timeout"
        ctx.inc.call_faults.append(CallFault(callee, onset, ctx.end, "timeout", caller=svc, latency_ms=(5000.0, 5100.0),
                                             caller_message=msg))
    t = onset + int(ctx.rng.uniform(2, 10) * NS)
    while t < ctx.end:
        ctx.inc.logs.append(LogLine(t, svc, "WARN", f"failed to resolve flagd: lookup flagd on {ns_ip}:53: i/o timeout",
                                    pod=new.name))
        t += int(ctx.rng.uniform(20, 40) * NS)
    ctx.inc.mark(svc, onset)
