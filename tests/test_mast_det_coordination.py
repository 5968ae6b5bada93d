"""FM-2.1 ... FM-2.6 (sre_agent.mast.detectors._coordination)."""

from __future__ import annotations

import pytest

from mast_traces import CART, FRONTEND, NS, TraceBuilder, build
from sre_agent.mast.detectors import DETECTORS, TraceIndex
from sre_agent.mast.detectors._coordination import detect_2_2, detect_2_3


@pytest.mark.parametrize("fault,mode", [("2.1", "2.1"), ("2.3", "2.3"), ("2.4", "2.4"), ("2.5", "2.5"),
                                        ("2.5b", "2.5"), ("2.6", "2.6")])
def test_each_coordination_fault_fires_its_detector_and_the_clean_run_does_not(fault: str, mode: str) -> None:
    assert DETECTORS[mode](TraceIndex(build(fault))).label == 1
    assert DETECTORS[mode](TraceIndex(build(None))).label == 0


def test_no_neighbourhood_means_no_derailment_verdict_and_2_2_is_never_judged() -> None:
    events = [dict(e) for e in build("2.3")]
    events[0].pop("neighbourhood")
    assert detect_2_3(TraceIndex(events)).label is None
    assert detect_2_2(TraceIndex(build(None))).label is None


def _rejected_then_back(acknowledged: bool, revived: bool = True) -> list[dict]:
    b = TraceBuilder()
    b.start()
    step, = b.plan([(CART, "proposed"), (FRONTEND, "proposed")], [("describe", {"entity": FRONTEND})])
    c = b.call("describe", {"entity": FRONTEND}, step, entities=[FRONTEND])
    b.verify(FRONTEND, "rejected", [("anomaly_observed", False, [c])])
    if acknowledged:
        b.plan([(CART, "supported"), (FRONTEND, "rejected")], [])
    b.plan([(CART, "supported")] + ([(FRONTEND, "supported")] if revived else []), [])
    b.diagnosis([])
    b.end("model_stop")
    return b.events


def test_a_rejected_hypothesis_revived_after_being_acknowledged_is_2_5_and_1_4() -> None:
    t = TraceIndex(_rejected_then_back(acknowledged=True))
    assert DETECTORS["2.5"](t).label == 1 and DETECTORS["1.4"](t).label == 1
    assert DETECTORS["2.5"](TraceIndex(_rejected_then_back(acknowledged=False))).label == 1
    assert DETECTORS["2.5"](TraceIndex(_rejected_then_back(acknowledged=True, revived=False))).label == 0


def _lists(namespace: str, evidence_ns: str | None = None, target: str | None = None) -> list[dict]:
    b = TraceBuilder()
    b.start()
    ents = [f"{evidence_ns}/Schedule/x"] if evidence_ns else []
    ents += [target] if target else []
    b.call("recent_changes", {}, None, entities=ents)
    steps = [("list_objects", {"namespace": namespace, "kind": "Pod"})] + ([("describe", {"entity": target})] if target else [])
    planned = b.plan([(CART, "proposed")], steps)
    for s in planned:
        b.call(s["tool"], s["args"], s)
    b.diagnosis([])
    b.end("model_stop")
    return b.events


def test_listing_a_namespace_the_evidence_never_pointed_to_is_2_3() -> None:
    found = detect_2_3(TraceIndex(_lists("kube-system")))
    assert found.label == 1 and "namespace kube-system" in found.note
    assert detect_2_3(TraceIndex(_lists(NS))).label == 0  # the alert's own namespace
    assert detect_2_3(TraceIndex(_lists("chaos-mesh", evidence_ns="chaos-mesh"))).label == 0  # evidence led there


def test_a_workload_outside_the_neighbourhood_is_not_derailment_when_a_result_named_it() -> None:
    stray = f"{NS}/Pod/accounting-1-x"
    assert detect_2_3(TraceIndex(_lists(NS, target=stray))).label == 0
    events = _lists(NS, target=stray)
    first = next(e for e in events if e["type"] == "tool_result")
    first["entities"] = []
    assert detect_2_3(TraceIndex(events)).label == 1
