"""Building blocks shared by mechanisms: kubelet events, Chaos Mesh objects, crash loops, rollouts, endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..app import NAMESPACE, SERVICES, PodInfo
from ..clock import NS, rfc3339
from ..incident import ResourceCurve
from ..names import replicaset_name
from ._context import Context


def pod_ref_events(ctx: Context, pod: PodInfo, items: list[tuple[list[int], str, str, str]]) -> None:
    """Kubelet events on a pod: (times, type, reason, message)."""
    for times, typ, reason, msg in items:
        ctx.events.emit(times, "Pod", NAMESPACE, pod.name, reason, msg, typ, "kubelet", pod.node,
                        field_path=f"spec.containers{{{pod.service}}}")


def chaos(ctx: Context, kind: str, name: str, targets: list[str], spec: dict[str, Any], t: int,
          schedule: str | None = None) -> None:
    """A Chaos Mesh experiment: its object (dumped only on request) and its controller's events."""
    pods = [p for s in targets for p in ctx.pods(s, t)]
    selector = {"namespaces": [NAMESPACE], "labelSelectors": {"app.kubernetes.io/name": targets[0]}} if targets else {}
    if schedule and not ctx.cluster.has("Schedule", "chaos-mesh", schedule):
        ctx.cluster.add("Schedule", "chaos-mesh", schedule, t - 2 * NS, {"annotations": {"experiment.chaos-mesh.org/pause": "false"}},
                        {"schedule": "@every 30m", "type": kind, "historyLimit": 1, "concurrencyPolicy": "Forbid",
                         CHAOS_FIELD.get(kind, "podChaos"): {"selector": selector, **spec}},
                        {"lastScheduleTime": rfc3339(t), "active": [{"kind": kind, "name": name, "namespace": "chaos-mesh"}]})
        ctx.events.emit([t], "Schedule", "chaos-mesh", schedule, "Spawned", f"Create new object: {name}",
                        component="schedule-cron")
    owner = [{"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "Schedule", "name": schedule, "controller": True}] if schedule else []
    if not ctx.cluster.has(kind, "chaos-mesh", name):
        ctx.cluster.add(kind, "chaos-mesh", name, t, {"ownerReferences": owner, "finalizers": ["chaos-mesh/records"]},
                        {"selector": selector, "mode": "all", **spec},
                        {"experiment": {"desiredPhase": "Run", "containerRecords": [
                            {"id": f"{NAMESPACE}/{p.name}", "phase": "Injected", "injectedCount": 1, "recoveredCount": 0}
                            for p in pods]},
                         "conditions": [{"type": "AllInjected", "status": "True"}, {"type": "Selected", "status": "True"}]})
    ev = ctx.events
    t1 = t + int(ctx.rng.uniform(0.05, 0.4) * NS)
    ev.emit([t1], kind, "chaos-mesh", name, "FinalizerInited", "Finalizer has been inited", component="initFinalizers")
    ev.emit([t1 + 20_000_000], kind, "chaos-mesh", name, "Updated", "Successfully update finalizer of resource", component="initFinalizers")
    ev.emit([t1 + 60_000_000], kind, "chaos-mesh", name, "Started", "Experiment has started", component="desiredphase")
    ev.emit([t1 + 90_000_000], kind, "chaos-mesh", name, "Updated", "Successfully update desiredPhase of resource", component="desiredphase")
    for i, p in enumerate(pods):
        ev.emit([t1 + (300 + 40 * i) * 1_000_000], kind, "chaos-mesh", name, "Applied",
                f"Successfully apply chaos for {NAMESPACE}/{p.name}", component="records")
    ev.emit([t1 + (400 + 40 * len(pods)) * 1_000_000], kind, "chaos-mesh", name, "Updated",
            "Successfully update records of resource", component="records")


CHAOS_FIELD = {"NetworkChaos": "networkChaos", "PodChaos": "podChaos", "StressChaos": "stressChaos",
               "HTTPChaos": "httpChaos", "JVMChaos": "jvmChaos"}


def crashloop(ctx: Context, service: str, start: int, reason: str = "OOMKilled", ramp_s: tuple[float, float] = (60, 150),
              ) -> list[int]:
    """The service's pod keeps crashing from ``start`` (memory ramp then kill, back-off growing)."""
    pods = ctx.pods(service, start)
    if not pods:
        return []
    pod = pods[0]
    spec = SERVICES[service]
    rng = ctx.rng
    t, backoff, crashes, up = start, 10.0, [], []
    up_from = pod.up[0][0] if pod.up else start
    ramp = rng.uniform(*ramp_s)
    while True:
        crash = t + int(ramp * NS)
        if crash >= ctx.end:
            up.append((t, ctx.end + 3600 * NS))
            break
        up.append((t, crash))
        crashes.append(crash)
        t = crash + int((backoff + rng.uniform(1, 4)) * NS)
        backoff = min(300.0, backoff * 2)
        ramp = rng.uniform(ramp_s[0] * 0.5, ramp_s[1] * 0.7)
    pod.up = [(up_from, start)] + up if up_from < start else up
    ctx.inc.restarts.setdefault(pod.name, []).extend(crashes)
    limit = spec.mem_limit_mb
    base = spec.mem_mb
    starts = [start] + [c for c in crashes]

    def mem(tt: int, starts: list[int] = starts, crashes: list[int] = crashes) -> float:
        last = max((s for s in starts if s <= tt), default=start)
        nxt = min((c for c in crashes if c > last), default=ctx.end)
        frac = (tt - last) / max(1, nxt - last)
        return base + (limit * 0.99 - base) * min(1.0, frac) if reason == "OOMKilled" else base

    ctx.inc.resources.append(ResourceCurve(service, start, ctx.end, 1.6, mem, pod.name))
    image = pod_image(ctx, pod)
    for i, c in enumerate(crashes):
        term = {"exitCode": 137 if reason == "OOMKilled" else 1, "reason": reason, "startedAt": rfc3339(starts[i]),
                "finishedAt": rfc3339(c), "containerID": f"containerd://{i:02d}{pod.name}"}
        n = pod.restarts0 + i + 1

        def crashed(b: dict[str, Any], n: int = n, term: dict[str, Any] = term) -> None:
            cs = b["status"]["containerStatuses"][0]
            cs.update({"restartCount": n, "ready": False, "started": False, "lastState": {"terminated": term},
                       "state": {"waiting": {"reason": "CrashLoopBackOff",
                                             "message": f"back-off {int(min(300, 10 * 2 ** i))}s restarting failed container={service} pod={pod.name}_{NAMESPACE}({b['metadata']['uid']})"}}})
            for cond in b["status"]["conditions"]:
                if cond["type"] in ("Ready", "ContainersReady"):
                    cond["status"] = "False"
        ctx.cluster.update("Pod", NAMESPACE, pod.name, c, crashed)
    restarts_at = [a for a, _ in up[1:]] if up else []
    for r in restarts_at:
        if r < ctx.end:
            def running(b: dict[str, Any], r: int = r) -> None:
                cs = b["status"]["containerStatuses"][0]
                cs.update({"ready": True, "started": True, "state": {"running": {"startedAt": rfc3339(r)}}})
                for cond in b["status"]["conditions"]:
                    if cond["type"] in ("Ready", "ContainersReady"):
                        cond["status"] = "True"
            ctx.cluster.update("Pod", NAMESPACE, pod.name, r, running)
    if crashes:
        pod_ref_events(ctx, pod, [
            (crashes, "Warning", "BackOff", f"Back-off restarting failed container {service} in pod {pod.name}_{NAMESPACE}({ctx.cluster.get('Pod', NAMESPACE, pod.name)['metadata']['uid']})"),
            ([r for r in restarts_at if r < ctx.end], "Normal", "Pulled", f'Container image "{image}" already present on machine'),
            ([r for r in restarts_at if r < ctx.end], "Normal", "Created", f"Created container {service}"),
            ([r for r in restarts_at if r < ctx.end], "Normal", "Started", f"Started container {service}")])
        ctx.inc.mark(service, crashes[0])
    return crashes


def pod_image(ctx: Context, pod: PodInfo) -> str:
    return ctx.cluster.get("Pod", NAMESPACE, pod.name)["spec"]["containers"][0]["image"]


def rollout(ctx: Context, service: str, t: int, change: Callable[[dict[str, Any]], None], *, ready: bool = True,
            waiting: str | None = None, recreate: bool = False, kill_old: bool = True, scheduled: bool = True) -> PodInfo:
    """A Deployment change that creates a new ReplicaSet and pod (rolling or recreate)."""
    c, rng, b = ctx.cluster, ctx.rng, ctx.builder
    spec = SERVICES[service]
    dep = c.get("Deployment", NAMESPACE, service)
    revision = int(dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"]) + 1

    def on_dep(body: dict[str, Any]) -> None:
        change(body["spec"]["template"])
        body["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = str(revision)
        body["status"]["observedGeneration"] = body["metadata"]["generation"] + 1
        if not ready:
            body["status"].update({"unavailableReplicas": 1, "updatedReplicas": 1})
            body["status"]["conditions"][1] = {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                                               "message": f'ReplicaSet is progressing.'}
            if recreate:
                body["status"].update({"readyReplicas": 0, "availableReplicas": 0})
                body["status"]["conditions"][0] = {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                                                   "message": "Deployment does not have minimum availability."}
    c.update("Deployment", NAMESPACE, service, t, on_dep, spec_change=True)
    template = c.get("Deployment", NAMESPACE, service)["spec"]["template"]
    old_rs = ctx.topo.replicasets[service]
    new_rs = replicaset_name(rng, service)
    t_rs = t + int(rng.uniform(0.05, 0.5) * NS)
    b.add_replicaset(spec, new_rs, t_rs, t_rs, 1, revision, template)
    ctx.topo.replicasets[service] = new_rs
    old_pods = ctx.pods(service, t)
    t_new = t_rs + int(rng.uniform(0.1, 1.0) * NS)
    if recreate:
        t_new += int(rng.uniform(2, 6) * NS)
    up_delay = rng.uniform(4, 25)
    new = b.add_pod(spec, new_rs, t_new, t_new, template=template, up_from=t_new + int(up_delay * NS) if ready else None,
                    waiting=waiting)
    if not ready and not waiting:
        new.up = []
    down_at = (t_rs + int(rng.uniform(0.5, 2) * NS)) if recreate else (t_new + int((up_delay + rng.uniform(1, 5)) * NS))
    ev = ctx.events
    ev.emit([t_rs], "Deployment", NAMESPACE, service, "ScalingReplicaSet",
            f"Scaled up replica set {new_rs} to 1", component="deployment-controller")
    ev.emit([t_new], "ReplicaSet", NAMESPACE, new_rs, "SuccessfulCreate", f"Created pod: {new.name}", component="replicaset-controller")
    if scheduled:
        ev.emit([t_new + 30_000_000], "Pod", NAMESPACE, new.name, "Scheduled",
                f"Successfully assigned {NAMESPACE}/{new.name} to {new.node}", component="default-scheduler")
    if (ready or recreate) and kill_old and old_pods:
        ev.emit([down_at], "Deployment", NAMESPACE, service, "ScalingReplicaSet",
                f"Scaled down replica set {old_rs} to 0 from {len(old_pods)}", component="deployment-controller")
        c.update("ReplicaSet", NAMESPACE, old_rs, down_at, lambda bd: bd["spec"].update(replicas=0) or bd["status"].update(
            replicas=0, readyReplicas=0, availableReplicas=0, fullyLabeledReplicas=0), spec_change=True)
        for p in old_pods:
            p.up = [(a, min(e, down_at)) for a, e in p.up if a < down_at]
            p.deleted = down_at + int(rng.uniform(1, 30) * NS)
            ctx.cluster.delete("Pod", NAMESPACE, p.name, p.deleted)
            pod_ref_events(ctx, p, [([down_at + 5_000_000], "Normal", "Killing", f"Stopping container {service}")])
            ev.emit([down_at + 8_000_000], "ReplicaSet", NAMESPACE, old_rs, "SuccessfulDelete", f"Deleted pod: {p.name}",
                    component="replicaset-controller")
    if ready:
        image = template["spec"]["containers"][0]["image"]
        pod_ref_events(ctx, new, [([t_new + 900_000_000], "Normal", "Pulled", f'Container image "{image}" already present on machine'),
                                  ([t_new + 1_000_000_000], "Normal", "Created", f"Created container {service}"),
                                  ([t_new + 1_300_000_000], "Normal", "Started", f"Started container {service}")])
    endpoints_refresh(ctx, service, sorted({t_new + int(up_delay * NS), down_at}))
    return new


def endpoints_refresh(ctx: Context, service: str, times: list[int], port: int | None = None) -> None:
    """Endpoints follow the serving pods."""
    if not ctx.cluster.has("Endpoints", NAMESPACE, service):
        return
    for t in times:
        subsets = ctx.builder.endpoint_subsets(service, t + 1, port)
        ctx.cluster.update("Endpoints", NAMESPACE, service, t, lambda b, s=subsets: b.update(subsets=s))


# --- mechanisms --------------------------------------------------------------------------------
