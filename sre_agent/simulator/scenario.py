"""One scenario end to end: ground truth in, ITBench-Lite snapshot folder out."""

from __future__ import annotations

import hashlib
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import flagd
from .alerts import AlertSpec, snapshots
from .app import NAMESPACE, SERVICES, build_cluster
from .clock import NS, file_stamp
from .cluster import dump_times
from .events import EventLog
from .faults import Context, chain, direct_targets, inject, recreate_services
from .groundtruth import GroundTruth, group_service, load
from .hard import apply as apply_hard, edge_only, hard_rng, late_dump_times, recording_start, root_services
from .incident import Incident
from .metrics import pod_rows, service_rows
from .noise import add_noise
from .traffic import Traffic
from .writer import LOG_COLUMNS, POD_METRIC_COLUMNS, TRACE_COLUMNS, write_json, write_tsv

#: Traces per second at scale 1 (about 2-4 x 10^4 spans + logs per scenario).
BASE_RATE = 0.9


@dataclass
class Report:
    """What was simulated (for tests and the CLI; never written into the scenario folder)."""

    folder: Path
    scenario_id: str
    rows: dict[str, int] = field(default_factory=dict)
    root_objects: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    error_spans: dict[str, int] = field(default_factory=dict)
    noise: list[str] = field(default_factory=list)
    fault_start: int = 0
    hard: tuple[str, ...] = ()
    record_start: int = 0


def scenario_rng(seed: int, scenario_id: str) -> random.Random:
    """The scenario's random stream: one per (seed, scenario), independent of hash seeds."""
    digest = hashlib.sha256(f"{seed}:{scenario_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _baseline_flags(gt: GroundTruth) -> str | None:
    for f in gt.faults:
        before, _ = flagd.resolve_change(f.changed_from, f.changed_to)
        if before:
            return before
    return None


def _recreate(gt: GroundTruth) -> frozenset[str]:
    """Deployments rolled out with Recreate: an image fault that the ground truth says caused errors."""
    out = set()
    for rc in gt.root_causes:
        if rc.kind.lower() == "deployment" and "image" in gt.all_text():
            svc = group_service(gt, rc.id)
            if svc and len(chain(gt, rc)) > 1 and "PendingPodsDetected" not in {a.id for a in gt.alerts}:
                out.add(svc)
    return frozenset(out) | recreate_services(gt)


def _alert_specs(gt: GroundTruth, ctx: Context, rng: random.Random) -> list[AlertSpec]:
    """The ground truth's alerts on concrete entities, timed after their symptoms."""
    hops: dict[str, int] = {}
    for rc in gt.root_causes:
        for svc, d in chain(gt, rc):
            hops.setdefault(svc, d)
    specs, seen = [], set()
    last = ctx.end - 3 * 60 * NS
    for a in gt.alerts:
        g = gt.group(a.group_id)
        kind = (g.kind if g else "Service").lower()
        ns = (g.namespace if g else NAMESPACE) or NAMESPACE
        svc = group_service(gt, a.group_id)
        if g is not None and svc is None and g.kind.lower() not in ("namespace",):
            svc = (direct_targets(gt, g) or [None])[0]
        labels = {"alertname": a.id, "severity": "critical" if a.id in ("RequestErrorRate", "FailedPodsDetected") else "warning",
                  "namespace": ns}
        if kind == "namespace":
            pass
        elif kind == "pod" and svc:
            pods = [p for p in ctx.topo.pods.get(svc, []) if p.deleted is None] or ctx.topo.pods.get(svc, [])
            labels["pod"] = pods[-1].name if pods else svc
            labels["service_name"] = svc
        elif svc:
            labels["service_name"] = svc
        key = tuple(sorted(labels.items()))
        if key in seen:
            continue
        seen.add(key)
        onset = ctx.inc.onsets.get(svc or "", 0)
        if not onset or onset < ctx.fault_start:
            onset = ctx.fault_start + int((30 + 40 * hops.get(svc or "", 1)) * NS * rng.uniform(0.8, 1.4))
        active = min(onset + int(rng.uniform(20, 70) * NS), last)
        specs.append(AlertSpec(a.id, labels, active, int(rng.choice((60, 120)) * NS), ctx.end + 3600 * NS))
    for labels, _, start, end in ctx.inc.extra_alerts:
        specs.append(AlertSpec(labels["alertname"], labels, start, 60 * NS, end))
    return specs


def run(ground_truth_path: str | Path, out_dir: str | Path, seed: int = 0, dump_chaos_objects: bool = False,
        scale: float = 1.0, hard: tuple[str, ...] = ()) -> Report:
    """Simulate one ground truth into ``out_dir/Scenario-<id>/`` and report what was made.

    ``hard``: the hard switches to apply (see :mod:`.hard`); none gives the normal variant.
    """
    gt = load(ground_truth_path)
    rng = scenario_rng(seed, gt.id)
    hrng = hard_rng(seed, gt.id)
    day = rng.randint(0, 180)
    start = (1748736000 + day * 86400 + rng.randint(0, 86400 - 4000)) * NS
    length = rng.randint(35, 55) * 60 * NS
    end = start + length
    fault_start = start + int(length * rng.uniform(0.35, 0.55))
    cluster, topo, builder = build_cluster(rng, start, end, _baseline_flags(gt), _recreate(gt))
    events = EventLog(cluster, rng)
    inc = Incident()
    ctx = Context(gt, rng, start, fault_start, end, cluster, topo, builder, events, inc)
    involved = {s for g in gt.groups if (s := group_service(gt, g.id))}
    inject(ctx)
    noise = add_noise(ctx, involved)
    noise += apply_hard(ctx, tuple(hard), hrng, involved)
    traffic = Traffic(rng, topo, inc, start, end, BASE_RATE * scale)
    traffic.run()
    traffic.extras()
    cluster.assign_resource_versions(rng.randint(2_000_000, 9_000_000))

    folder = Path(out_dir) / f"Scenario-{gt.id}"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "alerts").mkdir(parents=True)
    (folder / "metrics").mkdir()
    report = Report(folder, gt.id, root_objects=dict(ctx.root_names), noise=noise, fault_start=fault_start,
                    error_spans=dict(traffic.error_spans), hard=tuple(hard))
    shutil.copyfile(ground_truth_path, folder / "ground_truth.yaml")
    specs = _alert_specs(gt, ctx, rng)
    if "edge-alerts-only" in hard:
        specs = edge_only(specs)
    for t, alerts in snapshots(specs, start, end, rng):
        write_json(folder / "alerts" / f"alerts_at_{file_stamp(t)}.json", alerts)
    report.rows["alerts"] = len(list((folder / "alerts").iterdir()))
    times = dump_times(start, end, rng)
    since = None
    if "no-prefault-dump" in hard or "late-event-watch" in hard:
        report.record_start = recording_start(fault_start, hrng)
        if "no-prefault-dump" in hard:
            times = late_dump_times(report.record_start, end, hrng)
        if "late-event-watch" in hard:
            since = report.record_start
    report.rows["k8s_objects"] = write_tsv(folder / "k8s_objects_raw.tsv", LOG_COLUMNS,
                                           cluster.dump_rows(times, dump_chaos_objects))
    report.rows["k8s_events"] = write_tsv(folder / "k8s_events_raw.tsv", LOG_COLUMNS, events.sorted_rows(since))
    traffic.logs.sort(key=lambda x: x[0])
    traffic.spans.sort(key=lambda x: x[0])
    report.rows["logs"] = write_tsv(folder / "otel_logs_raw.tsv", LOG_COLUMNS, (r for _, r in traffic.logs))
    report.rows["spans"] = write_tsv(folder / "otel_traces_raw.tsv", TRACE_COLUMNS, (r for _, r in traffic.spans))
    n = 0
    for pod in topo.all_pods():
        if pod.created >= end:
            continue
        n += write_tsv(folder / "metrics" / f"pod_{pod.name}_raw.tsv", POD_METRIC_COLUMNS,
                       pod_rows(pod, topo, inc, traffic.stats, rng))
    no_spans = set(root_services(gt)) if "root-without-traces" in hard else set()  # span metrics come from spans
    for svc in sorted(traffic.stats):
        if svc in SERVICES and svc not in no_spans:
            cols, rows = service_rows(svc, traffic.stats[svc], topo, rng)
            n += write_tsv(folder / "metrics" / f"service_{svc}_raw.tsv", cols, rows)
    report.rows["metrics"] = n
    return report


def describe(report: Report) -> dict[str, Any]:
    """A JSON-able summary of a report."""
    return {"scenario": report.scenario_id, "folder": str(report.folder), "rows": report.rows,
            "root_objects": {k: "/".join(v) for k, v in report.root_objects.items()}, "noise": report.noise}

