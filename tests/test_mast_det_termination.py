"""FM-1.5, FM-3.1 and task_completion (sre_agent.mast.detectors._termination), incl. the recorded refused-stop loop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mast_traces import CART, TraceBuilder, build
from sre_agent.mast import StructuralAnnotator
from sre_agent.mast.detectors import TraceIndex
from sre_agent.mast.detectors._termination import detect_1_5, detect_3_1, refused_stops, task_completion

FIXTURE = Path(__file__).parent / "data" / "mast" / "refused-stop-loop.trace.jsonl"


def _loop(n_concludes: int, stop: str = "max_turns", confirmed: bool = False) -> list[dict]:
    b = TraceBuilder()
    b.start()
    step, = b.plan([], [("search_logs", {"service": "cart"})])
    c = b.call("search_logs", {"service": "cart"}, step, entities=[CART], anomalies=[{"entity": CART, "signal": "x"}])
    if confirmed:
        b.verify(CART, "confirmed", [("anomaly_observed", True, [c])])
    for _ in range(n_concludes):
        b.emit("plan", agent="planner", action="conclude", hypotheses=[{"entity": CART, "status": "proposed"}], steps=[])
    b.plan([(CART, "proposed")], [])
    b.diagnosis([CART] if confirmed else [], incomplete=not confirmed)
    b.end(stop, incomplete=not confirmed)
    return b.events


def test_the_recorded_refused_stop_loop_is_unaware_of_termination_and_not_completed() -> None:
    events = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    assert sum(e["type"] == "fix" and e["fix"] == "termination_fsm" for e in events) >= 3  # a real refused loop
    ann = StructuralAnnotator().annotate(events)
    assert ann.labels["1.5"] == 1 and ann.labels["1.3"] == 1, ann.notes
    assert ann.task_completion is False
    assert "stops refused" in ann.notes["1.5"]


def test_repeated_refused_stops_are_1_5_a_single_one_is_not() -> None:
    t = TraceIndex(_loop(3, stop="explained", confirmed=True))
    assert len(refused_stops(t)) == 3 and detect_1_5(t).label == 1
    one = TraceIndex(_loop(1, stop="explained", confirmed=True))
    assert len(refused_stops(one)) == 1 and detect_1_5(one).label == 0


def test_a_limit_with_nothing_confirmed_is_1_5_not_3_1() -> None:
    t = TraceIndex(_loop(0))
    found = detect_1_5(t)
    assert found.label == 1 and "no confirmed root cause" in found.note
    assert detect_3_1(t).label == 0  # not a stop by choice
    assert task_completion(t) is False


@pytest.mark.parametrize("stop,incomplete,expected", [
    ("explained", False, True), ("max_turns", False, False), ("max_wall_seconds", False, False),
    ("max_tokens_per_run", False, False), ("model_unusable", False, False), ("explained", True, False)])
def test_task_completion_reads_how_the_run_ended(stop: str, incomplete: bool, expected: bool) -> None:
    events = build(None)
    end = events[-1]
    end.update(stop_reason=stop, incomplete=incomplete)
    assert task_completion(TraceIndex(events)) is expected


def test_task_completion_is_unknown_without_run_end_and_false_without_a_confirmed_cause() -> None:
    assert task_completion(TraceIndex(build(None)[:-1])) is None
    assert task_completion(TraceIndex(_loop(0, stop="explained"))) is False


def _stop_with(reason: str, stop: str = "model_stop", entity: str = CART, metric: bool = False) -> list[dict]:
    b = TraceBuilder()
    b.start()
    step, = b.plan([(entity, "proposed")], [("search_logs", {"service": "cart"})])
    c = b.call("search_logs", {"service": "cart"}, step, entities=[CART], anomalies=[{"entity": CART, "signal": "x"}])
    if metric:
        b.call("query_metric", {"entity": CART, "metric": "cpu"}, None, entities=[CART])
    b.verify(entity, "confirmed", [("entity_exists", True, [c])], by="gate")
    b.emit("diagnosis", entities=[entity], incomplete=False, missing=[], reason=reason)
    b.end(stop)
    return b.events


@pytest.mark.parametrize("reason", ["1 alert(s) unexplained", "no confirmed root cause; 3 alert(s) unexplained"])
def test_a_chosen_stop_whose_diagnosis_admits_an_open_alert_is_3_1(reason: str) -> None:
    found = detect_3_1(TraceIndex(_stop_with(reason)))
    assert found.label == 1 and "the diagnosis itself says" in found.note
    assert task_completion(TraceIndex(_stop_with(reason))) is False
    assert task_completion(TraceIndex(_stop_with(""))) is True
    # the same admission when a limit ended the run: not a choice
    assert detect_3_1(TraceIndex(_stop_with(reason, stop="max_turns"))).label == 0
    # nothing left open
    assert detect_3_1(TraceIndex(_stop_with(""))).label == 0
    assert detect_3_1(TraceIndex(_stop_with("0 alert(s) unexplained"))).label == 0


def test_a_namespace_level_conclusion_without_any_metric_is_3_1() -> None:
    ns = "otel-demo/Namespace/otel-demo"
    found = detect_3_1(TraceIndex(_stop_with("", stop="explained", entity=ns)))
    assert found.label == 1 and "without querying any metric" in found.note
    assert detect_3_1(TraceIndex(_stop_with("", stop="explained", entity=ns, metric=True))).label == 0
