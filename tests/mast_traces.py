"""Hand-made traces for the MAST tests: a small builder and one clean run with optional faults.

``build(fault)`` returns the events of a short, healthy diagnosis run (alert on frontend, root
cause otel-demo/Deployment/cart, confirmed with tool-backed checks) into which exactly one
failure is written when ``fault`` names one (``"1.3"``, ``"2.5b"`` ...).  With ``inject=True``
the run also carries the ``injected_failure`` and ``fix`` events a model profile and a fix
would write, which no annotator may read.
"""

from __future__ import annotations

from typing import Any

NS = "otel-demo"
CART = f"{NS}/Deployment/cart"
FRONTEND = f"{NS}/Deployment/frontend"
NEIGHBOURHOOD = ["frontend", "cart", f"{NS}/Service/frontend", f"{NS}/Service/cart", CART, FRONTEND,
                 f"{NS}/Pod/cart-7d9f-x2"]


class TraceBuilder:
    """Appends well-formed trace events (``seq`` and ``turn`` filled in)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.turn = 0
        self._calls = 0
        self._steps = 0
        self.unsummarised: list[str] = []

    def emit(self, type: str, **payload: Any) -> dict[str, Any]:
        event = {"seq": len(self.events), "type": type, "turn": self.turn, **payload, "wall": 0.0}
        self.events.append(event)
        return event

    def start(self, neighbourhood: list[str] | None = NEIGHBOURHOOD, **extra: Any) -> None:
        config = {"fixes": {"loop_breaker": False}, "model": "clean", "seed": 0,
                  "budgets": {"max_turns": 40, "max_tool_calls": 60}}
        payload: dict[str, Any] = {"config": config, "alerts": ["RequestErrorRate/frontend"], "snapshot": "s"}
        if neighbourhood is not None:
            payload["neighbourhood"] = neighbourhood
        self.emit("run_start", **payload, **extra)
        for role in ("planner", "investigator", "verifier", "summarizer"):
            self.emit("model_call", agent=role, role=role, context_tokens=10, output="")

    def plan(self, hypotheses: list[tuple[str, str]], steps: list[tuple[str, dict[str, Any]]],
             agent: str = "planner") -> list[dict[str, Any]]:
        self.turn += 1
        out = []
        for tool, args in steps:
            self._steps += 1
            out.append({"id": f"S{self._steps}", "tool": tool, "args": args, "why": "test"})
        hyps = [{"entity": e, "mechanism": "m", "status": s, "score": 0.5} for e, s in hypotheses]
        self.emit("plan", agent=agent, hypotheses=hyps, steps=out)
        return out

    def call(self, tool: str, args: dict[str, Any], step: dict[str, Any] | None = None,
             agent: str = "investigator", entities: list[str] | None = None,
             anomalies: list[dict[str, Any]] | None = None, ok: bool = True, executed: bool = True) -> str:
        self._calls += 1
        cid = f"call_{self._calls}"
        extra: dict[str, Any] = {}
        if step is not None:
            extra["announced"] = {"tool": step["tool"], "args": step["args"]}
        self.emit("tool_call", agent=agent, call_id=cid, tool=tool, args=args,
                  step_id=step["id"] if step else None, **extra)
        if executed:
            self.emit("tool_result", call_id=cid, tool=tool, ok=ok, summary="s", entities=entities or [],
                      anomalies=anomalies or [], truncated=False, error=None if ok else "boom")
            self.unsummarised.append(cid)
        return cid

    def state_update(self, changes: dict[str, Any] | None = None, withhold: tuple[str, ...] = ()) -> None:
        cited = [c for c in self.unsummarised if c not in withhold]
        body = dict(changes or {})
        if cited:
            body.setdefault("evidence", f"+{len(cited)} items ({', '.join(cited)})")
        self.unsummarised = []
        self.emit("state_update", changes=body, digest="d")

    def verify(self, entity: str, verdict: str, checks: list[tuple[str, bool, list[str]]],
               by: str = "verifier") -> None:
        self.emit("verification", agent=by, entity=entity, verdict=verdict, by=by,
                  checks=[{"check": n, "passed": p, "call_ids": ids} for n, p, ids in checks])

    def diagnosis(self, entities: list[str], incomplete: bool = False, missing: list[str] | None = None) -> None:
        self.emit("diagnosis", entities=entities, incomplete=incomplete, missing=missing or [])

    def end(self, stop_reason: str = "explained", incomplete: bool = False) -> None:
        self.emit("run_end", stop_reason=stop_reason, steps=self.turn, tool_calls=self._calls, model_calls=4,
                  max_context_tokens=10, total_tokens=100, incomplete=incomplete)


#: fault -> the modes the structural annotator must report for it (exactly)
EXPECTED: dict[str, set[str]] = {
    "1.1": {"1.1"}, "1.1ns": {"1.1"}, "1.2": {"1.2"}, "1.3": {"1.3"}, "1.4": {"1.4", "2.5"},
    "1.5": {"1.5"}, "1.5late": {"1.5"}, "2.1": {"2.1"}, "2.3": {"2.3"}, "2.4": {"2.4"},
    "2.5": {"2.5"}, "2.5b": {"2.5"}, "2.6": {"2.6"}, "3.1": {"3.1"}, "3.2": {"3.2"}, "3.3uncited": {"3.3"},
    "3.3": {"3.3"}, "3.3cite": {"3.3"},
}


def build(fault: str | None = None, inject: bool = True) -> list[dict[str, Any]]:
    """The clean run, with one failure written in when ``fault`` is given (see ``EXPECTED``)."""
    b = TraceBuilder()
    b.start()
    mode = fault.rstrip("abcdefghijklmnopqrstuvwxyz") if fault else None
    if fault and inject:
        b.emit("injected_failure", mast=mode, profile="faulty", what=f"test fault {fault}")
        b.emit("fix", fix="loop_breaker", mast=[mode], target="x", action="logged only")

    s1, s2 = b.plan([], [("get_alerts", {}), ("trace_errors", {"service": "frontend"})])
    b.call("get_alerts", {}, s1, entities=[f"{NS}/Service/frontend"],
           anomalies=[{"entity": f"{NS}/Service/frontend", "signal": "error_rate"}])
    c2 = b.call("trace_errors", {"service": "frontend"}, s2, entities=[f"{NS}/Service/frontend", f"{NS}/Service/cart"],
                anomalies=[{"entity": f"{NS}/Service/cart", "signal": "error_origin"}])
    b.state_update({"hypotheses": "H1 cart proposed"})
    if fault == "1.2":
        b.call("get_events", {}, None, agent="planner")
    if fault == "1.3":
        b.call("trace_errors", {"service": "frontend"}, None, entities=[f"{NS}/Service/frontend"])
    if fault == "2.3":
        b.call("search_logs", {"service": "ad"}, None, entities=[f"{NS}/Deployment/ad"])

    s3, s4 = b.plan([(CART, "proposed"), (FRONTEND, "proposed")],
                    [("search_logs", {"service": "cart"}), ("describe", {"entity": FRONTEND})])
    if fault == "2.6":
        c3 = b.call("metric_anomalies", {"entity": "cart"}, s3, entities=[CART, f"{NS}/Pod/cart-7d9f-x2"],
                    anomalies=[{"entity": CART, "signal": "error_logs"}])
    else:
        c3 = b.call("search_logs", {"service": "cart"}, s3, entities=[CART, f"{NS}/Pod/cart-7d9f-x2"],
                    anomalies=[{"entity": CART, "signal": "error_logs"}])
    c4 = b.call("describe", {"entity": FRONTEND}, s4, entities=[FRONTEND])
    b.state_update(withhold=(c3,) if fault == "2.4" else ())
    if fault == "2.1":
        b.state_update({"hypotheses": "cleared", "evidence": []})
    b.verify(FRONTEND, "rejected", [("anomaly_observed", False, [c4])])
    if fault == "2.5":
        b.plan([(CART, "supported"), (FRONTEND, "supported")], [])
    else:
        b.plan([(CART, "supported"), (FRONTEND, "rejected")], [])
    if fault == "1.4":
        b.plan([(CART, "supported"), (FRONTEND, "proposed")], [])

    checks = [("entity_exists", True, [c3]), ("anomaly_observed", True, [c2, c3])]
    if fault == "3.3uncited":  # passed checks that cite nothing: an inadequate check (R2), not a missing one
        checks = [("entity_exists", True, []), ("anomaly_observed", True, [])]
    elif fault == "3.3":
        checks = [("entity_exists", True, [c3]), ("upstream_of_alerts", False, [])]
    elif fault == "3.3cite":
        checks = [("entity_exists", True, ["call_99"])]
    root = {"1.1": "cart", "1.1ns": "payments/Deployment/cart"}.get(fault or "", CART)
    if fault != "3.2":  # 3.2: the root cause goes into the diagnosis without any check (R3)
        b.verify(root, "confirmed", checks)
    # the gate re-checks by re-running a call: never a repetition
    b.call("search_logs", {"service": "cart"}, None, agent="gate", entities=[CART])
    if fault == "1.5late":
        b.call("get_events", {}, None)
    if fault == "1.5":  # busy work that finds nothing, until the budget ends the run
        for kind in ("ConfigMap", "Service", "HorizontalPodAutoscaler"):
            step, = b.plan([(CART, "confirmed")], [("list_objects", {"kind": kind})])
            b.call("list_objects", {"kind": kind}, step)
    entities = [root, FRONTEND] if fault == "2.5b" else [root]
    if fault == "3.1":
        b.diagnosis([], incomplete=True)
        b.end("model_stop", incomplete=True)
    else:
        b.diagnosis(entities)
        b.end("budget" if fault == "1.5" else "explained")
    return b.events


def strip_hidden(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trace without ``injected_failure`` and ``fix`` events."""
    return [e for e in events if e["type"] not in ("injected_failure", "fix")]
