"""Workload-object faults: a Deployment's image, env or replicas, a Service port, a NetworkPolicy, an HPA."""

from __future__ import annotations

import re
from typing import Any

from ..app import CALLS, NAMESPACE, SERVICES, env_for, image_of
from ..clock import NS, rfc3339
from ..groundtruth import Group
from ..incident import CallFault
from ._context import Context, chain, direct_service, direct_targets, rc_name, services_in_name
from ._blocks import endpoints_refresh, pod_ref_events, rollout
from ._chaos import _kafka_cut


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
