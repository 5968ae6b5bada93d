"""FM-1.1 and FM-1.2 (sre_agent.mast.detectors._specification)."""

from __future__ import annotations

from mast_traces import build
from sre_agent.mast.detectors import TraceIndex
from sre_agent.mast.detectors._specification import detect_1_1, detect_1_2


def test_answer_shape_and_namespace() -> None:
    assert detect_1_1(TraceIndex(build(None))).label == 0
    found = detect_1_1(TraceIndex(build("1.1")))
    assert found.label == 1 and "not namespace/Kind/name" in found.note
    assert "outside namespace" in detect_1_1(TraceIndex(build("1.1ns"))).note


def test_unusable_format_answer_without_diagnosis_is_1_1() -> None:
    events = [e for e in build(None) if e["type"] not in ("diagnosis",)]
    events.append({"seq": 999, "type": "unusable_answer", "kind": "format", "role": "planner", "reason": "prose"})
    assert detect_1_1(TraceIndex(events)).label == 1


def test_roles() -> None:
    assert detect_1_2(TraceIndex(build(None))).label == 0
    assert detect_1_2(TraceIndex(build("1.2"))).label == 1
    assert detect_1_2(TraceIndex([{"seq": 0, "type": "run_start"}])).label is None
