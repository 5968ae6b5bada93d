"""FM-3.2 and FM-3.3 (sre_agent.mast.detectors._verification), incl. a verdict contradicted later."""

from __future__ import annotations

import pytest

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


def _confirmed_by(by: str, upstream_cites: bool, diagnosed: bool = True) -> list[dict]:
    """cart confirmed by ``by``; its upstream_of_alerts check cites a call or nothing."""
    b = TraceBuilder()
    b.start()
    step, = b.plan([(CART, "proposed")], [("search_logs", {"service": "cart"})])
    c = b.call("search_logs", {"service": "cart"}, step, entities=[CART], anomalies=[{"entity": CART, "signal": "x"}])
    b.verify(CART, "confirmed", [("entity_exists", True, [c]), ("upstream_of_alerts", True, [c] if upstream_cites else [])],
             by=by)
    b.diagnosis([CART] if diagnosed else [])
    b.end("explained")
    return b.events


def test_an_uncited_passed_check_is_3_3_whoever_ran_it_and_3_2_is_a_claim_nobody_checked() -> None:
    # CONVENTIONS.md R1/R2: a check that passes citing no tool call validated nothing (3.3), for the
    # verifier and the gate alike; R3/R4: such a claim did go through a check, so it is not 3.2
    for by in ("verifier", "gate"):
        t = TraceIndex(_confirmed_by(by, upstream_cites=False))
        found = detect_3_3(t)
        assert found.label == 1 and "upstream_of_alerts" in found.note, by
        assert detect_3_2(t).label == 0, by
        assert detect_3_3(TraceIndex(_confirmed_by(by, upstream_cites=True))).label == 0, by
    # a diagnosis that names no entity claims nothing
    assert detect_3_2(TraceIndex(_confirmed_by("verifier", upstream_cites=False, diagnosed=False))).label == 0


def _overruled(fresh_evidence: bool, truncated: bool = True) -> list[dict]:
    """The verifier's answer fails upstream_of_alerts for cart; then the gate confirms cart."""
    b = TraceBuilder()
    b.start()
    step, = b.plan([(CART, "proposed")], [("search_logs", {"service": "cart"})])
    c = b.call("search_logs", {"service": "cart"}, step, entities=[CART], anomalies=[{"entity": CART, "signal": "x"}])
    answer = ('VERDICTS\n{"verdicts": [{"checks": [{"check": "entity_exists", "evidence": ["' + c + '"], "passed": true}, '
              '{"check": "upstream_of_alerts", "evidence": [], "passed": false}], "entity": "' + CART + '", '
              '"reason": "failed: upstream_of_alerts", "verdict": "rejected"}]}')
    b.emit("model_call", agent="verifier", output=answer[:-40] if truncated else answer)
    fresh = b.call("trace_errors", {"service": "frontend"}, None, entities=[CART],
                   anomalies=[{"entity": CART, "signal": "origin"}]) if fresh_evidence else ""
    b.verify(CART, "confirmed", [("entity_exists", True, [c]), ("upstream_of_alerts", True, [fresh] if fresh else [])], by="gate")
    b.diagnosis([CART])
    b.end("explained")
    return b.events


@pytest.mark.parametrize("truncated", [True, False])
def test_the_verifiers_failed_check_overruled_into_a_confirmation_is_3_3_not_3_2(truncated: bool) -> None:
    t = TraceIndex(_overruled(fresh_evidence=False, truncated=truncated))
    found = detect_3_3(t)
    assert found.label == 1 and "own check(s) failed" in found.note
    assert detect_3_2(t).label == 0  # the claim was checked (and the check was overruled): 3.3 only
    # new tool evidence about cart between the failed check and the confirmation: a re-check, not an override
    assert detect_3_3(TraceIndex(_overruled(fresh_evidence=True, truncated=truncated))).label == 0


def _gate_confirms_uncited(contract: bool) -> list[dict]:
    b = TraceBuilder()
    b.start(**({"checks_cite": True} if contract else {}))
    step, = b.plan([(CART, "proposed")], [("search_logs", {"service": "cart"})])
    c = b.call("search_logs", {"service": "cart"}, step, entities=[CART], anomalies=[{"entity": CART, "signal": "x"}])
    b.verify(CART, "confirmed", [("anomaly_observed", True, [c]), ("upstream_of_alerts", True, [])], by="gate")
    b.diagnosis([CART])
    b.end("explained")
    return b.events


def test_a_confirmation_resting_on_an_uncited_check_is_3_3_in_every_trace() -> None:
    found = detect_3_3(TraceIndex(_gate_confirms_uncited(True)))
    assert found.label == 1 and "upstream_of_alerts citing no tool call" in found.note
    # traces from before checks had to cite (no checks_cite in run_start) are judged the same way (R2)
    assert detect_3_3(TraceIndex(_gate_confirms_uncited(False))).label == 1


def test_a_confirmation_over_an_open_dispute_with_no_new_tool_result_is_3_3() -> None:
    b = TraceBuilder()
    b.start(checks_cite=True)
    step, = b.plan([(CART, "proposed")], [("search_logs", {"service": "cart"})])
    c = b.call("search_logs", {"service": "cart"}, step, entities=[CART], anomalies=[{"entity": CART, "signal": "x"}])
    b.emit("verdict_dispute", entity=CART, check="upstream_of_alerts", outcome="open",
           verifier={"check": "upstream_of_alerts", "passed": False, "call_ids": [c]},
           gate={"check": "upstream_of_alerts", "passed": True, "call_ids": [c]})
    b.verify(CART, "confirmed", [("anomaly_observed", True, [c]), ("upstream_of_alerts", True, [c])], by="gate")
    b.diagnosis([CART])
    b.end("explained")
    found = detect_3_3(TraceIndex(b.events))
    assert found.label == 1 and "over the open dispute" in found.note
    # settled by a new tool result between the dispute and the confirmation: not 3.3
    b2 = TraceBuilder()
    b2.events, b2._calls = [e for e in b.events if e["type"] not in ("verification", "diagnosis", "run_end")], b._calls
    b2.call("call_graph", {"service": "cart"}, None, entities=[CART])
    b2.verify(CART, "confirmed", [("anomaly_observed", True, [c]), ("upstream_of_alerts", True, [c])], by="gate")
    assert not detect_3_3(TraceIndex(b2.events)).label
