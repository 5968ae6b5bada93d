"""Capacity faults (sre-agent's own ground truths): a message broker whose disk fills, an HPA capped under load.

Neither changes a Deployment at the fault: the broker's pod dies of its own state (its log
directory is full) and the autoscaler's cap was set long before the window; what the recording
shows is the consequence, written the way the broker and the HPA controller write it.
"""

from __future__ import annotations

from typing import Any

from ..app import CALLS, NAMESPACE, SERVICES
from ..clock import NS, rfc3339
from ..groundtruth import Group
from ..incident import CallFault, LogLine, ResourceCurve, TrafficChange
from ._blocks import crashloop
from ._context import Context, direct_service, rc_name

#: What a Kafka broker logs when its only log directory runs out of space.
BROKER_DISK_LINES = (
    "Error while appending records to {topic}-0 in dir /tmp/kafka-logs (kafka.server.LogDirFailureChannel) "
    "java.io.IOException: No space left on device",
    "Shutdown broker because all log dirs in /tmp/kafka-logs have failed (kafka.log.LogManager)",
)


def m_broker_disk_full(ctx: Context, rc: Group) -> None:
    """The broker's log directory fills: it shuts down at each start (exit 1), producers are refused, consumers starve."""
    svc = direct_service(ctx, rc, default="kafka")
    pods = ctx.pods(svc, ctx.fault_start)
    if not pods:
        return
    pod = pods[0]
    rc_name(ctx, rc, pod.name)
    crashes = crashloop(ctx, svc, ctx.fault_start, reason="Error", ramp_s=(25, 60))
    for i, c in enumerate([ctx.fault_start] + crashes[:-1]):
        topic = ("orders", "__consumer_offsets")[i % 2]
        for k, line in enumerate(BROKER_DISK_LINES):
            ctx.inc.logs.append(LogLine(c + int((2 + k) * NS), svc, "ERROR", line.format(topic=topic), pod.name))
    onset = ctx.fault_start + int(ctx.rng.uniform(5, 20) * NS)
    port = SERVICES[svc].port
    producers = [s for s, callees in CALLS.items() if svc in callees]
    for caller in producers:
        ctx.inc.call_faults.append(CallFault(
            svc, onset, ctx.end, "refused", caller=caller, prob=0.9,
            caller_message=f"kafka: client has run out of available brokers to talk to: dial tcp {pod.ip}:{port}: "
                           "connect: connection refused"))
    for consumer in CALLS.get(svc, ()):
        ctx.inc.logs += [LogLine(onset + int(k * 37 * NS), consumer, "WARN",
                                 f"[Consumer clientId={consumer}, groupId={consumer}] Connection to node 1 ({svc}/{pod.ip}:{port}) "
                                 "could not be established. Node may not be available.")
                         for k in range(max(1, int((ctx.end - onset) / (37 * NS))))]
    ctx.inc.mark(svc, onset)


def m_hpa_capped(ctx: Context, rc: Group) -> None:
    """An HPA whose maxReplicas was set to its minimum long ago: under a traffic peak it cannot scale out."""
    svc = direct_service(ctx, rc)
    name = rc_name(ctx, rc, svc)
    c = ctx.cluster
    if not c.has("HorizontalPodAutoscaler", NAMESPACE, name):
        return
    set_at = ctx.start - int(ctx.rng.uniform(2, 30) * 3600 * NS)  # a standing misconfiguration, before the window
    c.update("HorizontalPodAutoscaler", NAMESPACE, name, set_at,
             lambda b: b["spec"].update(maxReplicas=b["spec"]["minReplicas"]), spec_change=True)
    peak = ctx.fault_start
    onset = peak + int(ctx.rng.uniform(40, 90) * NS)
    ctx.inc.traffic.append(TrafficChange(peak, ctx.end, ctx.rng.uniform(2.2, 3.0)))
    ctx.inc.resources.append(ResourceCurve(svc, peak, ctx.end, 3.5))
    ctx.inc.call_faults += [CallFault(svc, onset, ctx.end, "slow", latency_ms=(400, 2500), prob=0.6),
                            CallFault(svc, onset + 60 * NS, ctx.end, "error", prob=0.08, http_status=503,
                                      message="upstream connect error or disconnect/reset before headers. reset reason: overflow")]
    util = ctx.rng.randint(180, 260)

    def pinned(b: dict[str, Any]) -> None:
        spec = b["spec"]
        b["status"].update(currentReplicas=spec["maxReplicas"], desiredReplicas=spec["maxReplicas"],
                           currentMetrics=[{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": util}}}],
                           conditions=[
                               {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale",
                                "message": "recommended size matches current size", "lastTransitionTime": rfc3339(onset)},
                               {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound",
                                "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization "
                                           "(percentage of request)", "lastTransitionTime": rfc3339(ctx.start - 3600 * NS)},
                               {"type": "ScalingLimited", "status": "True", "reason": "TooManyReplicas",
                                "message": "the desired replica count is more than the maximum replica count",
                                "lastTransitionTime": rfc3339(onset)}])
    c.update("HorizontalPodAutoscaler", NAMESPACE, name, onset, pinned)
    ctx.inc.mark(svc, onset)
