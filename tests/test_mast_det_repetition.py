"""FM-1.3 and FM-1.4 (sre_agent.mast.detectors._repetition)."""

from __future__ import annotations

from mast_traces import CART, TraceBuilder, build
from sre_agent.mast.detectors import TraceIndex
from sre_agent.mast.detectors._repetition import detect_1_3, detect_1_4, plan_key, repeated_plans


def test_an_identical_plan_reissued_with_nothing_new_is_1_3() -> None:
    b = TraceBuilder()
    b.start()
    b.plan([(CART, "proposed")], [])
    b.plan([(CART, "proposed")], [])
    found = detect_1_3(TraceIndex(b.events))
    assert found.label == 1 and "same plan" in found.note


def test_the_same_plan_after_new_evidence_is_not_a_repetition() -> None:
    b = TraceBuilder()
    b.start()
    step, = b.plan([(CART, "proposed")], [("search_logs", {"service": "cart"})])
    b.call("search_logs", {"service": "cart"}, step, entities=[CART])
    b.emit("plan", agent="planner", hypotheses=[{"entity": CART, "status": "proposed"}],
           steps=[{"id": "S9", "tool": "search_logs", "args": {"service": "cart"}}])
    assert repeated_plans(TraceIndex(b.events)) == []
    # different hypotheses status -> different plan
    assert plan_key({"hypotheses": [{"entity": "a", "status": "proposed"}]}) != \
        plan_key({"hypotheses": [{"entity": "a", "status": "rejected"}]})


def test_clean_run_has_no_repetition_and_no_history_loss() -> None:
    t = TraceIndex(build(None))
    assert detect_1_3(t).label == 0 and detect_1_4(t).label == 0
    assert detect_1_3(TraceIndex(build("1.3"))).label == 1
    assert detect_1_4(TraceIndex(build("1.4"))).label == 1


def test_reissuing_a_plan_whose_steps_were_all_refused_is_not_a_repetition() -> None:
    b = TraceBuilder()
    b.start()
    step, = b.plan([(CART, "proposed")], [("search_logs", {"service": "cart"})])
    cid = b.call("search_logs", {"service": "kafka"}, step, executed=False)
    b.emit("tool_result", call_id=cid, tool="search_logs", ok=False, error="BLOCKED by action_consistency", entities=[])
    b.emit("plan", agent="planner", hypotheses=[{"entity": CART, "status": "proposed"}],
           steps=[{"id": step["id"], "tool": "search_logs", "args": {"service": "cart"}}])
    assert repeated_plans(TraceIndex(b.events)) == []


def test_reissuing_a_plan_of_already_completed_calls_is_a_repetition() -> None:
    b = TraceBuilder()
    b.start()
    step, = b.plan([], [("get_alerts", {})])
    b.call("get_alerts", {}, step)
    again = [{"id": "S9", "tool": "get_alerts", "args": {}}]
    b.emit("plan", agent="planner", hypotheses=[], steps=again)
    cid = b.call("get_alerts", {}, again[0], executed=False)
    b.emit("tool_result", call_id=cid, tool="get_alerts", ok=False, error="BLOCKED by loop_breaker: repeat", entities=[])
    b.emit("plan", agent="planner", hypotheses=[], steps=again)
    assert len(repeated_plans(TraceIndex(b.events))) == 1
