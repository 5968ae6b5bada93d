"""TraceIndex and its helpers (sre_agent.mast.detectors._index): hidden events, refusals, malformed fields."""

from __future__ import annotations

from sre_agent.mast.detectors import TraceIndex, is_refused


def test_hidden_events_are_never_indexed_and_refused_calls_are_not_executed() -> None:
    t = TraceIndex([
        {"seq": 2, "type": "tool_call", "agent": "investigator", "call_id": "a", "tool": "logs", "args": {}},
        {"seq": 3, "type": "tool_result", "call_id": "a", "ok": False, "error": "BLOCKED by loop breaker"},
        {"seq": 1, "type": "fix", "fix": "loop_breaker"},
        {"seq": 0, "type": "injected_failure", "mast": "1.3"},
    ])
    assert [e["seq"] for e in t.events] == [2, 3]
    assert t.executed_calls() == [] and t.by_type.get("fix") is None
    assert is_refused({"ok": False, "error": "tool-call budget exhausted"}) and not is_refused({"ok": False, "error": "boom"})


def test_malformed_fields_are_read_as_empty() -> None:
    t = TraceIndex([{"seq": "x", "type": "run_start", "config": "nope", "neighbourhood": "cart"},
                    {"seq": 1, "type": "plan", "hypotheses": "h", "steps": [1, {"tool": "a"}]}])
    assert t.config == {"budgets": {}} and t.neighbourhood is None
    assert t.of("plan")[0]["steps"] == [{"tool": "a"}] and t.of("plan")[0]["hypotheses"] == []
