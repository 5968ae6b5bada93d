"""Prometheus samples per pod (cAdvisor / kube-state-metrics) and per service (span metrics).

Pod CPU follows the service's request rate (from the generated spans) times any fault curve;
counters are cumulative.  Service files hold the span-metrics latency histogram
(``metric_type=duration_p95``, one row per ``bucket_le``) and call counts by status
(``metric_type=error_rate``), cumulative, one sample per minute.
"""

from __future__ import annotations

import random
from typing import Any

from .app import NAMESPACE, SERVICES, PodInfo, Topology
from .clock import NS, ts_seconds
from .incident import Incident
from .traffic import BUCKETS_MS, ServiceStats
from .writer import SERVICE_METRIC_COLUMNS, fmt_value

STEP = 30 * NS


def _load(stats: dict[str, ServiceStats], service: str) -> dict[int, float]:
    st = stats.get(service)
    if st is None or not st.minutes:
        return {}
    counts = {m: v[0] + v[1] for m, v in st.minutes.items()}
    mean = sum(counts.values()) / max(1, len(counts))
    return {m: min(6.0, max(0.4, c / mean)) if mean else 1.0 for m, c in counts.items()}


def pod_rows(pod: PodInfo, topo: Topology, inc: Incident, stats: dict[str, ServiceStats],
             rng: random.Random) -> list[list[Any]]:
    """All samples of one pod over the window."""
    spec = SERVICES[pod.service]
    load = _load(stats, pod.service)
    restarts = sorted(inc.restarts.get(pod.name, []))
    curves = [c for c in inc.resources if c.service == pod.service and (c.pod is None or c.pod == pod.name)]
    gauges = [(name, fn) for svc, name, fn in inc.gauges if svc == pod.service]
    base_tags = {"container": pod.service, "namespace": NAMESPACE, "pod": pod.name, "node": pod.node}
    cad = str({**base_tags, "job": "kubelet", "metrics_path": "/metrics/cadvisor", "image": "ghcr.io/open-telemetry/demo"})
    ksm = str({**base_tags, "job": "kube-state-metrics", "uid": pod.name[-5:]})
    rows: list[list[Any]] = []
    cpu = rng.uniform(50, 5000)
    rx = tx = rng.uniform(1e6, 1e8)
    throttled = float(rng.randint(0, 50))
    mem_base = spec.mem_mb * rng.uniform(0.85, 1.1)
    sparse = pod.name in inc.sparse_pods
    t = topo.start + rng.randint(0, 29) * NS
    has_container = bool(pod.up)
    while t < topo.end:
        if not pod.exists(t):
            t += STEP
            continue
        minute = (t - topo.start) // (60 * NS)
        serving = pod.serving(t)
        cpu_factor = 1.0
        mem = mem_base * (1 + 0.03 * rng.random())
        for c in curves:
            if c.start <= t < c.end:
                cpu_factor *= c.cpu_factor
                if c.memory_mb is not None:
                    mem = c.memory_mb(t)
        cores = spec.cpu_m / 1000 * load.get(minute, 1.0) * cpu_factor * rng.uniform(0.85, 1.15)
        if not serving:
            cores *= 0.05
        cpu += cores * 30
        rx += load.get(minute, 1.0) * rng.uniform(2e4, 6e4) * 30
        tx += load.get(minute, 1.0) * rng.uniform(2e4, 8e4) * 30
        if cores * 1000 > spec.cpu_m * 3:
            throttled += rng.randint(5, 40)
        stamp = ts_seconds(t)
        if not (sparse and rng.random() < 0.6):
            n_restarts = pod.restarts0 + sum(1 for r in restarts if r <= t)
            if has_container:
                rows += [["container_cpu_usage_seconds_total", stamp, fmt_value(round(cpu, 4)), pod.name, NAMESPACE, cad],
                         ["container_memory_working_set_bytes", stamp, fmt_value(round(mem * 1048576)), pod.name, NAMESPACE, cad],
                         ["container_memory_rss", stamp, fmt_value(round(mem * 0.86 * 1048576)), pod.name, NAMESPACE, cad],
                         ["container_network_receive_bytes_total", stamp, fmt_value(round(rx)), pod.name, NAMESPACE, cad],
                         ["container_network_transmit_bytes_total", stamp, fmt_value(round(tx)), pod.name, NAMESPACE, cad],
                         ["container_cpu_cfs_throttled_periods_total", stamp, fmt_value(throttled), pod.name, NAMESPACE, cad]]
            rows += [["kube_pod_container_status_restarts_total", stamp, fmt_value(n_restarts), pod.name, NAMESPACE, ksm],
                     ["kube_pod_container_status_ready", stamp, fmt_value(1 if serving else 0), pod.name, NAMESPACE, ksm]]
            for name, fn in gauges:
                v = fn(t)
                if v is not None:
                    rows.append([name, stamp, fmt_value(round(v, 4)), pod.name, NAMESPACE, cad])
        t += STEP
    return rows


def service_rows(service: str, st: ServiceStats, topo: Topology, rng: random.Random) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows) of one service's span-metrics file; the column order varies like the recorder's."""
    columns = list(SERVICE_METRIC_COLUMNS)
    if rng.random() < 0.5:
        columns = ["service_name", "namespace", "metric_name", "metric_type", "status_code", "bucket_le",
                   "timestamp", "value", "tags"]
    minutes = int((topo.end - topo.start) // (60 * NS))
    ok = err = 0
    buckets = [0] * (len(BUCKETS_MS) + 1)
    tags_h = str({"service_name": service, "span_kind": "SPAN_KIND_SERVER", "namespace": NAMESPACE, "job": "opentelemetry-collector"})
    rows: list[list[Any]] = []
    for m in range(minutes):
        v = st.minutes.get(m)
        if v:
            ok += v[0]
            err += v[1]
            for i, c in enumerate(v[2]):
                buckets[i] += c
        stamp = ts_seconds(topo.start + (m + 1) * 60 * NS)
        cum = 0
        recs: list[dict[str, Any]] = []
        for i, bound in enumerate((*BUCKETS_MS, "+Inf")):
            cum += buckets[i]
            recs.append({"metric_name": "traces_span_metrics_duration_milliseconds_bucket", "bucket_le": str(bound),
                         "metric_type": "duration_p95", "status_code": "", "value": fmt_value(cum)})
        for code, n in (("STATUS_CODE_UNSET", ok), ("STATUS_CODE_ERROR", err)):
            if n or code == "STATUS_CODE_UNSET":
                recs.append({"metric_name": "traces_span_metrics_calls_total", "bucket_le": "", "metric_type": "error_rate",
                             "status_code": code, "value": fmt_value(n)})
        for r in recs:
            r.update({"timestamp": stamp, "service_name": service, "namespace": NAMESPACE,
                      "tags": tags_h if r["status_code"] == "" else str({"service_name": service, "status_code": r["status_code"],
                                                                          "span_kind": "SPAN_KIND_SERVER"})})
            rows.append([r[c] for c in columns])
    return columns, rows

