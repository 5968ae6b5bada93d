"""Pod-state faults (sre-agent's own ground truths): a Deployment change leaves its new pod broken.

Each mechanism rolls the Deployment out with a change (node selector, Secret or ConfigMap
reference, init container, probe, command, memory limit) and gives the new pod the status,
container states and kubelet / scheduler events Kubernetes writes for that failure.  The
Deployments of these scenarios use the Recreate strategy (see :data:`RECREATE`), so the old
pod is gone and the service is down or flapping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..app import NAMESPACE, SERVICES, PodInfo
from ..clock import NS, rfc3339
from ..groundtruth import Group
from ..incident import LogLine, ResourceCurve
from ._blocks import endpoints_refresh, pod_ref_events, rollout
from ._context import Context, direct_service, rc_name

SCHEDULER_NODE_SELECTOR = ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: "
                           "0/3 nodes are available: 3 Preemption is not helpful for scheduling.")


def retries(start: int, end: int, first: float, cap: float, ctx: Context) -> list[int]:
    """Kubelet / controller retry times from ``start``: back-off doubling from ``first`` up to ``cap`` seconds."""
    out, t, back = [], start, first
    while t < end:
        out.append(t)
        t += int((back + ctx.rng.uniform(0, 2)) * NS)
        back = min(cap, back * 2)
    return out


def on_pod(ctx: Context, pod: PodInfo, change: Callable[[dict[str, Any]], None], t: int | None = None) -> None:
    """Change the pod's first recorded version (``t`` None) or record a new version at ``t``."""
    if t is None:
        change(ctx.cluster.objects[("Pod", NAMESPACE, pod.name)].versions[0][1])
    else:
        ctx.cluster.update("Pod", NAMESPACE, pod.name, t, change)


def not_ready(body: dict[str, Any], reason: str, message: str) -> None:
    """Ready / ContainersReady conditions False (as the kubelet writes them)."""
    for cond in body["status"]["conditions"]:
        if cond["type"] in ("Ready", "ContainersReady"):
            cond.update(status="False", reason=reason, message=message)


def broken_rollout(ctx: Context, rc: Group, change: Callable[[dict[str, Any]], None], **kw: Any) -> tuple[str, PodInfo]:
    """Name the root cause, roll the Deployment out (Recreate) with ``change``; the new pod never serves."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    new = rollout(ctx, svc, ctx.fault_start, change, ready=False, recreate=True, **kw)
    new.up = []
    ctx.inc.mark(svc, new.created)
    return svc, new


def m_unschedulable(ctx: Context, rc: Group) -> None:
    """A nodeSelector no node satisfies: the new pod stays Pending (FailedScheduling)."""
    def change(tmpl: dict[str, Any]) -> None:
        tmpl["spec"]["nodeSelector"] = {"node.kubernetes.io/instance-type": "m5.4xlarge"}
    svc, new = broken_rollout(ctx, rc, change, scheduled=False)

    def pending(b: dict[str, Any]) -> None:
        b["spec"].pop("nodeName", None)
        b["status"] = {"phase": "Pending", "qosClass": "Burstable", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": SCHEDULER_NODE_SELECTOR,
             "lastTransitionTime": rfc3339(new.created)}]}
    on_pod(ctx, new, pending)
    times = retries(new.created + 50_000_000, ctx.end, 10, 300, ctx)
    ctx.events.emit(times, "Pod", NAMESPACE, new.name, "FailedScheduling", SCHEDULER_NODE_SELECTOR, "Warning", "default-scheduler")


def _waiting(reason: str, message: str, pod_phase: str = "Pending") -> Callable[[dict[str, Any]], None]:
    def change(b: dict[str, Any]) -> None:
        st = b["status"]
        st["phase"] = pod_phase
        cs = st["containerStatuses"][0]
        cs.update(ready=False, started=False, state={"waiting": {"reason": reason, **({"message": message} if message else {})}})
        cs.pop("containerID", None)
        cs["imageID"] = ""
        not_ready(b, "ContainersNotReady", f"containers with unready status: [{cs['name']}]")
    return change


def m_missing_secret(ctx: Context, rc: Group) -> None:
    """An env var from a Secret that does not exist: CreateContainerConfigError."""
    secret = "payment-provider-credentials"

    def change(tmpl: dict[str, Any]) -> None:
        tmpl["spec"]["containers"][0]["env"].append(
            {"name": "PAYMENT_PROVIDER_API_KEY", "valueFrom": {"secretKeyRef": {"name": secret, "key": "api-key"}}})
    svc, new = broken_rollout(ctx, rc, change)
    msg = f'secret "{secret}" not found'
    on_pod(ctx, new, _waiting("CreateContainerConfigError", msg))
    times = retries(new.created + 2 * NS, ctx.end, 10, 120, ctx)
    image = ctx.cluster.get("Pod", NAMESPACE, new.name)["spec"]["containers"][0]["image"]
    pod_ref_events(ctx, new, [(times, "Normal", "Pulled", f'Container image "{image}" already present on machine'),
                              (times, "Warning", "Failed", f"Error: {msg}")])


def m_missing_configmap_volume(ctx: Context, rc: Group) -> None:
    """A volume from a ConfigMap that does not exist: the pod stays ContainerCreating (FailedMount)."""
    cm = f"{direct_service(ctx, rc)}-settings"

    def change(tmpl: dict[str, Any]) -> None:
        tmpl["spec"]["volumes"] = [{"name": "settings", "configMap": {"name": cm, "defaultMode": 420}}]
        tmpl["spec"]["containers"][0]["volumeMounts"] = [{"name": "settings", "mountPath": "/etc/app/settings", "readOnly": True}]
    svc, new = broken_rollout(ctx, rc, change)
    on_pod(ctx, new, _waiting("ContainerCreating", ""))
    times = retries(new.created + NS, ctx.end, 1, 122, ctx)
    ctx.events.emit(times, "Pod", NAMESPACE, new.name, "FailedMount",
                    f'MountVolume.SetUp failed for volume "settings" : configmap "{cm}" not found', "Warning", "kubelet", new.node)


def m_init_failure(ctx: Context, rc: Group) -> None:
    """An init container that keeps failing: Init:CrashLoopBackOff, the app container never starts."""
    svc = direct_service(ctx, rc)
    init = {"name": "fetch-assets", "image": "busybox:1.36", "imagePullPolicy": "IfNotPresent",
            "command": ["sh", "-c", "wget -q -O /static/assets.tar http://assets-cache.otel-demo.svc:8080/assets.tar "
                                    "&& tar -xf /static/assets.tar -C /static"],
            "volumeMounts": [{"name": "static", "mountPath": "/static"}]}

    def change(tmpl: dict[str, Any]) -> None:
        tmpl["spec"]["initContainers"] = [init]
        tmpl["spec"]["volumes"] = [{"name": "static", "emptyDir": {}}]
    _, new = broken_rollout(ctx, rc, change)
    runs = retries(new.created + 2 * NS, ctx.end, 10, 300, ctx)

    def state(n: int, t: int) -> Callable[[dict[str, Any]], None]:
        def f(b: dict[str, Any]) -> None:
            st = b["status"]
            st["phase"] = "Pending"
            st["initContainerStatuses"] = [{
                "name": init["name"], "image": init["image"], "imageID": "docker.io/library/busybox@sha256:" + "b" * 64,
                "ready": False, "restartCount": n, "started": False,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": f"back-off {min(300, 10 * 2 ** n)}s restarting "
                                      f"failed container={init['name']} pod={new.name}_{NAMESPACE}({b['metadata']['uid']})"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "startedAt": rfc3339(t - NS),
                                             "finishedAt": rfc3339(t)}} if n else {}}]
            cs = st["containerStatuses"][0]
            cs.update(ready=False, started=False, state={"waiting": {"reason": "PodInitializing"}}, imageID="")
            cs.pop("containerID", None)
            for cond in st["conditions"]:
                if cond["type"] == "Initialized":
                    cond.update(status="False", reason="ContainersNotInitialized",
                                message=f"containers with incomplete status: [{init['name']}]")
            not_ready(b, "ContainersNotReady", f"containers with unready status: [{svc}]")
        return f
    on_pod(ctx, new, state(0, new.created))
    for i, t in enumerate(runs[1:], start=1):
        on_pod(ctx, new, state(i, t), t)
    uid = ctx.cluster.get("Pod", NAMESPACE, new.name)["metadata"]["uid"]
    field = f"spec.initContainers{{{init['name']}}}"
    for times, typ, reason, msg in [
            (runs, "Normal", "Pulled", f'Container image "{init["image"]}" already present on machine'),
            (runs, "Normal", "Created", f"Created container {init['name']}"),
            (runs, "Normal", "Started", f"Started container {init['name']}"),
            ([t + 2 * NS for t in runs[1:]], "Warning", "BackOff",
             f"Back-off restarting failed container {init['name']} in pod {new.name}_{NAMESPACE}({uid})")]:
        ctx.events.emit(times, "Pod", NAMESPACE, new.name, reason, msg, typ, "kubelet", new.node, field_path=field)


def m_readiness_probe(ctx: Context, rc: Group) -> None:
    """A readiness probe on a port the app does not listen on: Running but never Ready, no endpoints."""
    svc = direct_service(ctx, rc)
    port = (SERVICES[svc].port or 8080) + 1

    def change(tmpl: dict[str, Any]) -> None:
        tmpl["spec"]["containers"][0]["readinessProbe"] = {
            "httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"}, "periodSeconds": 10, "timeoutSeconds": 1,
            "successThreshold": 1, "failureThreshold": 3}
    _, new = broken_rollout(ctx, rc, change)
    started = new.created + 3 * NS

    def running_unready(b: dict[str, Any]) -> None:
        cs = b["status"]["containerStatuses"][0]
        cs.update(ready=False, started=True, state={"running": {"startedAt": rfc3339(started)}})
        not_ready(b, "ContainersNotReady", f"containers with unready status: [{svc}]")
    on_pod(ctx, new, running_unready)
    times = [started + 5 * NS + k * 10 * NS for k in range(int((ctx.end - started) / (10 * NS)))]
    pod_ref_events(ctx, new, [(times, "Warning", "Unhealthy",
                               f'Readiness probe failed: Get "http://{new.ip}:{port}/healthz": dial tcp {new.ip}:{port}: '
                               "connect: connection refused")])
    ep = ctx.cluster.get("Endpoints", NAMESPACE, svc) if ctx.cluster.has("Endpoints", NAMESPACE, svc) else None
    if ep is not None:
        nr = [{"notReadyAddresses": [{"ip": new.ip, "nodeName": new.node, "targetRef": {"kind": "Pod", "name": new.name,
                                                                                       "namespace": NAMESPACE}}],
               "ports": [{"name": "tcp-service", "port": SERVICES[svc].port, "protocol": "TCP"}]}]
        ctx.cluster.update("Endpoints", NAMESPACE, svc, started + NS, lambda b: b.update(subsets=nr))


def restart_loop(ctx: Context, pod: PodInfo, start: int, reason: str, exit_code: int, run_s: tuple[float, float],
                 mem_to: float | None = None) -> list[int]:
    """The pod's container ends every ``run_s`` seconds from ``start`` and restarts with back-off (CrashLoopBackOff)."""
    rng, svc = ctx.rng, pod.service
    t, back, ends, ups = start, 10.0, [], []
    while True:
        end = t + int(rng.uniform(*run_s) * NS)
        if end >= ctx.end:
            ups.append((t, ctx.end + 3600 * NS))
            break
        ups.append((t, end))
        ends.append(end)
        t = end + int((back + rng.uniform(1, 3)) * NS)
        back = min(300.0, back * 2)
    pod.up = ups
    ctx.inc.restarts.setdefault(pod.name, []).extend(ends)
    uid = ctx.cluster.get("Pod", NAMESPACE, pod.name)["metadata"]["uid"]
    for i, e in enumerate(ends):
        term = {"exitCode": exit_code, "reason": reason, "startedAt": rfc3339(ups[i][0]), "finishedAt": rfc3339(e),
                "containerID": f"containerd://{i:02d}{pod.name}"}

        def crashed(b: dict[str, Any], n: int = i + 1, term: dict[str, Any] = term) -> None:
            cs = b["status"]["containerStatuses"][0]
            cs.update(restartCount=n, ready=False, started=False, lastState={"terminated": term},
                      state={"waiting": {"reason": "CrashLoopBackOff", "message": f"back-off {int(min(300, 10 * 2 ** (n - 1)))}s "
                                         f"restarting failed container={svc} pod={pod.name}_{NAMESPACE}({uid})"}})
            not_ready(b, "ContainersNotReady", f"containers with unready status: [{svc}]")
        ctx.cluster.update("Pod", NAMESPACE, pod.name, e, crashed)
        back_up = ups[i + 1][0]

        def running(b: dict[str, Any], r: int = back_up) -> None:
            cs = b["status"]["containerStatuses"][0]
            cs.update(ready=True, started=True, state={"running": {"startedAt": rfc3339(r)}})
            for cond in b["status"]["conditions"]:
                if cond["type"] in ("Ready", "ContainersReady"):
                    cond.update(status="True")
                    cond.pop("reason", None)
                    cond.pop("message", None)
        if back_up < ctx.end:
            ctx.cluster.update("Pod", NAMESPACE, pod.name, back_up, running)
    image = ctx.cluster.get("Pod", NAMESPACE, pod.name)["spec"]["containers"][0]["image"]
    restarts = [a for a, _ in ups[1:] if a < ctx.end]
    pod_ref_events(ctx, pod, [
        ([e + 2 * NS for e in ends], "Warning", "BackOff", f"Back-off restarting failed container {svc} in pod {pod.name}_{NAMESPACE}({uid})"),
        (restarts, "Normal", "Pulled", f'Container image "{image}" already present on machine'),
        (restarts, "Normal", "Created", f"Created container {svc}"),
        (restarts, "Normal", "Started", f"Started container {svc}")])
    if mem_to is not None:
        base = SERVICES[svc].mem_mb

        def mem(tt: int) -> float:
            a, b = next(((a, b) for a, b in ups if a <= tt < b), (tt, tt + NS))
            return base + (mem_to * 0.995 - base) * min(1.0, (tt - a) / max(1, b - a))
        ctx.inc.resources.append(ResourceCurve(svc, start, ctx.end, 1.4, mem, pod.name))
    endpoints_refresh(ctx, svc, sorted({x for a, b in ups for x in (a, b) if start <= x < ctx.end}))
    if ends:
        ctx.inc.mark(svc, ends[0])
    return ends


def m_liveness_probe(ctx: Context, rc: Group) -> None:
    """A liveness probe with a timeout the app cannot meet: the kubelet kills the container over and over."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    port = SERVICES[svc].port or 8080

    def change(tmpl: dict[str, Any]) -> None:
        tmpl["spec"]["containers"][0]["livenessProbe"] = {
            "httpGet": {"path": "/_healthz", "port": port, "scheme": "HTTP"}, "initialDelaySeconds": 5,
            "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
    new = rollout(ctx, svc, ctx.fault_start, change)
    start = new.up[0][0]
    ends = restart_loop(ctx, new, start, "Error", 137, (20, 35))
    probe = [e - k * 5 * NS for e in ends for k in (2, 1, 0)]
    pod_ref_events(ctx, new, [
        (probe, "Warning", "Unhealthy", f'Liveness probe failed: Get "http://{new.ip}:{port}/_healthz": context deadline '
                                        "exceeded (Client.Timeout exceeded while awaiting headers)"),
        (ends, "Normal", "Killing", f"Container {svc} failed liveness probe, will be restarted")])


def m_bad_command(ctx: Context, rc: Group) -> None:
    """A container command that exits at once: CrashLoopBackOff with exit code 1 and the app's error log."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    dll = "Accounting.dll" if SERVICES[svc].language == "dotnet" else f"/app/{svc}"

    def change(tmpl: dict[str, Any]) -> None:
        tmpl["spec"]["containers"][0]["command"] = ["dotnet", dll, "--config", "/etc/accounting/appsettings.Production.json"]
    new = rollout(ctx, svc, ctx.fault_start, change, ready=False, recreate=True)
    ends = restart_loop(ctx, new, new.created + 2 * NS, "Error", 1, (1.5, 3))
    for e in ends:
        ctx.inc.logs.append(LogLine(e - 300_000_000, svc, "ERROR",
                                    "Unhandled exception. System.IO.FileNotFoundException: The configuration file "
                                    "'/etc/accounting/appsettings.Production.json' was not found and is not optional.",
                                    pod=new.name))
    new.up = [(a, b) for a, b in new.up if b - a > 60 * NS]  # it never gets far enough to consume


def m_oom_limit(ctx: Context, rc: Group) -> None:
    """A memory limit lowered below what the JVM needs: OOMKilled (exit 137) again and again."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    limit = max(32, int(SERVICES[svc].mem_mb * 0.6))

    def change(tmpl: dict[str, Any]) -> None:
        tmpl["spec"]["containers"][0]["resources"] = {"limits": {"memory": f"{limit}Mi"}, "requests": {"memory": f"{limit}Mi"}}
    new = rollout(ctx, svc, ctx.fault_start, change, ready=False, recreate=True)
    restart_loop(ctx, new, new.created + 3 * NS, "OOMKilled", 137, (25, 70), mem_to=float(limit))
