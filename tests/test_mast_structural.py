"""Structural MAST detectors on hand-made traces: each fires on its fault and not without it."""

from __future__ import annotations

import copy
import random

import pytest

from mast_traces import CART, EXPECTED, FRONTEND, NS, TraceBuilder, build, strip_hidden
from sre_agent.mast import MODE_IDS, Annotation, StructuralAnnotator
from sre_agent.mast._structural import _emptied, canonical_call, is_entity_id

ANNOTATOR = StructuralAnnotator()


def labels(events: list[dict]) -> dict[str, int | None]:
    return ANNOTATOR.annotate(events).labels


def test_clean_run_has_no_failure_and_is_complete() -> None:
    ann = ANNOTATOR.annotate(build(None))
    assert ann.present() == []
    assert ann.labels["2.2"] is None and "clarification" in ann.notes["2.2"]
    assert all(ann.labels[m] == 0 for m in MODE_IDS if m != "2.2")
    assert ann.task_completion is True
    assert ann.annotator == "structural" and ann.taxonomy == "mast-v3-paper-names"


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_each_fault_fires_exactly_its_mode(fault: str) -> None:
    ann = ANNOTATOR.annotate(build(fault))
    assert set(ann.present()) == EXPECTED[fault], ann.notes
    for mode in EXPECTED[fault]:
        assert ann.evidence[mode], f"no evidence seq for {mode}"
        seqs = {e["seq"] for e in build(fault)}
        assert set(ann.evidence[mode]) <= seqs


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_hidden_events_never_change_labels(fault: str) -> None:
    events = build(fault, inject=True)
    assert any(e["type"] == "injected_failure" for e in events)
    with_hidden, without = ANNOTATOR.annotate(events), ANNOTATOR.annotate(strip_hidden(events))
    assert with_hidden.model_dump() == without.model_dump()


def test_injected_failure_alone_does_not_create_a_label() -> None:
    events = build(None)
    b = TraceBuilder()
    b.events = copy.deepcopy(events)
    for mode in MODE_IDS:
        b.emit("injected_failure", mast=mode, profile="p", what="claimed but not performed")
        b.emit("fix", fix="verification_gate", mast=[mode], target=CART, action="blocked")
    assert ANNOTATOR.annotate(b.events).present() == []


def test_budget_stop_is_not_task_completion() -> None:
    ann = ANNOTATOR.annotate(build("1.5"))
    assert ann.task_completion is False


def test_gate_recheck_is_not_repetition_but_investigator_repeat_is() -> None:
    events = build(None)
    assert sum(e.get("agent") == "gate" and e["type"] == "tool_call" for e in events) == 1
    assert labels(events)["1.3"] == 0
    assert labels(build("1.3"))["1.3"] == 1


def test_blocked_call_is_not_executed() -> None:
    events = build("1.3")
    for e in events:
        if e["type"] == "tool_result" and e["call_id"] == "call_3":
            e["blocked"] = True
    assert labels(events)["1.3"] == 0


def test_new_evidence_makes_reproposal_legitimate() -> None:
    events = build("1.4")
    plans = [i for i, e in enumerate(events) if e["type"] == "plan"]
    # a tool result about frontend between the acknowledgement and the re-proposal
    events[plans[-1]:plans[-1]] = [{"seq": 900, "type": "tool_result", "call_id": "call_50", "tool": "logs",
                                    "ok": True, "entities": [FRONTEND], "anomalies": []}]
    for n, e in enumerate(events):
        e["seq"] = n
    assert labels(events)["1.4"] == 0


def test_ruled_out_state_then_reproposal_is_1_4() -> None:
    b = TraceBuilder()
    b.start()
    b.plan([(FRONTEND, "proposed")], [])
    b.state_update({"ruled_out": [FRONTEND]})
    b.plan([(FRONTEND, "proposed")], [])
    lab = labels(b.events)
    assert lab["1.4"] == 1 and lab["2.5"] == 0


def test_undeterminable_modes_are_none_not_zero() -> None:
    b = TraceBuilder()
    b.start(neighbourhood=None)
    b.emit("tool_call", call_id="c1", tool="logs", args={"service": "cart"}, step_id=None)
    b.emit("tool_result", call_id="c1", tool="logs", ok=True, entities=[], anomalies=[{"entity": CART}])
    lab = labels(b.events)
    assert lab["2.3"] is None  # no neighbourhood
    assert lab["2.4"] is None  # no state_update
    assert lab["1.2"] is None  # no actor named
    assert lab["1.5"] is None and lab["3.1"] is None  # no run_end
    assert ANNOTATOR.annotate(b.events).task_completion is None


def test_2_4_needs_state_updates_that_cite_calls() -> None:
    events = build("2.4")
    for e in events:
        if e["type"] == "state_update":
            e["changes"] = {"evidence": "some items"}
    ann = ANNOTATOR.annotate(events)
    assert ann.labels["2.4"] is None and "call ids" in ann.notes["2.4"]


def test_off_namespace_workload_is_derailment_but_config_object_is_not() -> None:
    for target, expected in [(f"{NS}/ConfigMap/flagd-config", 0), ("other/Deployment/cart", 1),
                             (f"{NS}/Pod/cart-7d9f-x2", 0), (f"{NS}/Service/ad", 1), ("cart", 0)]:
        b = TraceBuilder()
        b.start()
        b.call("describe", {"entity": target}, None)
        assert labels(b.events)["2.3"] == expected, target


def test_budget_exceeded_by_counts_is_1_5_only_after_barren_calls() -> None:
    events = build(None)
    events[-1]["tool_calls"] = 61  # above max_tool_calls 60, although stop_reason is "explained"
    assert labels(events)["1.5"] == 0, "the last calls found something: busy with real work"
    events = build("1.5")
    events[-1]["stop_reason"] = "explained"
    events[-1]["tool_calls"] = 61
    assert labels(events)["1.5"] == 1


def test_incomplete_for_missing_sources_is_not_premature() -> None:
    b = TraceBuilder()
    b.start()
    b.verify(CART, "confirmed", [("entity_exists", True, ["c1"])])
    b.diagnosis([CART], incomplete=True, missing=["logs"])
    b.end("model_stop", incomplete=True)
    assert labels(b.events)["3.1"] == 0
    b.events[-2]["missing"] = []
    assert labels(b.events)["3.1"] == 1


def test_role_verifier_doing_the_planning() -> None:
    b = TraceBuilder()
    b.start()
    b.plan([], [("get_alerts", {})], agent="verifier")
    assert labels(b.events)["1.2"] == 1


def test_unannounced_step_id_is_mismatch() -> None:
    b = TraceBuilder()
    b.start()
    b.call("logs", {"service": "cart"}, {"id": "S77", "tool": "logs", "args": {"service": "cart"}})
    del b.events[-2]["announced"]  # no announcement in the call and no plan with S77
    assert labels(b.events)["2.6"] == 1


@pytest.mark.parametrize("value, emptied", [
    ([], True), ({}, True), (0, True), ("cleared", True), ("3 -> 0", True), ("0 items", True),
    ({"count": 0}, True), (None, False), ("", False), ("+2 items", False), ([1], False), (False, False),
])
def test_emptied(value: object, emptied: bool) -> None:
    assert _emptied(value) is emptied


def test_helpers() -> None:
    assert canonical_call("t", {"b": 2, "a": 1}) == canonical_call("t", {"a": 1, "b": 2, "c": None})
    assert is_entity_id(CART) and not is_entity_id("otel-demo/Deployment/") and not is_entity_id("a/b")


def test_annotation_rejects_partial_labels() -> None:
    with pytest.raises(ValueError):
        Annotation(labels={"1.1": 0}, annotator="x")
    with pytest.raises(ValueError):
        Annotation(labels={m: 2 for m in MODE_IDS}, annotator="x")


def test_malformed_fields_give_labels_not_crashes() -> None:
    rng = random.Random(7)
    junk = [None, 1, "x", [], {}, [1, "a", None], {"a": None}, True, 3.5, [{"x": 1}]]
    for fault in [None, *sorted(EXPECTED)] * 6:
        events = build(fault)
        for _ in range(4):
            event = rng.choice(events)
            key = rng.choice([k for k in event if k not in ("seq", "type")] or ["x"])
            event[key] = copy.deepcopy(rng.choice(junk))
        ann = ANNOTATOR.annotate(events)
        assert set(ann.labels) == set(MODE_IDS)


# -- the runner's conventions (sre_agent.team): announced-on-mismatch, BLOCKED results, ------
# -- re-verification, evidence_added lists, "entity:signal" anomalies ------------------------
def test_announced_without_step_id_is_mismatch_and_refused_call_is_not_executed() -> None:
    b = TraceBuilder()
    b.start()
    b.emit("tool_call", agent="investigator", call_id="c1", tool="logs", args={"service": "email"}, step_id=None,
           announced={"tool": "logs", "args": {"service": "cart"}})
    b.emit("tool_result", call_id="c1", tool="logs", ok=True, entities=[], anomalies=[])
    assert labels(b.events)["2.6"] == 1
    b.events[-1].update(ok=False, error="BLOCKED by action_consistency: ran another step")
    assert labels(b.events)["2.6"] == 0


def test_blocked_repeat_is_not_repetition() -> None:
    events = build("1.3")
    for e in events:
        if e["type"] == "tool_result" and e["call_id"] == "call_3":
            e.update(ok=False, error="BLOCKED by loop_breaker: identical call", summary="BLOCKED by loop_breaker")
    assert labels(events)["1.3"] == 0


def test_reverifying_a_rejected_entity_without_new_evidence_is_1_4() -> None:
    b = TraceBuilder()
    b.start()
    b.verify(FRONTEND, "rejected", [("anomaly_observed", False, [])])
    b.verify(FRONTEND, "rejected", [("anomaly_observed", False, [])])
    assert labels(b.events)["1.4"] == 1
    b.events.insert(-1, {"seq": 0, "type": "tool_result", "call_id": "c9", "tool": "logs", "ok": True,
                         "entities": [FRONTEND], "anomalies": []})
    for n, e in enumerate(b.events):
        e["seq"] = n
    assert labels(b.events)["1.4"] == 0


def test_planned_off_neighbourhood_step_is_derailment_even_if_not_run() -> None:
    b = TraceBuilder()
    b.start()
    b.plan([], [("search_logs", {"service": "image-provider"})])
    assert labels(b.events)["2.3"] == 1


def test_conclude_without_any_confirmation_is_3_2_only_when_the_diagnosis_claims_an_entity() -> None:
    def run(diagnosed: list[str], verified: bool = False) -> list[dict]:
        b = TraceBuilder()
        b.start()
        if verified:
            b.emit("tool_result", call_id="c1", ok=True, entities=[CART], anomalies=[])
            b.emit("verification", by="verifier", entity=CART, verdict="confirmed",
                   checks=[{"check": "entity_exists", "passed": True, "call_ids": ["c1"]}])
        status = "confirmed" if verified else "proposed"
        b.emit("plan", agent="planner", action="conclude", hypotheses=[{"entity": CART, "status": status}], steps=[])
        b.diagnosis(diagnosed)
        b.end("model_stop")
        return b.events

    # no entity in the result: nothing claimed, so nothing unchecked (gold convention, MAST 3.2
    # judges the result's claims); stopping with no root cause is premature (3.1)
    lab = labels(run([]))
    assert lab["3.2"] == 0 and lab["3.1"] == 1
    # the result names cart, which nobody ever verified: 3.2
    assert labels(run([CART]))["3.2"] == 1
    assert labels(run([CART], verified=True))["3.2"] == 0


def test_evidence_added_count_rule_for_2_4() -> None:
    b = TraceBuilder()
    b.start()
    for cid in ("c1", "c2"):
        b.emit("tool_call", agent="investigator", call_id=cid, tool="logs", args={"service": cid}, step_id=None)
        b.emit("tool_result", call_id=cid, tool="logs", ok=True, entities=[CART], anomalies=[f"{CART}:error_logs"])
    b.emit("state_update", changes={"evidence_added": ["E1", "E2"], "open_questions": 0}, digest="2 evidence, 0 hypotheses")
    assert labels(b.events)["2.4"] == 0
    b.events[-1]["changes"]["evidence_added"] = ["E1"]
    assert labels(b.events)["2.4"] == 1


def test_digest_text_drop_to_zero_is_reset() -> None:
    b = TraceBuilder()
    b.start()
    b.emit("state_update", changes={"evidence_added": []}, digest="4 evidence, 2 hypotheses")
    b.emit("state_update", changes={"evidence_added": []}, digest="4 evidence, 2 hypotheses")
    assert labels(b.events)["2.1"] == 0
    b.events[-1]["digest"] = "0 evidence, 0 hypotheses"
    assert labels(b.events)["2.1"] == 1
