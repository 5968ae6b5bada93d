"""Hard variants: switches that make a scenario look more like a messy real recording.

``simulate --variant hard`` turns every switch on; ``--hard a,b`` picks some.  A switch never
changes what the ground truth says (the root cause stays the root cause) and nothing written
into the scenario folder names the variant: the reasoner cannot learn which switches were on.

>>> parse_switches("hard")
('no-prefault-dump', 'late-event-watch', 'root-without-traces', 'edge-alerts-only', 'sparse-root-metrics', 'resolved-failure', 'old-chaos', 'benign-rollout', 'second-anomaly', 'noisy-warnings')
>>> parse_switches("normal")
()
>>> parse_switches("edge-alerts-only,no-prefault-dump")
('no-prefault-dump', 'edge-alerts-only')
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Callable

from . import distractors
from .alerts import AlertSpec
from .clock import NS
from .faults import Context, direct_targets
from .groundtruth import GroundTruth, group_service

#: Every switch, in the order they are applied, with what it does (one line each).
SWITCHES: dict[str, str] = {
    "no-prefault-dump": "Kubernetes objects are first dumped after the fault began",
    "late-event-watch": "the event watch starts with the late object dumps: the fault's first events are lost",
    "root-without-traces": "the root-cause service emits no spans",
    "edge-alerts-only": "only the edge services (frontend, frontend-proxy) alert",
    "sparse-root-metrics": "most metric samples of the root-cause pods are missing",
    "resolved-failure": "another pod failed (FailedScheduling or a crash loop) and recovered well before the onset",
    "old-chaos": "finished Chaos Mesh experiments of an earlier run are still listed, with their events",
    "benign-rollout": "an unrelated Deployment rolls out a new ReplicaSet minutes before the fault",
    "second-anomaly": "a second, unrelated degradation (not upstream of any alert) during the incident",
    "noisy-warnings": "healthy components write many repeated Warning events and WARN log lines",
}

#: Services whose alerts survive ``edge-alerts-only``.
EDGE_SERVICES = ("frontend", "frontend-proxy")


def parse_switches(text: str | None) -> tuple[str, ...]:
    """``normal``/empty -> no switch; ``hard``/``all`` -> every switch; else a comma list (ValueError if unknown)."""
    if not text or text.strip() in ("normal", "none"):
        return ()
    if text.strip() in ("hard", "all"):
        return tuple(SWITCHES)
    asked = {s.strip() for s in text.split(",") if s.strip()}
    unknown = sorted(asked - set(SWITCHES))
    if unknown:
        raise ValueError(f"unknown hard switch(es) {', '.join(unknown)}; known: {', '.join(SWITCHES)}")
    return tuple(s for s in SWITCHES if s in asked)


def hard_rng(seed: int, scenario_id: str) -> random.Random:
    """The random stream of the hard switches, separate from the scenario's own stream."""
    digest = hashlib.sha256(f"{seed}:{scenario_id}:hard".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def recording_start(fault_start: int, rng: random.Random) -> int:
    """When the recorder's object dumps and event watch begin under ``no-prefault-dump``."""
    return fault_start + int(rng.uniform(20, 150) * NS)


def late_dump_times(record_start: int, end: int, rng: random.Random) -> list[int]:
    """Pull times every 5 minutes from ``record_start`` (the first dump is the first state seen)."""
    out, t = [], record_start
    while t < end:
        out.append(t + rng.randint(0, 900) * 1_000_000)
        t += 300 * NS
    return out


def root_services(gt: GroundTruth) -> list[str]:
    """The services the root causes are about (the service itself, else the services it acts on)."""
    out: list[str] = []
    for rc in gt.root_causes:
        svc = group_service(gt, rc.id)
        for s in [svc] if svc else direct_targets(gt, rc):
            if s and s not in out:
                out.append(s)
    return out


#: The distractor switches and the function that makes each.
DISTRACTORS: dict[str, Callable[[Context, set[str], tuple[str, ...]], str]] = {
    "resolved-failure": distractors.resolved_failure, "old-chaos": distractors.old_chaos,
    "benign-rollout": distractors.benign_rollout, "second-anomaly": distractors.second_anomaly,
    "noisy-warnings": distractors.noisy_warnings,
}


def apply(ctx: Context, switches: tuple[str, ...], rng: random.Random, involved: set[str]) -> list[str]:
    """Apply the incident-shaping switches (after the fault and the noise); returns what was done."""
    if not switches:
        return []
    hctx = dataclasses.replace(ctx, rng=rng)
    roots = root_services(ctx.gt)
    done: list[str] = []
    if "root-without-traces" in switches:
        ctx.inc.untraced |= set(roots)
        done.append("untraced:" + ",".join(roots))
    if "sparse-root-metrics" in switches:
        pods = [p.name for s in roots for p in ctx.topo.pods.get(s, [])]
        ctx.inc.sparse_pods |= set(pods)
        done.append("sparse:" + ",".join(pods))
    avoid = set(involved) | set(roots) | set(EDGE_SERVICES)
    pool = tuple(s for s in DISTRACTOR_POOL if s not in avoid)
    for name, make in DISTRACTORS.items():
        if name in switches:
            done.append(make(hctx, avoid, pool))
    return done


#: Services the distractors may pick (workers whose trouble is plausible but not upstream of the edge).
DISTRACTOR_POOL = ("accounting", "currency", "email", "quote", "shipping", "payment", "product-catalog",
                   "recommendation", "ad", "cart", "fraud-detection", "image-provider")


def edge_only(specs: list[AlertSpec]) -> list[AlertSpec]:
    """The alerts on edge services, when there is one; otherwise all of them (never no alert)."""
    edge = [s for s in specs if s.labels.get("service_name") in EDGE_SERVICES]
    return edge or specs
