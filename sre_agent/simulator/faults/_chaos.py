"""Chaos Mesh faults: network, pod, stress, HTTP and JVM chaos, and Schedules that spawn them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..app import CALLS, NAMESPACE, SERVICES
from ..clock import NS, rfc3339
from ..groundtruth import Group
from ..incident import CallFault, LogLine, LoneSpan, ResourceCurve
from ..names import name_for_group
from ._context import CHAOS_KINDS, Context, chain, direct_targets, rc_name, services_in_name
from ._blocks import chaos, crashloop, endpoints_refresh, pod_ref_events


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
