"""The per-minute alert dumps (``alerts/alerts_at_<time>.json``).

The ground truth says which alerts fired on which entities; they fire here on those entities
a little after the symptom reached them (pending for the rule's ``for`` period first), with
descriptions written the way alert rules word them, never the ground truth's own text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .clock import NS, rfc3339

SEVERITY = {"RequestErrorRate": "critical", "RequestLatency": "warning", "KafkaConnectionClosureRate": "warning",
            "CPUSpend": "warning", "MemorySpend": "warning", "FailedPodsDetected": "critical",
            "PendingPodsDetected": "warning"}


@dataclass
class AlertSpec:
    """One alert of the incident: labels, when it turns active, how long it needs to fire."""

    name: str
    labels: dict[str, str]
    active_at: int
    for_ns: int
    until: int

    def state(self, t: int) -> str | None:
        if t < self.active_at or t >= self.until:
            return None
        return "firing" if t >= self.active_at + self.for_ns else "pending"


def describe(name: str, labels: dict[str, str], value: float) -> dict[str, str]:
    """Annotations as the demo's alert rules write them."""
    subj = labels.get("service_name") or labels.get("pod") or labels.get("deployment") or labels.get("namespace", "")
    ns = labels.get("namespace", "")
    if name == "RequestErrorRate":
        return {"summary": "High request error rate",
                "description": f"Error rate of requests to {subj} in namespace {ns} is {value:.1%} (threshold 0%)."}
    if name == "RequestLatency":
        return {"summary": "High request latency",
                "description": f"95th percentile latency of {subj} in namespace {ns} is {value:.0f}ms (threshold 1500ms)."}
    if name == "KafkaConnectionClosureRate":
        return {"summary": "Kafka client connections closing",
                "description": f"Kafka client connections of {subj} are closing at {value:.2f}/s over the last 5 minutes."}
    if name in ("CPUSpend", "MemorySpend"):
        what = "CPU" if name == "CPUSpend" else "Memory"
        return {"summary": f"{what} spend increased",
                "description": f"{what} spend of namespace {ns} is {value:.0f}% above its 24h baseline."}
    if name == "FailedPodsDetected":
        return {"summary": "Failed pods detected", "description": f"Pod {ns}/{subj} has failed or restarted {value:.0f} times in the last 10 minutes."}
    if name == "PendingPodsDetected":
        return {"summary": "Pending pods detected", "description": f"Pod {ns}/{subj} has been in a non-running state for more than 1 minute."}
    return {"description": f"{name} is firing for {subj} ({value:.3g})."}


def _value(name: str, rng: random.Random) -> float:
    return {"RequestErrorRate": rng.uniform(0.05, 0.6), "RequestLatency": rng.uniform(1600, 9000),
            "KafkaConnectionClosureRate": rng.uniform(0.2, 3.0), "CPUSpend": rng.uniform(20, 45),
            "MemorySpend": rng.uniform(20, 40), "FailedPodsDetected": rng.randint(1, 4),
            "PendingPodsDetected": 1}.get(name, rng.uniform(1, 10))


def snapshots(specs: list[AlertSpec], start: int, end: int, rng: random.Random) -> list[tuple[int, list[dict[str, Any]]]]:
    """(time, alerts) for each one-minute dump."""
    out = []
    t = start + rng.randint(5, 50) * NS
    values = {id(s): _value(s.name, rng) for s in specs}
    while t < end:
        stamp = t + rng.randint(0, 999_999) * 1000
        firing = []
        for s in specs:
            state = s.state(stamp)
            if state is None:
                continue
            v = values[id(s)] * rng.uniform(0.85, 1.15)
            firing.append({"labels": dict(sorted(s.labels.items())), "annotations": describe(s.name, s.labels, v),
                           "state": state, "activeAt": rfc3339(s.active_at, fraction=True), "value": f"{v:.6g}"})
        out.append((stamp, firing))
        t += 60 * NS
    return out
