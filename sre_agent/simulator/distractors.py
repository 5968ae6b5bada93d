"""Distractors of the hard variant: trouble that is real but is not the incident's root cause.

Each function picks a service the ground truth does not involve, changes objects and events
as Kubernetes would, registers its telemetry effects, and returns a short tag (for the
:class:`~.scenario.Report`, never written into the scenario folder).
"""

from __future__ import annotations

from typing import Any

from .app import NAMESPACE, SERVICES, pod_status
from .clock import NS, rfc3339
from .faults import Context, chaos, crashloop, endpoints_refresh, pod_ref_events, rollout
from .incident import CallFault, LogLine
from .noise import WARNINGS

#: Services that nothing calls synchronously: trouble there is not upstream of any alert.
LEAF_CONSUMERS = ("accounting", "fraud-detection")

#: Warning events healthy clusters keep producing: (kind, namespace, name or None = a demo pod, reason, message).
NOISY_EVENTS = (
    ("HorizontalPodAutoscaler", "FailedGetResourceMetric",
     "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"),
    ("HorizontalPodAutoscaler", "FailedComputeMetricsReplicas",
     "invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu "
     "utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"),
    ("Pod", "DNSConfigForming",
     "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 "
     "169.254.169.253 172.20.0.2"),
)


def _pick(ctx: Context, avoid: set[str], pool: tuple[str, ...]) -> str | None:
    free = [s for s in pool if s not in avoid and ctx.pods(s, ctx.start)]
    return ctx.rng.choice(free) if free else None


def resolved_failure(ctx: Context, avoid: set[str], pool: tuple[str, ...]) -> str:
    """A pod that failed and recovered well before the fault: FailedScheduling, or a crash loop that ended."""
    svc = _pick(ctx, avoid, pool)
    if svc is None:
        return "resolved-failure:none"
    avoid.add(svc)
    rng = ctx.rng
    t0 = ctx.start + int(rng.uniform(60, 180) * NS)
    if rng.random() < 0.5:
        return _scheduling_then_ok(ctx, svc, t0)
    pod = ctx.pods(svc, t0)[0]
    stop = min(ctx.fault_start - 6 * 60 * NS, t0 + int(rng.uniform(240, 420) * NS))
    spec = SERVICES[svc]
    times, t, back = [], t0, 10.0
    while t < stop:
        times.append(t)
        t += int((back + rng.uniform(5, 15)) * NS)
        back = min(80.0, back * 2)
    up_from = pod.up[0][0]
    pod.up = [(up_from, times[0])] + [(a + 12 * NS, b) for a, b in zip(times, times[1:] + [ctx.end + 3600 * NS])]
    ctx.inc.restarts.setdefault(pod.name, []).extend(times)
    uid = ctx.cluster.get("Pod", NAMESPACE, pod.name)["metadata"]["uid"]
    for i, c in enumerate(times):
        term = {"exitCode": 1, "reason": "Error", "startedAt": rfc3339(c - 20 * NS), "finishedAt": rfc3339(c),
                "containerID": f"containerd://{i:02d}r{pod.name}"}

        def crashed(b: dict[str, Any], n: int = pod.restarts0 + i + 1, term: dict[str, Any] = term, c: int = c) -> None:
            cs = b["status"]["containerStatuses"][0]
            cs.update({"restartCount": n, "lastState": {"terminated": term}, "ready": True, "started": True,
                       "state": {"running": {"startedAt": rfc3339(c + int(12 * NS))}}})
        ctx.cluster.update("Pod", NAMESPACE, pod.name, c + 12 * NS, crashed)
    pod_ref_events(ctx, pod, [
        (times, "Warning", "BackOff", f"Back-off restarting failed container {svc} in pod {pod.name}_{NAMESPACE}({uid})"),
        ([c + 12 * NS for c in times], "Normal", "Started", f"Started container {svc}")])
    msg = {"java": "Exception in thread \"main\" org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment",
           "dotnet": "Unhandled exception. Confluent.Kafka.KafkaException: Local: Broker transport failure",
           "kotlin": "Exception in thread \"main\" org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment"}
    body = msg.get(spec.language, "fatal: lost connection to a dependency during start-up, exiting")
    for c in times:
        ctx.inc.logs.append(LogLine(c - int(rng.uniform(0.2, 2) * NS), svc, "ERROR", body, pod=pod.name))
    return f"resolved-crashloop:{pod.name}"


def _scheduling_then_ok(ctx: Context, svc: str, t0: int) -> str:
    """A replacement pod Pending on FailedScheduling for a few minutes, then scheduled and running."""
    rng, c = ctx.rng, ctx.cluster
    old = ctx.pods(svc, t0)[0]
    rs = ctx.topo.replicasets[svc]
    tmpl = c.get("Deployment", NAMESPACE, svc)["spec"]["template"]
    sched = t0 + int(rng.uniform(150, 300) * NS)
    new = ctx.builder.add_pod(SERVICES[svc], rs, t0, t0, template=tmpl, up_from=sched + int(rng.uniform(6, 15) * NS))
    node = new.node

    def pending(b: dict[str, Any]) -> None:
        b["spec"].pop("nodeName", None)
        st = b["status"]
        st.update({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                                       "lastTransitionTime": rfc3339(t0),
                                                       "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 "
                                                                  "nodes are available: 3 No preemption victims found for incoming pod."}],
                   "qosClass": "Burstable"})
        for k in ("hostIP", "podIP", "podIPs", "startTime", "containerStatuses"):
            st.pop(k, None)
    pending(c.objects[("Pod", NAMESPACE, new.name)].versions[0][1])

    def scheduled(b: dict[str, Any]) -> None:
        b["spec"]["nodeName"] = node
    c.update("Pod", NAMESPACE, new.name, sched, scheduled)
    running = pod_status(SERVICES[svc], new, sched + 8 * NS, tmpl["spec"]["containers"][0]["image"])
    c.update("Pod", NAMESPACE, new.name, sched + 8 * NS, lambda b: b.__setitem__("status", running))
    fails = [t0 + int(k * NS) for k in range(0, int((sched - t0) / NS), 30)]
    ctx.events.emit([t0], "ReplicaSet", NAMESPACE, rs, "SuccessfulCreate", f"Created pod: {new.name}", component="replicaset-controller")
    ctx.events.emit(fails, "Pod", NAMESPACE, new.name, "FailedScheduling",
                    "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption "
                    "victims found for incoming pod.", "Warning", "default-scheduler")
    ctx.events.emit([sched], "Pod", NAMESPACE, new.name, "Scheduled", f"Successfully assigned {NAMESPACE}/{new.name} to {node}",
                    component="default-scheduler")
    image = tmpl["spec"]["containers"][0]["image"]
    pod_ref_events(ctx, new, [([sched + 2 * NS], "Normal", "Pulled", f'Container image "{image}" already present on machine'),
                              ([sched + 3 * NS], "Normal", "Created", f"Created container {svc}"),
                              ([sched + 4 * NS], "Normal", "Started", f"Started container {svc}")])
    gone = sched + int(rng.uniform(20, 40) * NS)
    old.up = [(a, min(b, gone)) for a, b in old.up if a < gone]
    old.deleted = gone + int(rng.uniform(1, 20) * NS)
    c.delete("Pod", NAMESPACE, old.name, old.deleted)
    pod_ref_events(ctx, old, [([gone], "Normal", "Killing", f"Stopping container {svc}")])
    ctx.events.emit([gone], "ReplicaSet", NAMESPACE, rs, "SuccessfulDelete", f"Deleted pod: {old.name}", component="replicaset-controller")
    endpoints_refresh(ctx, svc, [sched + 10 * NS, gone])
    return f"resolved-pending:{new.name}"


def old_chaos(ctx: Context, avoid: set[str], pool: tuple[str, ...]) -> str:
    """A Chaos Mesh experiment that ran and was recovered well before the fault (object and events stay)."""
    svc = _pick(ctx, avoid, pool)
    if svc is None:
        return "old-chaos:none"
    avoid.add(svc)
    rng = ctx.rng
    kind = rng.choice(("NetworkChaos", "PodChaos"))
    name = f"{svc}-{'delay' if kind == 'NetworkChaos' else 'container-kill'}-{rng.randint(1, 9)}"
    t0 = ctx.start + int(rng.uniform(30, 120) * NS)
    t1 = min(ctx.fault_start - 5 * 60 * NS, t0 + int(rng.uniform(180, 300) * NS))
    spec: dict[str, Any] = ({"action": "delay", "delay": {"latency": "800ms", "jitter": "100ms"}, "duration": "4m"}
                            if kind == "NetworkChaos" else {"action": "container-kill", "containerNames": [svc], "duration": "4m"})
    chaos(ctx, kind, name, [svc], spec, t0)
    pods = ctx.pods(svc, t0)

    def recovered(b: dict[str, Any]) -> None:
        b["status"]["experiment"]["desiredPhase"] = "Stop"
        for r in b["status"]["experiment"]["containerRecords"]:
            r.update(phase="Not Injected", recoveredCount=1)
        b["status"]["conditions"] = [{"type": "AllInjected", "status": "False"}, {"type": "AllRecovered", "status": "True"},
                                     {"type": "Paused", "status": "False"}, {"type": "Selected", "status": "True"}]
    ctx.cluster.update(kind, "chaos-mesh", name, t1, recovered)
    ev = ctx.events
    ev.emit([t1], kind, "chaos-mesh", name, "TimeUp", "Time up according to the duration", component="desiredphase")
    ev.emit([t1 + 50_000_000], kind, "chaos-mesh", name, "Updated", "Successfully update desiredPhase of resource",
            component="desiredphase")
    for i, p in enumerate(pods):
        ev.emit([t1 + (300 + 40 * i) * 1_000_000], kind, "chaos-mesh", name, "Recovered",
                f"Successfully recover chaos for {NAMESPACE}/{p.name}", component="records")
    if kind == "NetworkChaos":
        ctx.inc.call_faults.append(CallFault(svc, t0 + NS, t1, "slow", latency_ms=(700, 1000), prob=0.9))
    elif pods:
        crash = t0 + NS
        ctx.inc.restarts.setdefault(pods[0].name, []).append(crash)
        pods[0].up = [(a, min(b, crash)) for a, b in pods[0].up if a < crash] + [(crash + 15 * NS, ctx.end + 3600 * NS)]
        term = {"exitCode": 137, "reason": "Error", "startedAt": rfc3339(ctx.start - 3600 * NS), "finishedAt": rfc3339(crash)}

        def killed(b: dict[str, Any]) -> None:
            cs = b["status"]["containerStatuses"][0]
            cs.update({"restartCount": cs["restartCount"] + 1, "lastState": {"terminated": term},
                       "state": {"running": {"startedAt": rfc3339(crash + 12 * NS)}}})
        ctx.cluster.update("Pod", NAMESPACE, pods[0].name, crash + 12 * NS, killed)
        pod_ref_events(ctx, pods[0], [([crash], "Normal", "Killing", f"Stopping container {svc}"),
                                      ([crash + 12 * NS], "Normal", "Started", f"Started container {svc}")])
    return f"old-chaos:{kind}/{name}"


def benign_rollout(ctx: Context, avoid: set[str], pool: tuple[str, ...]) -> str:
    """An unrelated Deployment rolls out (new image tag, new ReplicaSet) a few minutes before the fault."""
    svc = _pick(ctx, avoid, pool)
    if svc is None:
        return "benign-rollout:none"
    avoid.add(svc)
    t = ctx.fault_start - int(ctx.rng.uniform(90, 300) * NS)

    def change(tmpl: dict[str, Any]) -> None:
        c = tmpl["spec"]["containers"][0]
        c["image"] = c["image"].replace("2.0.2", "2.0.3") if "2.0.2" in c["image"] else c["image"] + "-r1"
        for e in c.get("env", []):
            if e["name"] == "OTEL_RESOURCE_ATTRIBUTES":
                e["value"] = e["value"].replace("2.0.2", "2.0.3")
    rollout(ctx, svc, t, change)
    return f"benign-rollout:{svc}"


def second_anomaly(ctx: Context, avoid: set[str], pool: tuple[str, ...]) -> str:
    """A leaf consumer crash-loops (OOMKilled) during the incident; nothing that alerts depends on it."""
    svc = _pick(ctx, avoid, LEAF_CONSUMERS)
    if svc is None:
        return "second-anomaly:none"
    avoid.add(svc)
    start = ctx.fault_start + int(ctx.rng.uniform(0, 240) * NS)
    crashes = crashloop(ctx, svc, start, "OOMKilled", ramp_s=(90, 200))
    if SERVICES[svc].port:
        endpoints_refresh(ctx, svc, crashes)
    return f"second-anomaly:{svc}"


def noisy_warnings(ctx: Context, avoid: set[str], pool: tuple[str, ...]) -> str:
    """Healthy components keep writing Warning events and WARN log lines all through the window."""
    rng = ctx.rng
    hpas = [h.name for h in ctx.cluster.of_kind("HorizontalPodAutoscaler", NAMESPACE) if h.name not in avoid]
    period = lambda lo, hi: [ctx.start + int(k) for k in _ticks(rng, ctx.end - ctx.start, lo, hi)]  # noqa: E731
    for name in hpas:
        for kind, reason, msg in NOISY_EVENTS[:2]:
            ctx.events.emit(period(15, 45), kind, NAMESPACE, name, reason, msg, "Warning", "horizontal-pod-autoscaler")
    healthy = [s for s in pool if s not in avoid and ctx.pods(s, ctx.start)]
    for svc in rng.sample(healthy, min(3, len(healthy))):
        pod = ctx.pods(svc, ctx.start)[0]
        kind, reason, msg = NOISY_EVENTS[2]
        ctx.events.emit(period(60, 180), kind, NAMESPACE, pod.name, reason, msg, "Warning", "kubelet", pod.node)
    for svc in rng.sample([s for s in healthy if s in WARNINGS], min(3, len([s for s in healthy if s in WARNINGS]))):
        t = ctx.start + int(rng.uniform(0, 30) * NS)
        while t < ctx.end:
            ctx.inc.logs.append(LogLine(t, svc, "WARN", WARNINGS[svc].format(n=rng.randint(100, 5000))))
            t += int(rng.uniform(2, 8) * NS)
    return f"noisy-warnings:{len(hpas)} hpas"


def _ticks(rng: Any, span: int, lo: float, hi: float) -> list[int]:
    out, t = [], int(rng.uniform(0, lo) * NS)
    while t < span:
        out.append(t)
        t += int(rng.uniform(lo, hi) * NS)
    return out
