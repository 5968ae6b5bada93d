"""Things that happen in any cluster and have nothing to do with the incident.

Every scenario gets a low background error rate, one service whose traces are missing and one
pod with sparse metrics, plus at least two unrelated anomalies drawn per seed: an old restart,
a rollout restart of another Deployment, a noisy warning stream, a latency blip with its own
short alert, a benign ConfigMap edit, a flaky readiness probe.
"""

from __future__ import annotations

from typing import Any

from .app import NAMESPACE, SERVICES
from .clock import NS, rfc3339
from .faults import Context, pod_ref_events, rollout
from .incident import CallFault, LogLine

#: Services noise may pick: ordinary workers whose anomalies are plausible red herrings.
CANDIDATES = ("accounting", "currency", "email", "quote", "shipping", "payment", "product-catalog", "recommendation",
              "ad", "cart", "fraud-detection", "image-provider")

WARNINGS = {
    "accounting": "Slow database query detected: SELECT * FROM orders WHERE created_at > @p0 took {n}ms",
    "currency": "Conversion rates cache is stale (age {n}s), serving last known rates",
    "email": "Net::ReadTimeout while connecting to SMTP relay, retrying in {n}ms (attempt 1/3)",
    "quote": "Deprecated: Creation of dynamic property App\\Application\\Settings::$cache is deprecated in /var/www/src/Application/Settings.php on line {n}",
    "shipping": "slow request: POST /get-quote took {n}ms to acquire a connection from the pool",
    "payment": "Warning: card validation library is running in test mode (requests={n})",
    "product-catalog": "product catalog reload took {n}ms, longer than the 100ms budget",
    "recommendation": "Cache hit ratio low: {n} entries evicted in the last minute",
    "ad": "GC pause of {n}ms exceeded the 50ms target (G1 Young Generation)",
    "cart": "Valkey connection multiplexer slow heartbeat: {n}ms",
    "fraud-detection": "Consumer poll took {n}ms; consider raising max.poll.interval.ms",
    "image-provider": "upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/{n}",
}


def add_noise(ctx: Context, involved: set[str]) -> list[str]:
    """Add background noise and 2-4 unrelated anomalies; returns what was added."""
    rng, inc = ctx.rng, ctx.inc
    free = [s for s in CANDIDATES if s not in involved] or ["accounting"]
    rng.shuffle(free)
    added = []
    for svc in rng.sample(["currency", "cart", "product-catalog", "shipping"], 2):
        inc.call_faults.append(CallFault(svc, ctx.start, ctx.end, "error", prob=rng.uniform(0.002, 0.008),
                                         message="context canceled" if svc != "product-catalog" else "Product Not Found",
                                         grpc_code=1 if svc != "product-catalog" else 5))
    inc.untraced.add(free[0])
    added.append(f"untraced:{free[0]}")
    pods = [p for p in ctx.topo.all_pods() if p.service not in involved]
    if pods:
        sp = rng.choice(pods)
        inc.sparse_pods.add(sp.name)
        added.append(f"sparse:{sp.name}")
    choices = [_old_restart, _rollout_restart, _warn_stream, _latency_blip, _configmap_edit, _flaky_probe]
    rng.shuffle(choices)
    pool = free[1:] or free
    for i, fn in enumerate(choices[: rng.randint(2, 4)]):
        added.append(fn(ctx, pool[i % len(pool)]))
    _background_logs(ctx)
    return added


def _old_restart(ctx: Context, svc: str) -> str:
    pod = ctx.pods(svc, ctx.start)[0]
    pod.restarts0 += 1
    when = ctx.start - int(ctx.rng.uniform(45, 90) * 60 * NS)
    reason = ctx.rng.choice(("OOMKilled", "Error"))
    body = ctx.cluster.objects[("Pod", NAMESPACE, pod.name)].versions[0][1]
    cs = body["status"]["containerStatuses"][0]
    cs["restartCount"] += 1
    cs["lastState"] = {"terminated": {"exitCode": 137 if reason == "OOMKilled" else 1, "reason": reason,
                                      "startedAt": rfc3339(when - 86400 * NS), "finishedAt": rfc3339(when)}}
    cs["state"] = {"running": {"startedAt": rfc3339(when + 12 * NS)}}
    return f"old-restart:{pod.name}"


def _rollout_restart(ctx: Context, svc: str) -> str:
    t = ctx.start + int(ctx.rng.uniform(0.1, 0.8) * (ctx.end - ctx.start))
    stamp = rfc3339(t)

    def change(tmpl: dict[str, Any]) -> None:
        tmpl["metadata"].setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = stamp
    rollout(ctx, svc, t, change)
    return f"rollout-restart:{svc}"


def _warn_stream(ctx: Context, svc: str) -> str:
    rng = ctx.rng
    t = ctx.start + int(rng.uniform(0, 120) * NS)
    while t < ctx.end:
        ctx.inc.logs.append(LogLine(t, svc, "WARN", WARNINGS[svc].format(n=rng.randint(120, 4000))))
        t += int(rng.uniform(4, 20) * NS)
    return f"warn-stream:{svc}"


def _latency_blip(ctx: Context, svc: str) -> str:
    rng = ctx.rng
    t = ctx.start + int(rng.uniform(0.1, 0.8) * (ctx.end - ctx.start))
    end = t + int(rng.uniform(150, 300) * NS)
    ctx.inc.call_faults.append(CallFault(svc, t, end, "slow", latency_ms=(1200, 3500), prob=0.7))
    ctx.inc.extra_alerts.append(({"alertname": "RequestLatency", "namespace": NAMESPACE, "service_name": svc,
                                  "severity": "warning"}, {}, t + int(rng.uniform(30, 60) * NS), end + int(rng.uniform(60, 120) * NS)))
    return f"latency-blip:{svc}"


def _configmap_edit(ctx: Context, svc: str) -> str:
    t = ctx.start + int(ctx.rng.uniform(0.05, 0.9) * (ctx.end - ctx.start))
    ctx.cluster.update("ConfigMap", NAMESPACE, "otel-demo-grafana-dashboards", t,
                       lambda b: b["data"].update({"demo-dashboard.json": '{"title": "Demo Dashboard", "refresh": "1m", "panels": []}'}))
    return "configmap-edit:otel-demo-grafana-dashboards"


def _flaky_probe(ctx: Context, svc: str) -> str:
    pod = ctx.pods(svc, ctx.start)[0]
    t = ctx.start + int(ctx.rng.uniform(0.05, 0.9) * (ctx.end - ctx.start))
    times = [t + i * 10 * NS for i in range(ctx.rng.randint(2, 4))]
    port = SERVICES[svc].port or 8080
    pod_ref_events(ctx, pod, [(times, "Warning", "Unhealthy",
                               f'Readiness probe failed: Get "http://{pod.ip}:{port}/health": context deadline exceeded (Client.Timeout exceeded while awaiting headers)')])
    return f"flaky-probe:{pod.name}"


def _background_logs(ctx: Context) -> None:
    rng = ctx.rng
    lines = {"kafka": ["[LogCleaner] Log cleaner thread 0 cleaned log __consumer_offsets-{n} (dirty section = [0, 0])",
                       "[GroupCoordinator 1]: Preparing to rebalance group fraud-detection in state PreparingRebalance with old generation {n}",
                       "[Controller id=1] Processing automatic preferred replica leader election",
                       "[ProducerStateManager partition=orders-0] Wrote producer snapshot at offset {n} with 1 producer ids"],
             "flagd": ["flag evaluation metrics exported (count={n})"],
             "load-generator": ["Ramping to 10 users at a rate of 1.00 per second", "GET /api/products/{n}: 200"]}
    for svc, texts in lines.items():
        t = ctx.start + int(rng.uniform(1, 60) * NS)
        while t < ctx.end:
            ctx.inc.logs.append(LogLine(t, svc, "INFO", rng.choice(texts).format(n=rng.randint(1, 9999))))
            t += int(rng.uniform(20, 90) * NS)
