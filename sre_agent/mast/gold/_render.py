"""The trace rendered for a human or LLM labeller: every observable event, in order, readable.

One block per agent turn (``== turn N ==``), and in it one or a few lines per event: the plan
(action, hypotheses, steps), each tool call with a compact result, state updates, verdicts with
their checks, phase changes, and at the end the stop reason and the final diagnosis with its
incomplete flag.  What a labeller must never see is left out: ``injected_failure`` and ``fix``
events (the ground truth and the record of the fixes), the run configuration other than its
budgets (it names the model profile and its failure rates), and of course any detector output
(a trace holds none; ``mast.json`` is never read).

Example:
    >>> print(render_for_reading([
    ...     {"seq": 0, "type": "run_start", "turn": 0, "alerts": ["HighErrorRate/frontend"], "config": {"model": "faulty"}},
    ...     {"seq": 1, "type": "injected_failure", "turn": 1, "mast": "1.3", "profile": "faulty"},
    ...     {"seq": 2, "type": "tool_call", "turn": 1, "agent": "investigator", "call_id": "c1", "tool": "logs", "args": {"service": "cart"}},
    ...     {"seq": 3, "type": "tool_result", "turn": 1, "call_id": "c1", "ok": True, "summary": "3 errors", "entities": ["ns/Deployment/cart"]},
    ...     {"seq": 4, "type": "run_end", "turn": 1, "stop_reason": "explained", "incomplete": False}]))
    RUN START
      alerts: HighErrorRate/frontend
    == turn 1 ==
      [#2] investigator calls logs(service=cart) [c1]
           -> ok: 3 errors | entities: ns/Deployment/cart
      [#4] RUN END: stop_reason=explained incomplete=False
"""

from __future__ import annotations

import json
from typing import Any

from ..base import observable_events

#: longest rendering of one value (a labeller reads summaries, not dumps)
MAX_VALUE_CHARS = 400
#: fields never shown, whatever the event
_NOISE = {"seq", "type", "turn", "wall", "messages", "mast"}  # mast: a mode pre-assigned by the run, a label hint
#: model_call outputs that are shown (the planner's text is shown as its parsed plan)
_SHOWN_OUTPUTS = ("SUMMARY", "VERDICTS")


def _cut(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + " …"


def _val(value: Any) -> str:
    if isinstance(value, str):
        return _cut(value)
    return _cut(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str))


def _args(args: Any) -> str:
    if not isinstance(args, dict):
        return _val(args)
    return ", ".join(f"{k}={_val(v)}" for k, v in sorted(args.items()) if v is not None)


def _list(items: Any, limit: int = 8) -> str:
    items = items if isinstance(items, list) else [items]
    shown = [_val(x) if not isinstance(x, str) else x for x in items[:limit]]
    more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(shown) + more


def _start(e: dict[str, Any]) -> list[str]:
    out = ["RUN START"]
    for key in ("alerts", "namespace", "neighbourhood"):  # not the snapshot path: it may name the variant
        if e.get(key):
            out.append(f"  {key}: {_list(e[key], 12)}")
    budgets = (e.get("config") or {}).get("budgets") if isinstance(e.get("config"), dict) else None
    if budgets:
        out.append(f"  budgets: {_args(budgets)}")
    if e.get("tools"):
        out.append(f"  tools: {_list([t.get('name', t) if isinstance(t, dict) else t for t in e['tools']], 30)}")
    return out


def _plan(e: dict[str, Any]) -> list[str]:
    head = f"{e.get('agent') or '?'} PLAN action={e.get('action') or 'investigate'}"
    if e.get("error"):
        head += f" error={_val(e['error'])}"
    out = [head]
    for h in e.get("hypotheses") or []:
        if isinstance(h, dict):
            out.append(f"    hypothesis {h.get('entity')} [{h.get('status') or '-'}] score={h.get('score')} "
                       f"{_cut(h.get('mechanism') or '', 160)}")
    for s in e.get("steps") or []:
        if isinstance(s, dict):
            out.append(f"    step {s.get('id') or ''} {s.get('tool')}({_args(s.get('args'))}) why: {_cut(s.get('why') or '', 160)}")
    return out


def _call(e: dict[str, Any], result: dict[str, Any] | None) -> list[str]:
    step = f" for step {e['step_id']}" if e.get("step_id") else ""
    out = [f"{e.get('agent') or '?'} calls {e.get('tool')}({_args(e.get('args'))}) [{e.get('call_id')}]{step}"]
    if isinstance(e.get("announced"), dict):
        ann = e["announced"]
        out.append(f"     announced as {ann.get('tool')}({_args(ann.get('args'))})")
    if result is None:
        out.append("     -> no result")
        return out
    status = "ok" if result.get("ok") else "FAILED"
    line = f"     -> {status}: {_cut(result.get('summary') or result.get('error') or '', 240)}"
    if result.get("blocked"):
        line += " (blocked)"
    if result.get("entities"):
        line += f" | entities: {_list(result['entities'])}"
    if result.get("anomalies"):
        line += f" | anomalies: {_list(result['anomalies'])}"
    out.append(line)
    return out


def _verification(e: dict[str, Any]) -> list[str]:
    out = [f"VERDICT by {e.get('by') or e.get('agent') or '?'}: {e.get('entity')} -> {e.get('verdict')}"]
    for c in e.get("checks") or []:
        if isinstance(c, dict):
            ids = c.get("call_ids", c.get("evidence")) or []
            out.append(f"    check {c.get('check')}: {'passed' if c.get('passed') else 'FAILED'} cites {_list(ids) or 'nothing'}")
    return out


def _line(e: dict[str, Any]) -> list[str]:
    kind = e.get("type")
    if kind == "plan":
        return _plan(e)
    if kind == "verification":
        return _verification(e)
    if kind == "state_update":
        return [f"STATE UPDATE {_args(e.get('changes'))}" + (f" | digest: {_val(e['digest'])}" if e.get("digest") else "")]
    if kind == "phase":
        return [f"PHASE {e.get('from')} -> {e.get('to')} ({e.get('reason')})"]
    if kind == "diagnosis":
        return [f"FINAL DIAGNOSIS entities: {_list(e.get('entities') or []) or 'none'}",
                f"    incomplete={bool(e.get('incomplete'))} missing={_list(e.get('missing') or []) or 'none'} "
                f"reason: {_cut(e.get('reason') or '', 300)}"]
    if kind == "run_end":
        extra = " ".join(f"{k}={e[k]}" for k in ("steps", "tool_calls", "model_calls") if k in e)
        return [f"RUN END: stop_reason={e.get('stop_reason')} incomplete={e.get('incomplete')} {extra}".rstrip()]
    if kind == "model_call":
        text = str(e.get("output") or "")
        return [f"{e.get('agent')} says: {_cut(text, 600)}"] if text.startswith(_SHOWN_OUTPUTS) else []
    rest = {k: v for k, v in e.items() if k not in _NOISE}
    return [f"{str(kind).upper()} {_args(rest)}"]


def render_for_reading(events: list[dict[str, Any]]) -> str:
    """The observable events of one run as text for a labeller (see the module docstring)."""
    shown = sorted(observable_events(events), key=lambda e: int(e.get("seq", 0)))
    results = {str(e.get("call_id")): e for e in shown if e.get("type") == "tool_result"}
    lines: list[str] = []
    turn: Any = None
    for e in shown:
        kind = e.get("type")
        if kind == "tool_result":
            continue  # shown under its call
        if kind == "run_start":
            lines.extend(_start(e))
            continue
        if e.get("turn") != turn and e.get("turn") is not None:
            turn = e.get("turn")
            lines.append(f"== turn {turn} ==")
        body = _call(e, results.get(str(e.get("call_id")))) if kind == "tool_call" else _line(e)
        if body:
            lines.append(f"  [#{e.get('seq')}] {body[0]}")
            lines.extend(f"  {x}" for x in body[1:])
    return "\n".join(lines)
