"""Pod-level and namespace-level faults: load surges, datastores restarted with auth, crash loops, spend."""

from __future__ import annotations

from typing import Any

from ..app import CALLS, NAMESPACE, SERVICES
from ..clock import NS, rfc3339
from ..groundtruth import Group
from ..incident import CallFault, ResourceCurve, TrafficChange
from ._context import Context, direct_service, rc_name
from ._blocks import crashloop, endpoints_refresh, pod_image, pod_ref_events, rollout


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
