"""FM-3.2 and FM-3.3 (sre_agent.mast.detectors._verification), incl. a verdict contradicted later."""

from __future__ import annotations

from mast_traces import CART, TraceBuilder, build
from sre_agent.mast.detectors import TraceIndex
from sre_agent.mast.detectors._verification import contradicted_verdicts, detect_3_2, detect_3_3


def _confirmed_then(later_verdict: str, later_passed: bool) -> list[dict]:
    b = TraceBuilder()
    b.start()
    step, = b.plan([(CART, "proposed")], [("search_logs", {"service": "cart"})])
    c = b.call("search_logs", {"service": "cart"}, step, entities=[CART], anomalies=[{"entity": CART, "signal": "x"}])
    b.verify(CART, "confirmed", [("anomaly_observed", True, [c])])
    c2 = b.call("get_events", {"entity": CART}, None, entities=[CART])
    b.verify(CART, later_verdict, [("not_a_downstream_symptom", later_passed, [c2])], by="gate")
    b.diagnosis([])
    b.end("explained")
    return b.events


def test_a_confirmation_contradicted_by_later_evidence_is_3_3() -> None:
    t = TraceIndex(_confirmed_then("rejected", False))
    assert len(contradicted_verdicts(t)) == 1
    found = detect_3_3(t)
    assert found.label == 1 and "rejected by later evidence" in found.note


def test_a_later_confirmation_or_a_rejection_with_all_checks_passed_is_not() -> None:
    assert detect_3_3(TraceIndex(_confirmed_then("confirmed", True))).label == 0
    assert contradicted_verdicts(TraceIndex(_confirmed_then("rejected", True))) == []


def test_3_2_and_3_3_on_the_shared_fixtures() -> None:
    assert detect_3_2(TraceIndex(build("3.2"))).label == 1 and detect_3_3(TraceIndex(build("3.2"))).label == 0
    assert detect_3_3(TraceIndex(build("3.3"))).label == 1 and detect_3_2(TraceIndex(build(None))).label == 0
