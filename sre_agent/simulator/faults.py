"""Fault mechanisms: one function per way ITBench breaks the demo, driven by the ground truth.

:func:`classify` reads the root-cause group (kind, filters, fault mechanism and condition words)
and picks a mechanism; the mechanism changes Kubernetes objects, writes the events a real
controller would write, and registers its effects on calls, traffic and resources in the
:class:`~.incident.Incident`.  Symptoms then propagate through the request flows by
themselves.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import flagd
from .app import CALLS, NAMESPACE, SERVICES, Builder, PodInfo, Topology, container, env_for, image_of, pod_status
from .clock import NS, rfc3339
from .cluster import Cluster
from .events import EventLog
from .groundtruth import GroundTruth, Group, group_service, service_of
from .incident import CallFault, Incident, LogLine, LoneSpan, ResourceCurve, TrafficChange
from .names import name_for_group, replicaset_name

CHAOS_KINDS = {"networkchaos": "NetworkChaos", "podchaos": "PodChaos", "stresschaos": "StressChaos",
               "httpchaos": "HTTPChaos", "jvmchaos": "JVMChaos", "schedule": "Schedule"}


@dataclass
class Context:
    """Everything a mechanism may touch."""

    gt: GroundTruth
    rng: random.Random
    start: int
    fault_start: int
    end: int
    cluster: Cluster
    topo: Topology
    builder: Builder
    events: EventLog
    inc: Incident
    root_names: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # group id -> (ns, kind, name)

    def later(self, lo: float, hi: float, base: int | None = None) -> int:
        return (base if base is not None else self.fault_start) + int(self.rng.uniform(lo, hi) * NS)

    def pods(self, service: str, t: int | None = None) -> list[PodInfo]:
        t = self.fault_start if t is None else t
        return [p for p in self.topo.pods.get(service, []) if p.exists(t)]


# --- reading the ground truth ------------------------------------------------------------------

def _ids(gt: GroundTruth, gid: str) -> set[str]:
    out = {gid}
    for group in gt.aliases:
        if gid in group:
            out |= set(group)
    return out


def direct_targets(gt: GroundTruth, rc: Group) -> list[str]:
    """Services the root cause acts on directly (propagation targets of the root-cause group)."""
    ids = _ids(gt, rc.id)
    out: list[str] = []
    for p in gt.propagations:
        if p.source in ids:
            svc = group_service(gt, p.target)
            if svc and svc not in out:
                out.append(svc)
    return out


def chain(gt: GroundTruth, rc: Group) -> list[tuple[str, int]]:
    """(service, hops) reached from the root cause along the propagations, nearest first."""
    seen: dict[str, int] = {}
    frontier = [(g, 0) for g in _ids(gt, rc.id)]
    visited = set()
    while frontier:
        gid, d = frontier.pop(0)
        if gid in visited:
            continue
        visited.add(gid)
        svc = group_service(gt, gid) if gid != rc.id else None
        if svc and svc not in seen:
            seen[svc] = d
        for p in gt.propagations:
            if p.source == gid:
                frontier.append((p.target, d + 1))
    return sorted(seen.items(), key=lambda x: x[1])


def services_in_name(text: str) -> list[str]:
    """Demo services named inside an object name (``otel-demo-checkout-kafka-network-partition``)."""
    out = []
    low = text.lower()
    for s in sorted(SERVICES, key=len, reverse=True):
        if re.search(rf"(^|-){re.escape(s)}(-|$|service)", low) and s not in out and not any(s in o for o in out):
            out.append(s)
    for alias in ("valkey", "redis"):
        if alias in low and "valkey-cart" not in out:
            out.append("valkey-cart")
    return out


def mark_critical(ctx: Context) -> None:
    """Callers that the ground truth says fail because of a callee propagate its errors."""
    gt = ctx.gt
    erroring = {group_service(gt, a.group_id) for a in gt.alerts if a.id == "RequestErrorRate"}
    for p in gt.propagations:
        a, b = group_service(gt, p.source), group_service(gt, p.target)
        says_error = b in erroring or any(w in p.effect.lower() for w in ("error", "fail"))
        if a and b and a != b and a in CALLS.get(b, ()) and says_error:
            ctx.inc.critical_edges.add((b, a))


# --- shared building blocks -------------------------------------------------------------------

def rc_name(ctx: Context, rc: Group, *hints: str) -> str:
    name = name_for_group(rc.id, list(rc.filters), rc.name, [h for h in hints if h])
    ctx.root_names[rc.id] = (rc.namespace, rc.kind, name)
    return name


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
            waiting: str | None = None, recreate: bool = False, kill_old: bool = True) -> PodInfo:
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

def m_flagd(ctx: Context, rc: Group) -> None:
    """A flagd feature flag switched on through the ``flagd-config`` ConfigMap."""
    gt, rng, inc = ctx.gt, ctx.rng, ctx.inc
    name = rc_name(ctx, rc, "flagd-config")
    cm_name = name if ctx.cluster.has("ConfigMap", NAMESPACE, name) else "flagd-config"
    before = ctx.cluster.get("ConfigMap", NAMESPACE, cm_name)["data"]["demo.flagd.json"]
    after = None
    flags: list[str] = []
    for f in gt.faults:
        b, a = flagd.resolve_change(f.changed_from, f.changed_to)
        if a:
            after = a
            flags = flagd.changed_flags(b or before, a)
    if not flags:
        prop_text = " ".join(p.condition + " " + p.effect for p in gt.propagations)
        flags = flagd.flags_in_text(prop_text) or flagd.flags_in_text(" ".join(f.condition for f in gt.faults))
    if not flags:
        flags = ["productCatalogFailure"]
    if after is None:
        after = flagd.enable(before, flags)
    t = ctx.fault_start
    ctx.cluster.update("ConfigMap", NAMESPACE, cm_name, t, lambda b: b["data"].update({"demo.flagd.json": after}))
    onset = ctx.later(30, 90)
    flagd_pod = ctx.pods("flagd")
    if flagd_pod:
        inc.logs.append(LogLine(onset - int(rng.uniform(1, 5) * NS), "flagd", "INFO",
                                "configuration change (write) for flagSource /etc/flagd/demo.flagd.json", flagd_pod[0].name,
                                {"component": "sync", "sync": "filepath"}))
    for flag in flags:
        FLAG_MECHANISMS.get(flag, _flag_generic)(ctx, onset)


def _flag_product_catalog(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("product-catalog", t, ctx.end, "error", operation="GetProduct", product="OLJCESPC7Z",
                                         message="Error: Product Catalog Fail Feature Flag Enabled", grpc_code=13))


def _flag_recommendation_cache(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("recommendation", t, ctx.end, "slow", latency_ms=(200, 1500), prob=0.6))
    crashloop(ctx, "recommendation", t, "OOMKilled", (90, 200))


def _flag_ad_high_cpu(ctx: Context, t: int) -> None:
    ctx.inc.resources.append(ResourceCurve("ad", t, ctx.end, 9.0))
    ctx.inc.call_faults.append(CallFault("ad", t, ctx.end, "slow", latency_ms=(300, 2500), prob=0.8))
    ctx.inc.call_faults.append(CallFault("ad", t, ctx.end, "timeout", caller="frontend", prob=0.25, latency_ms=(5000, 5010),
                                         caller_message="4 DEADLINE_EXCEEDED: Deadline exceeded after 5.001s"))


def _flag_ad_failure(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("ad", t, ctx.end, "error", operation="GetAds", prob=ctx.rng.uniform(0.15, 0.3),
                                         grpc_code=14, message="GetAds Failed with status Status{code=UNAVAILABLE, description=null, cause=null}",
                                         exception="io.grpc.StatusRuntimeException"))


def _flag_ad_gc(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("ad", t, ctx.end, "slow", latency_ms=(500, 3000), prob=0.3))
    ctx.inc.resources.append(ResourceCurve("ad", t, ctx.end, 3.0))


def _flag_cart(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("cart", t, ctx.end, "error", operation="EmptyCart", grpc_code=9,
                                         message="Can't access cart storage. System.ApplicationException: Wasn't able to connect to redis",
                                         exception="System.ApplicationException"))


def _flag_payment_failure(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("payment", t, ctx.end, "error", operation="Charge", grpc_code=13,
                                         message="Payment request failed. Invalid token. app.loyalty.level=gold",
                                         exception="Error"))


def _flag_payment_unreachable(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("payment", t, ctx.end, "unavailable", caller="checkout", prob=0.7,
                                         caller_message='rpc error: code = Unavailable desc = name resolver error: produced zero addresses'))
    ctx.inc.mark("checkout", t)


def _flag_kafka_queue(ctx: Context, t: int) -> None:
    ctx.inc.consumer_lag_ms.append((t, ctx.end, 45_000.0))
    ctx.inc.resources.append(ResourceCurve("kafka", t, ctx.end, 3.5))


def _flag_flood(ctx: Context, t: int) -> None:
    ctx.inc.traffic.append(TrafficChange(t, ctx.end, 3.0, "home"))
    ctx.inc.resources += [ResourceCurve("frontend", t, ctx.end, 2.5), ResourceCurve("frontend-proxy", t, ctx.end, 2.5),
                          ResourceCurve("load-generator", t, ctx.end, 2.0)]
    ctx.inc.call_faults += [CallFault("frontend", t, ctx.end, "slow", latency_ms=(400, 2500), prob=0.7),
                            CallFault("frontend-proxy", t, ctx.end, "slow", latency_ms=(100, 800), prob=0.7)]


def _flag_image_slow(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("image-provider", t, ctx.end, "slow", latency_ms=(5000, 10000)))


def _flag_generic(ctx: Context, t: int) -> None:
    ctx.inc.call_faults.append(CallFault("product-catalog", t, ctx.end, "error", prob=0.2, message="feature flag failure"))


FLAG_MECHANISMS: dict[str, Callable[[Context, int], None]] = {
    "productCatalogFailure": _flag_product_catalog, "recommendationCacheFailure": _flag_recommendation_cache,
    "adServiceHighCpu": _flag_ad_high_cpu, "adFailure": _flag_ad_failure, "adManualGc": _flag_ad_gc,
    "cartFailure": _flag_cart, "paymentFailure": _flag_payment_failure, "paymentUnreachable": _flag_payment_unreachable,
    "kafkaQueueProblems": _flag_kafka_queue, "loadgeneratorFloodHomepage": _flag_flood, "imageSlowLoad": _flag_image_slow,
}


def _partition_pair(ctx: Context, rc: Group) -> tuple[list[str], list[str]]:
    """The two sides of a network partition."""
    gt = ctx.gt
    direct = direct_targets(gt, rc)
    if len(direct) >= 2:
        return direct[:1], direct[1:2]
    side_a = direct or services_in_name(rc.id)[:1] or ["checkout"]
    a = side_a[0]
    for svc, _ in chain(gt, rc):
        if svc != a and (svc in CALLS.get(a, ()) or a in CALLS.get(svc, ())):
            return [a], [svc]
    for svc in services_in_name(rc.id):
        if svc != a:
            return [a], [svc]
    callers = [c for c, callees in CALLS.items() if a in callees]
    return [a], callers[:1] or ["frontend"]


def _edges(a: str, b: str) -> list[tuple[str, str]]:
    return [(x, y) for x, y in ((a, b), (b, a)) if y in CALLS.get(x, ())]


def m_network(ctx: Context, rc: Group, schedule: str | None = None, spawned: str | None = None) -> None:
    """NetworkChaos: a partition (or delay) between two sets of pods."""
    name = spawned or rc_name(ctx, rc)
    side_a, side_b = _partition_pair(ctx, rc)
    text = (rc.id + " " + ctx.gt.all_text()).lower()
    delay = "delay" in text and "partition" not in text
    t = ctx.fault_start
    spec: dict[str, Any] = {"action": "delay" if delay else "partition", "direction": "both",
                            "target": {"mode": "all", "selector": {"namespaces": [NAMESPACE],
                                                                   "labelSelectors": {"app.kubernetes.io/name": side_b[0]}}}}
    if delay:
        spec["delay"] = {"latency": "2000ms", "jitter": "500ms", "correlation": "50"}
    chaos(ctx, "NetworkChaos", name, side_a, spec, t, schedule)
    onset = ctx.later(1, 4)
    for a in side_a:
        for b in side_b:
            for caller, callee in _edges(a, b):
                if delay:
                    ctx.inc.call_faults.append(CallFault(callee, onset, ctx.end, "slow", caller=caller, latency_ms=(1500, 3000)))
                elif callee == "kafka" or caller == "kafka":
                    _kafka_cut(ctx, caller, callee, onset, "timeout")
                else:
                    ctx.inc.call_faults.append(CallFault(callee, onset, ctx.end, "timeout", caller=caller,
                                                         latency_ms=(5000.0, 10000.0) if callee != "email" else (3000.0, 6000.0)))
                ctx.inc.mark(caller, onset)


def _kafka_cut(ctx: Context, caller: str, callee: str, t: int, kind: str) -> None:
    """Producer or consumer cut off from Kafka."""
    rng, inc = ctx.rng, ctx.inc
    if callee == "kafka":  # producer side
        inc.call_faults.append(CallFault("kafka", t, ctx.end, kind, caller=caller, latency_ms=(1000.0, 3000.0)))
        inc.call_faults.append(CallFault(caller, t, ctx.end, "slow", latency_ms=(800, 3000), prob=0.9))
        client, svc = caller, caller
    else:  # consumer side: nothing arrives; the client keeps failing to reach the broker
        inc.call_faults.append(CallFault(callee, t, ctx.end, kind, caller="kafka"))
        client, svc = "consumer", callee
    ip = ctx.topo.cluster_ips.get("kafka", "10.96.0.20")
    tt = t + int(rng.uniform(3, 15) * NS)
    n = 0
    while tt < ctx.end:
        if svc in ("fraud-detection", "accounting"):
            inc.logs.append(LogLine(tt, svc, "WARN", f"[Consumer clientId={client}-{svc}-1, groupId={svc}] Connection to node 1 "
                                    f"(kafka/{ip}:9092) could not be established. Node may not be available."))
            if n % 3 == 0:
                inc.spans.append(LoneSpan(tt, svc, "orders poll", "Consumer", rng.uniform(30000, 60000), "Error",
                                          "org.apache.kafka.common.errors.TimeoutException: Timeout of 60000ms expired before the position for partition orders-0 could be determined",
                                          {"messaging.system": "kafka", "messaging.destination.name": "orders"}))
        else:
            inc.logs.append(LogLine(tt, svc, "ERROR", f"kafka: Failed to produce message to topic orders: "
                                    f"kafka: client has run out of available brokers to talk to: dial tcp {ip}:9092: i/o timeout"))
        n += 1
        tt += int(rng.uniform(8, 25) * NS)
    inc.gauges.append((svc, "kafka_consumer_connection_close_rate" if svc in ("fraud-detection", "accounting")
                       else "kafka_producer_connection_close_rate",
                       lambda x, t=t: (0.002 if x < t else 0.8 + 0.6 * ((x // NS) % 7) / 7)))


def m_pod_failure(ctx: Context, rc: Group, schedule: str | None = None, spawned: str | None = None) -> None:
    """PodChaos pod-failure: the target containers are swapped for a pause image and never get ready."""
    name = spawned or rc_name(ctx, rc)
    targets = direct_targets(ctx.gt, rc) or services_in_name(name)[:1] or ["checkout"]
    t = ctx.fault_start
    action = "pod-kill" if "kill" in name else "pod-failure"
    chaos(ctx, "PodChaos", name, targets, {"action": action, "duration": "60m"}, t, schedule)
    for svc in targets:
        for pod in ctx.pods(svc, t):
            down = t + int(ctx.rng.uniform(0.5, 2) * NS)
            pod.up = [(a, min(e, down)) for a, e in pod.up if a < down]
            ctx.inc.restarts.setdefault(pod.name, []).append(down)

            def failed(b: dict[str, Any], down: int = down) -> None:
                cs = b["status"]["containerStatuses"][0]
                cs.update({"image": "gcr.io/google-containers/pause:latest", "ready": False,
                           "restartCount": cs["restartCount"] + 1,
                           "lastState": {"terminated": {"exitCode": 2, "reason": "Error", "finishedAt": rfc3339(down)}},
                           "state": {"running": {"startedAt": rfc3339(down + 2 * NS)}}})
                b["spec"]["containers"][0]["image"] = "gcr.io/google-containers/pause:latest"
                for cond in b["status"]["conditions"]:
                    if cond["type"] in ("Ready", "ContainersReady"):
                        cond["status"] = "False"
            ctx.cluster.update("Pod", NAMESPACE, pod.name, down, failed)
            pod_ref_events(ctx, pod, [([down], "Normal", "Killing", f"Container {svc} definition changed, will be restarted"),
                                      ([down + NS], "Normal", "Pulled", 'Container image "gcr.io/google-containers/pause:latest" already present on machine'),
                                      ([down + 2 * NS], "Normal", "Created", f"Created container {svc}"),
                                      ([down + 2 * NS + 300_000_000], "Normal", "Started", f"Started container {svc}"),
                                      ([down + int(x * NS) for x in range(10, int((ctx.end - down) / NS), 10)][:40], "Warning",
                                       "Unhealthy", "Readiness probe failed: dial tcp " + pod.ip + f":{SERVICES[svc].port}: connect: connection refused")])
            endpoints_refresh(ctx, svc, [down])
            ctx.inc.mark(svc, down)


def m_stress(ctx: Context, rc: Group, schedule: str | None = None, spawned: str | None = None) -> None:
    """StressChaos: memory (or CPU) stressors inside the target containers."""
    name = spawned or rc_name(ctx, rc)
    targets = direct_targets(ctx.gt, rc) or services_in_name(name)[:1] or ["cart"]
    t = ctx.fault_start
    cpu = "cpu" in (name + ctx.gt.all_text()) and "memory" not in (name + ctx.gt.all_text())
    stressors = {"cpu": {"workers": 2, "load": 100}} if cpu else {"memory": {"workers": 4, "size": "512MB"}}
    chaos(ctx, "StressChaos", name, targets, {"stressors": stressors, "duration": "60m"}, t, schedule)
    for svc in targets:
        if cpu:
            ctx.inc.resources.append(ResourceCurve(svc, t, ctx.end, 12.0))
            ctx.inc.call_faults.append(CallFault(svc, t, ctx.end, "slow", latency_ms=(300, 3000), prob=0.7))
            continue
        crashes = crashloop(ctx, svc, t + int(ctx.rng.uniform(5, 20) * NS), "OOMKilled", (60, 140))
        ctx.inc.call_faults.append(CallFault(svc, t, ctx.end, "slow", latency_ms=(200, 2500), prob=0.6))
        if svc == "valkey-cart":
            ctx.inc.call_faults.append(CallFault(svc, t, ctx.end, "timeout", caller="cart", prob=0.15, latency_ms=(5000, 5100)))
        endpoints_refresh(ctx, svc, crashes)


def m_http(ctx: Context, rc: Group, schedule: str | None = None, spawned: str | None = None) -> None:
    """HTTPChaos: abort or tamper the target's HTTP requests."""
    name = spawned or rc_name(ctx, rc)
    targets = direct_targets(ctx.gt, rc) or services_in_name(name)[:1] or ["quote"]
    text = (name + " " + ctx.gt.all_text()).lower()
    tamper = "tamper" in text
    svc = targets[0]
    route = {"quote": "/getquote", "email": "/send_order_confirmation", "shipping": "/get-quote"}.get(svc, "/")
    t = ctx.fault_start
    spec: dict[str, Any] = {"target": "Request", "port": SERVICES[svc].port or 8080, "method": "POST", "path": route,
                            "duration": "60m"}
    if tamper:
        spec["patch"] = {"body": {"type": "JSON", "value": '{"email": "", "order": null}'}}
    else:
        spec["abort"] = True
    chaos(ctx, "HTTPChaos", name, [svc], spec, t, schedule)
    onset = ctx.later(1, 5)
    if tamper:
        ctx.inc.call_faults.append(CallFault(svc, onset, ctx.end, "error", operation=route, http_status=500,
                                             message="undefined method `[]' for nil (NoMethodError)", exception="NoMethodError",
                                             stack="/email_server.rb:44:in `send_email'\n/email_server.rb:32:in `block in <main>'"))
    else:
        ctx.inc.call_faults.append(CallFault(svc, onset, ctx.end, "abort", operation=route))


def m_jvm(ctx: Context, rc: Group, schedule: str | None = None, spawned: str | None = None) -> None:
    """JVMChaos: heap stress in the target JVM (GC storms, slow answers, occasional OOM errors)."""
    name = spawned or rc_name(ctx, rc)
    targets = direct_targets(ctx.gt, rc) or services_in_name(name)[:1] or ["ad"]
    svc = targets[0]
    t = ctx.fault_start
    chaos(ctx, "JVMChaos", name, [svc], {"action": "stress", "memType": "heap", "port": 9277, "duration": "60m"}, t, schedule)
    spec = SERVICES[svc]
    onset = ctx.later(10, 40)
    ramp = 240 * NS
    ctx.inc.resources.append(ResourceCurve(svc, onset, ctx.end, 4.0,
                                           lambda x: spec.mem_mb + (spec.mem_limit_mb * 0.95 - spec.mem_mb) * min(1.0, (x - onset) / ramp)))
    ctx.inc.gauges.append((svc, "jvm_memory_used_bytes",
                           lambda x: (150 + (80 if x < onset else 95 * min(1.0, (x - onset) / ramp) + 100)) * 1048576 * (0.93 + 0.07 * ((x // NS) % 5) / 5)))
    ctx.inc.call_faults += [CallFault(svc, onset, ctx.end, "slow", latency_ms=(800, 4000), prob=0.8),
                            CallFault(svc, onset + ramp, ctx.end, "error", prob=0.08, grpc_code=13,
                                      message="java.lang.OutOfMemoryError: Java heap space", exception="java.lang.OutOfMemoryError")]


def m_schedule(ctx: Context, rc: Group) -> None:
    """A Chaos Mesh Schedule that spawns an experiment (kind from the groups, name or fault words)."""
    name = rc_name(ctx, rc)
    kind = _inner_chaos_kind(ctx, rc)
    inner = {"NetworkChaos": m_network, "PodChaos": m_pod_failure, "StressChaos": m_stress,
             "HTTPChaos": m_http, "JVMChaos": m_jvm}[kind]
    inner(ctx, rc, schedule=name, spawned=name)


def _inner_chaos_kind(ctx: Context, rc: Group) -> str:
    for g in ctx.gt.groups:
        k = CHAOS_KINDS.get(g.kind.lower())
        if k and k != "Schedule" and g is not rc:
            return k
    text = (rc.id + " " + " ".join(rc.filters) + " " + ctx.gt.all_text()).lower()
    for word, kind in (("http", "HTTPChaos"), ("jvm", "JVMChaos"), ("stress", "StressChaos"), ("memory", "StressChaos"),
                       ("partition", "NetworkChaos"), ("network", "NetworkChaos"), ("delay", "NetworkChaos")):
        if word in text:
            return kind
    return "PodChaos"


def _chaos_with_schedule(fn: Callable[..., None]) -> Callable[[Context, Group], None]:
    """Run a chaos mechanism, spawned by the ground truth's Schedule group when it has one."""
    def run(ctx: Context, rc: Group) -> None:
        sched = next((g for g in ctx.gt.groups if g.kind.lower() == "schedule" and not g.root_cause), None)
        if sched is None:
            fn(ctx, rc)
            return
        name = rc_name(ctx, rc)
        sname = name_for_group(sched.id, list(sched.filters), sched.name, [name])
        fn(ctx, rc, schedule=sname, spawned=name)
    return run


def m_bad_image(ctx: Context, rc: Group) -> None:
    """A Deployment pointed at an image that cannot be pulled: new ReplicaSet, pod in ImagePullBackOff."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    text = ctx.gt.all_text()
    arch = "architecture" in text or "arch" in text
    spec = SERVICES[svc]
    good = image_of(spec)
    bad = good.replace(f"-{svc}", f"-{svc}-arm64") if arch else good.replace("ghcr.io/open-telemetry/demo", "ghcr.io/open-telemetry/demo-app")
    outage = any(a for a, _ in chain(ctx.gt, rc) if a != svc) and "PendingPodsDetected" not in {a.id for a in ctx.gt.alerts}
    t = ctx.fault_start
    new = rollout(ctx, svc, t, lambda tmpl: tmpl["spec"]["containers"][0].update(image=bad), ready=False,
                  waiting="ImagePullBackOff", recreate=outage, kill_old=outage)
    pulls = []
    x, back = new.created + 2 * NS, 10.0
    while x < ctx.end:
        pulls.append(x)
        x += int((back + ctx.rng.uniform(0, 3)) * NS)
        back = min(300.0, back * 2)
    why = ("no matching manifest for linux/amd64 in the manifest list entries" if arch else
           f"failed to resolve reference \"{bad}\": {bad}: not found")
    pod_ref_events(ctx, new, [(pulls, "Normal", "Pulling", f'Pulling image "{bad}"'),
                              (pulls, "Warning", "Failed", f'Failed to pull image "{bad}": rpc error: code = NotFound desc = {why}'),
                              (pulls, "Warning", "Failed", "Error: ErrImagePull"),
                              ([p + 2 * NS for p in pulls], "Normal", "BackOff", f'Back-off pulling image "{bad}"'),
                              ([p + 2 * NS for p in pulls], "Warning", "Failed", "Error: ImagePullBackOff")])
    ctx.inc.mark(svc, t)


def m_env(ctx: Context, rc: Group) -> None:
    """A Deployment env var changed (e.g. KAFKA_ADDR to a wrong port): rollout, then connection errors."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    text = " ".join(f.condition for f in ctx.gt.faults) + " " + " ".join(p.condition for p in ctx.gt.propagations)
    var = next((v for v in re.findall(r"\b[A-Z][A-Z0-9_]{3,}\b", text) if any(e["name"] == v for e in env_for(svc))), None)
    port = next(iter(re.findall(r"\bport (\d{2,5})\b", text)), "9999")
    envs = env_for(svc)
    var = var or next((e["name"] for e in envs if e["name"].endswith("_ADDR")), envs[-1]["name"])
    old = next(e["value"] for e in envs if e["name"] == var)
    new_value = re.sub(r":\d+$", f":{port}", old) if re.search(r":\d+$", old) else f"{old}:{port}"

    def change(tmpl: dict[str, Any]) -> None:
        for e in tmpl["spec"]["containers"][0]["env"]:
            if e["name"] == var:
                e["value"] = new_value
    t = ctx.fault_start
    new = rollout(ctx, svc, t, change)
    onset = new.up[0][0] if new.up else t
    target = SERVICE_FOR_VAR.get(var, "kafka")
    if target == "kafka":
        _kafka_cut(ctx, svc, "kafka", onset, "refused")
        ctx.inc.call_faults[-2].caller_message = (f"kafka: client has run out of available brokers to talk to: dial tcp "
                                                  f"{ctx.topo.cluster_ips.get('kafka', '10.96.0.20')}:{port}: connect: connection refused")
    else:
        ctx.inc.call_faults.append(CallFault(target, onset, ctx.end, "refused", caller=svc))


SERVICE_FOR_VAR = {"KAFKA_ADDR": "kafka", "CART_ADDR": "cart", "CURRENCY_ADDR": "currency", "EMAIL_ADDR": "email",
                   "PAYMENT_ADDR": "payment", "PRODUCT_CATALOG_ADDR": "product-catalog", "SHIPPING_ADDR": "shipping",
                   "VALKEY_ADDR": "valkey-cart", "QUOTE_ADDR": "quote", "AD_ADDR": "ad", "RECOMMENDATION_ADDR": "recommendation"}


def m_scale_zero(ctx: Context, rc: Group) -> None:
    """A Deployment scaled to zero replicas: its pods go away, its Service has no endpoints."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    t = ctx.fault_start
    c = ctx.cluster

    def zero(b: dict[str, Any]) -> None:
        b["spec"]["replicas"] = 0
        b["status"].update({"replicas": 0, "readyReplicas": 0, "availableReplicas": 0, "updatedReplicas": 0,
                            "observedGeneration": b["metadata"]["generation"]})
    c.update("Deployment", NAMESPACE, svc, t, zero, spec_change=True)
    rs = ctx.topo.replicasets[svc]
    t2 = t + int(ctx.rng.uniform(0.05, 0.4) * NS)
    c.update("ReplicaSet", NAMESPACE, rs, t2, lambda b: b["spec"].update(replicas=0) or b["status"].update(
        replicas=0, readyReplicas=0, availableReplicas=0, fullyLabeledReplicas=0), spec_change=True)
    pods = ctx.pods(svc, t)
    ctx.events.emit([t2], "Deployment", NAMESPACE, svc, "ScalingReplicaSet", f"Scaled down replica set {rs} to 0 from {len(pods)}",
                    component="deployment-controller")
    for p in pods:
        p.up = [(a, min(e, t2)) for a, e in p.up if a < t2]
        p.deleted = t2 + int(ctx.rng.uniform(1, 30) * NS)
        c.delete("Pod", NAMESPACE, p.name, p.deleted)
        ctx.events.emit([t2 + 3_000_000], "ReplicaSet", NAMESPACE, rs, "SuccessfulDelete", f"Deleted pod: {p.name}", component="replicaset-controller")
        pod_ref_events(ctx, p, [([t2 + 10_000_000], "Normal", "Killing", f"Stopping container {svc}")])
    endpoints_refresh(ctx, svc, [t2])
    ctx.inc.mark(svc, t2)


def m_service_port(ctx: Context, rc: Group) -> None:
    """A Service whose targetPort no longer matches the container port: callers get connection refused."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    port = int(next(iter(re.findall(r"\b(\d{4,5})\b", " ".join(f.condition for f in ctx.gt.faults))), 9999))
    if port == SERVICES[svc].port:
        port = 9999
    t = ctx.fault_start

    def change(b: dict[str, Any]) -> None:
        b["spec"]["ports"][0]["targetPort"] = port
    ctx.cluster.update("Service", NAMESPACE, svc, t, change)
    endpoints_refresh(ctx, svc, [t + int(ctx.rng.uniform(0.1, 1) * NS)], port)
    pods = ctx.pods(svc)
    for caller in [c for c, callees in CALLS.items() if svc in callees]:
        ip = pods[0].ip if pods else ctx.topo.cluster_ips.get(svc, "10.96.0.1")
        msg = None
        if SERVICES[caller].language == "nodejs":
            msg = f"14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED {ip}:{port}"
        ctx.inc.call_faults.append(CallFault(svc, t + NS, ctx.end, "refused", caller=caller, caller_message=msg or ""))


def m_network_policy(ctx: Context, rc: Group) -> None:
    """A NetworkPolicy that drops all ingress to the target pods: callers time out."""
    name = rc_name(ctx, rc)
    svc = (direct_targets(ctx.gt, rc) or services_in_name(name) or ["frontend"])[0]
    t = ctx.fault_start
    ctx.cluster.add("NetworkPolicy", NAMESPACE, name, t, {"annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": ""}},
        {"podSelector": {"matchLabels": {"opentelemetry.io/name": svc}}, "policyTypes": ["Ingress"], "ingress": []}, None)
    for caller in [c for c, callees in CALLS.items() if svc in callees]:
        ctx.inc.call_faults.append(CallFault(svc, t + NS, ctx.end, "timeout", caller=caller,
                                             latency_ms=(5000.0, 5050.0) if caller == "frontend-proxy" else (8000.0, 10000.0)))


def m_hpa(ctx: Context, rc: Group) -> None:
    """An HPA whose minReplicas was raised: many idle replicas, cost alerts."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    if not ctx.cluster.has("HorizontalPodAutoscaler", NAMESPACE, svc):
        return
    n = ctx.rng.randint(6, 10)
    t = ctx.fault_start + int(ctx.rng.uniform(0, 60) * NS)

    def change(b: dict[str, Any]) -> None:
        b["spec"].update(minReplicas=n, maxReplicas=max(n, b["spec"]["maxReplicas"]))
        b["status"].update(desiredReplicas=n)
    ctx.cluster.update("HorizontalPodAutoscaler", NAMESPACE, svc, t, change, spec_change=True)
    t2 = t + int(ctx.rng.uniform(15, 30) * NS)
    ctx.cluster.update("HorizontalPodAutoscaler", NAMESPACE, svc, t2, lambda b: b["status"].update(currentReplicas=n, lastScaleTime=rfc3339(t2)))
    ctx.events.emit([t2], "HorizontalPodAutoscaler", NAMESPACE, svc, "SuccessfulRescale",
                    f"New size: {n}; reason: Current number of replicas below Spec.MinReplicas", component="horizontal-pod-autoscaler")
    rs = ctx.topo.replicasets[svc]
    ctx.events.emit([t2 + 50_000_000], "Deployment", NAMESPACE, svc, "ScalingReplicaSet", f"Scaled up replica set {rs} to {n} from 1",
                    component="deployment-controller")

    def scale(b: dict[str, Any]) -> None:
        b["spec"]["replicas"] = n
        b["status"].update(replicas=n, readyReplicas=n, availableReplicas=n)
    ctx.cluster.update("Deployment", NAMESPACE, svc, t2, scale, spec_change=True)
    ctx.cluster.update("ReplicaSet", NAMESPACE, rs, t2, scale, spec_change=True)
    tmpl = ctx.cluster.get("Deployment", NAMESPACE, svc)["spec"]["template"]
    for _ in range(n - 1):
        tp = t2 + int(ctx.rng.uniform(0.2, 3) * NS)
        p = ctx.builder.add_pod(SERVICES[svc], rs, tp, tp, template=tmpl, up_from=tp + int(ctx.rng.uniform(5, 40) * NS))
        ctx.events.emit([tp], "ReplicaSet", NAMESPACE, rs, "SuccessfulCreate", f"Created pod: {p.name}", component="replicaset-controller")
        pod_ref_events(ctx, p, [([tp + NS], "Normal", "Pulled", f'Container image "{tmpl["spec"]["containers"][0]["image"]}" already present on machine'),
                                ([tp + 2 * NS], "Normal", "Started", f"Started container {svc}")])
    endpoints_refresh(ctx, svc, [t2 + 45 * NS])


def m_namespace(ctx: Context, rc: Group) -> None:
    """Spend alerts on a namespace with nothing actually broken: a modest, even rise in usage."""
    rc_name(ctx, rc, rc.name or NAMESPACE)
    t = ctx.fault_start
    for svc in SERVICES:
        ctx.inc.resources.append(ResourceCurve(svc, t, ctx.end, ctx.rng.uniform(1.1, 1.3),
                                               (lambda x, s=SERVICES[svc]: s.mem_mb * 1.22) if ctx.rng.random() < 0.5 else None))
    ctx.inc.traffic.append(TrafficChange(t, ctx.end, 1.2))


def m_load_surge(ctx: Context, rc: Group) -> None:
    """The load generator restarted with many more users: the proxy saturates."""
    svc = direct_service(ctx, rc, default="load-generator")
    t = ctx.fault_start
    users = str(ctx.rng.choice((150, 200, 300, 500)))

    def change(tmpl: dict[str, Any]) -> None:
        for e in tmpl["spec"]["containers"][0]["env"]:
            if e["name"] == "LOCUST_USERS":
                e["value"] = users
    new = rollout(ctx, svc, t, change)
    rc_name(ctx, rc, new.name)
    t_up = new.up[0][0]
    ctx.inc.traffic.append(TrafficChange(t_up, ctx.end, 3.0))
    ctx.inc.resources += [ResourceCurve("frontend-proxy", t_up, ctx.end, 4.0), ResourceCurve("frontend", t_up, ctx.end, 3.0)]
    ctx.inc.call_faults += [CallFault("frontend-proxy", t_up, ctx.end, "slow", latency_ms=(300, 3000), prob=0.6),
                            CallFault("frontend", t_up, ctx.end, "slow", latency_ms=(200, 1500), prob=0.5),
                            CallFault("frontend-proxy", t_up + 60 * NS, ctx.end, "error", prob=0.15, http_status=503,
                                      message="upstream connect error or disconnect/reset before headers. reset reason: overflow")]


def m_dependency_auth(ctx: Context, rc: Group) -> None:
    """A datastore pod restarted with authentication on: its clients fail with NOAUTH."""
    svc = direct_service(ctx, rc, default="valkey-cart")
    pods = ctx.pods(svc)
    t = ctx.fault_start
    if pods:
        pod = pods[0]
        rc_name(ctx, rc, pod.name)
        ctx.inc.restarts.setdefault(pod.name, []).append(t)

        def restarted(b: dict[str, Any]) -> None:
            cs = b["status"]["containerStatuses"][0]
            cs.update({"restartCount": cs["restartCount"] + 1, "state": {"running": {"startedAt": rfc3339(t + 3 * NS)}},
                       "lastState": {"terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": rfc3339(t)}}})
        ctx.cluster.update("Pod", NAMESPACE, pod.name, t, restarted)
        img = pod_image(ctx, pod)
        pod_ref_events(ctx, pod, [([t + 2 * NS], "Normal", "Pulled", f'Container image "{img}" already present on machine'),
                                  ([t + 2 * NS + 200_000_000], "Normal", "Created", f"Created container {svc}"),
                                  ([t + 3 * NS], "Normal", "Started", f"Started container {svc}")])
    else:
        rc_name(ctx, rc)
    onset = t + 4 * NS
    for caller in [c for c, callees in CALLS.items() if svc in callees]:
        ctx.inc.call_faults += [CallFault(svc, onset, ctx.end, "error", caller=caller, prob=0.85,
                                          message="NOAUTH Authentication required.", latency_ms=(50, 400)),
                                CallFault(svc, onset, ctx.end, "timeout", caller=caller, prob=0.5, latency_ms=(1500, 5000),
                                          caller_message=f"Timeout awaiting response (outbound=0KiB, inbound=0KiB, 5000ms elapsed, timeout is 5000ms), command=HGET, next: HGET, inst: 0, qu: 0, qs: 1, aw: False, rs: ReadAsync, ws: Idle, in: 0, serverEndpoint: {svc}:6379, mc: 1/1/0, mgr: 10 of 10 available, clientName: {caller}, IOCP: (Busy=0,Free=1000,Min=1,Max=1000), WORKER: (Busy=1,Free=32766,Min=2,Max=32767), v: 2.6.122.38350")]


def m_pod_crash(ctx: Context, rc: Group) -> None:
    """Fallback for a Pod root cause: the pod crash-loops (OOMKilled)."""
    svc = direct_service(ctx, rc)
    pods = ctx.pods(svc)
    rc_name(ctx, rc, pods[0].name if pods else svc)
    crashes = crashloop(ctx, svc, ctx.fault_start, "OOMKilled")
    endpoints_refresh(ctx, svc, crashes)


def m_generic(ctx: Context, rc: Group) -> None:
    """Anything else: the root cause's service answers with errors."""
    svc = direct_service(ctx, rc)
    rc_name(ctx, rc, svc)
    ctx.inc.call_faults.append(CallFault(svc, ctx.later(5, 30), ctx.end, "error", prob=0.4, message="internal error"))


def direct_service(ctx: Context, rc: Group, default: str = "checkout") -> str:
    """The demo service a non-chaos root cause is about."""
    svc = service_of(rc.id, rc.filters, rc.name)
    if svc is None:
        for f in ctx.gt.faults:
            svc = svc or service_of(f.group_id or f.entity_name, (), f.entity_name)
    return svc or (direct_targets(ctx.gt, rc) or [default])[0]


def classify(gt: GroundTruth, rc: Group) -> Callable[[Context, Group], None]:
    """The mechanism for a root-cause group."""
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
