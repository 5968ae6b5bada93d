"""Calibrated confidence: the committed map is applied without scikit-learn or scipy, ECE is
computed right on a known case, and fitting recovers a probability from features."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sre_agent.confidence import FEATURES, CalibrationMap, features, load_calibration
from sre_agent.eval.calibration import Point, confidence_summary, expected_calibration_error, reliability_bins
from sre_agent.state import AlertSummary, Finding, IncidentState


def test_applying_the_committed_map_imports_neither_sklearn_nor_scipy():
    code = ("import sys, sre_agent.confidence as c, sre_agent.report, sre_agent.runner; "
            "m = c.load_calibration(); p = m.apply({n: 1.0 for n in m.names}); "
            "print(__import__('json').dumps([p, sorted(k for k in sys.modules if k.split('.')[0] in ('sklearn', 'scipy'))]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    p, loaded = json.loads(out)
    assert 0.0 <= p <= 1.0
    assert loaded == []


def test_the_committed_map_is_fitted_on_the_features_a_triage_computes():
    m = load_calibration()
    assert m.meta and m.meta.get("fitted") is True
    assert set(m.names) <= set(FEATURES) and len(m.coef) == len(m.names) == len(m.mean) == len(m.scale)
    assert list(m.iso_x) == sorted(m.iso_x) and list(m.iso_y) == sorted(m.iso_y)  # isotonic: monotone


def test_map_round_trips_and_isotonic_step_is_monotone():
    m = CalibrationMap(names=("score",), mean=(0.5,), scale=(0.2,), coef=(3.0,), intercept=0.0,
                       iso_x=(0.1, 0.5, 0.9), iso_y=(0.0, 0.4, 1.0))
    again = CalibrationMap.from_dict(m.to_dict())
    values = [again.apply({"score": s / 10}) for s in range(11)]
    assert values == sorted(values) and values[0] == 0.0 and values[-1] == 1.0
    assert again.apply({"score": 0.5}) == pytest.approx(0.4)


def test_ece_on_a_known_case():
    # bin 0.9: 2 points, 1 right -> |0.5 - 0.9| = 0.4; bin 0.3: 2 points, 0 right -> 0.3: mean 0.35
    assert expected_calibration_error([0.9, 0.9, 0.3, 0.3], [True, False, False, False]) == pytest.approx(0.35)
    # perfectly calibrated bins give 0; one bin of ten at 0.75 with 3 right of 4 gives 0
    assert expected_calibration_error([0.75] * 4, [True, True, True, False]) == pytest.approx(0.0)
    assert expected_calibration_error([1.0, 0.0], [False, True]) == pytest.approx(1.0)   # the edges fall in bins
    assert expected_calibration_error([], []) == 0.0
    assert [n for n, _, _ in reliability_bins([0.0, 0.05, 0.1, 1.0], [True] * 4)] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 1]


def test_summary_counts_the_top_root_cause_only():
    pts = [Point(0.9, True, True, 1), Point(0.85, False, True, 1), Point(0.2, False, True, 1),
           Point(0.95, True, True, 2), Point(0.99, False, False, 3)]
    s = confidence_summary(pts)
    assert (s["n"], s["right"], s["high_n"], s["high_right"]) == (3, 1, 2, 0.5)
    assert s["mean_right"] == pytest.approx(0.9) and s["mean_wrong"] == pytest.approx(0.525)
    assert s["gap"] == pytest.approx(0.375)


def test_features_read_checks_sources_timing_and_competition():
    st = IncidentState(alerts=[AlertSummary(key="a", name="Err", active_at=100.0, explained=True,
                                            explanation="d/Deployment/cart (spec_changed) reaches cart")])
    st.add_evidence("call_1", "recent_changes", "s", [Finding(entity="d/Deployment/cart", signal="spec_changed", time=150.0)])
    st.add_evidence("call_2", "get_events", "s", [Finding(entity="d/Pod/cart-7d9f8c6b5-x2x9q", signal="crashloop",
                                                          related=["d/Deployment/cart"])])
    st.upsert_hypothesis("d/Deployment/cart", status="confirmed", score=0.7)
    checks = [{"type": "verification", "entity": "d/Deployment/cart",
               "checks": [{"check": "entity_exists", "passed": True, "call_ids": ["call_1"]},
                          {"check": "upstream_of_alerts", "passed": True, "call_ids": []},
                          {"check": "timing", "passed": False, "call_ids": ["call_1"]}]}]
    f = features(st, "d/Deployment/cart", "spec_changed", 0.7, claimed=True, verifications=checks,
                 competing=[("d/Pod/cart-7d9f8c6b5-x2x9q", 0.9), ("d/Service/shop", 0.3)])
    assert set(f) == set(FEATURES)
    assert f["checks_passed"] == pytest.approx(2 / 3) and f["checks_cited"] == pytest.approx(0.5)
    assert f["sources"] == 0.5                  # two tools: its own change and its pod's crash
    assert f["before_alerts"] == 0.0            # changed after the alert fired
    assert f["margin"] == pytest.approx(0.4)    # its own pod is the same component, not a competitor
    assert f["competitors"] == pytest.approx(0.2) and f["alerts_explained"] == 1.0 and f["change"] == 1.0


def test_fit_recovers_a_calibrated_probability():
    pytest.importorskip("sklearn")
    from sre_agent.eval.calibrate import fit

    # score 0.8 is right 80 % of the time, score 0.3 right 30 %
    pts = [Point(0.0, i < 8, True, 1, {"score": 0.8}) for i in range(10)] * 5 + \
          [Point(0.0, i < 3, True, 1, {"score": 0.3}) for i in range(10)] * 5
    m = fit(pts, names=("score",))
    assert m.apply({"score": 0.8}) == pytest.approx(0.8, abs=0.01)
    assert m.apply({"score": 0.3}) == pytest.approx(0.3, abs=0.01)
    again = [Point(m.apply(p.features), p.correct, True, 1) for p in pts]
    assert confidence_summary(again)["ece"] == pytest.approx(0.0, abs=0.01)
