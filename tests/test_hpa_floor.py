"""HPA whose floor holds more replicas than the load needs (spend with low utilization): a state
finding of its own, apart from an HPA pinned at its maximum under load."""

from __future__ import annotations

from sre_agent.analyzers._hpa import HPAAnalyzer, over_demand
from sre_agent.llm.state_signals import STATE_CHANGES, STATE_MECHANISMS
from sre_agent.models import K8sObject

CPU80 = [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]


def _hpa(lo: int, hi: int, cur: int, util: int | None) -> K8sObject:
    status = {"currentReplicas": cur, "desiredReplicas": cur}
    if util is not None:
        status["currentMetrics"] = [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": util}}}]
    return K8sObject(0.0, "HorizontalPodAutoscaler", "shop", "web", {
        "spec": {"minReplicas": lo, "maxReplicas": hi, "metrics": CPU80,
                 "scaleTargetRef": {"kind": "Deployment", "name": "web"}}, "status": status})


def _reasons(h: K8sObject) -> list[str]:
    return [f.reason for f in HPAAnalyzer().analyze([h, K8sObject(0.0, "Deployment", "shop", "web", {})], [])]


def test_a_high_floor_over_idle_pods_is_found():
    h = _hpa(8, 8, 8, 20)
    assert "hpa_floor_over_demand" in _reasons(h)
    assert "scaling disabled" in over_demand(h.body["spec"], h.body["status"])


def test_a_busy_or_low_floor_or_unmeasured_hpa_is_not():
    assert "hpa_floor_over_demand" not in _reasons(_hpa(8, 8, 8, 75))   # the load needs them
    assert "hpa_floor_over_demand" not in _reasons(_hpa(1, 8, 1, 5))    # one replica is no floor
    assert "hpa_floor_over_demand" not in _reasons(_hpa(2, 8, 5, 10))   # above its floor: it scaled up
    assert "hpa_floor_over_demand" not in _reasons(_hpa(4, 8, 4, None))  # no utilization reading


def test_the_reasoner_weighs_it_as_a_configuration_change():
    assert STATE_MECHANISMS["hpa_floor_over_demand"] >= 0.7 and "hpa_floor_over_demand" in STATE_CHANGES
