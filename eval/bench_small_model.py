"""What a real small model (SmolLM2-135M-Instruct, llama-cpp-python server) does with the agent's
requests, per chat format: latency, tokens/s, and whether it answers prose, a usable plan, or tool
calls (valid names? arguments that parse?).

The requests are real: a triage of one simulated scenario through the offline-backed
OpenAI-compatible server (``sre_agent.modelserver``) records what autogen-ext's OpenAI client
sends; the first planner, investigator and verifier requests are replayed to the small model
(``max_tokens`` capped), under each chat format, and the planner request once more with a JSON
schema ``response_format`` (grammar-constrained by llama.cpp).  ``--triage`` also times one whole
triage per chat format with small budgets.  Needs the ``llm`` extra.

Usage::

    python -m sre_agent.eval.bench_small_model [--scenario Scenario-27] [--max-tokens 256]
        [--formats default,chatml-function-calling] [--triage] [--max-turns 8] [--requests FILE [--record-only]]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

PERF = re.compile(r"^\s*llama_perf_context_print:\s+(prompt eval|eval) time =\s+([\d.]+) ms /\s+(\d+) (?:tokens|runs)", re.M)

#: the plan a planner answers, as a JSON schema (for a server's constrained decoding)
PLAN_SCHEMA = {"type": "object", "required": ["action", "hypotheses", "steps"], "properties": {
    "action": {"type": "string", "enum": ["investigate", "verify", "conclude"]},
    "hypotheses": {"type": "array", "items": {"type": "object", "required": ["entity", "mechanism", "score"], "properties": {
        "entity": {"type": "string"}, "mechanism": {"type": "string"}, "score": {"type": "number"}}}},
    "steps": {"type": "array", "items": {"type": "object", "required": ["tool", "args"], "properties": {
        "tool": {"type": "string"}, "args": {"type": "object"}, "why": {"type": "string"}}}},
    "root_causes": {"type": "array", "items": {"type": "string"}}}}


def record_requests(scenario: Path, work: Path) -> dict[str, dict[str, Any]]:
    """The first request of each role, as the OpenAI client sends it, from an offline-backed run."""
    from sre_agent.config import load_config
    from sre_agent.modelserver import ModelServer
    from sre_agent.runner import run_triage

    os.environ.setdefault("SRE_AGENT_BENCH_KEY", "unused")
    with ModelServer(record=True) as server:
        cfg = work / "offline-endpoint.yaml"
        cfg.write_text(f"model:\n  kind: openai\n  openai:\n    model: sre-agent-offline\n    base_url: {server.base_url}\n"
                       "    api_key_env: SRE_AGENT_BENCH_KEY\n    max_retries: 0\n    model_info: {vision: false, "
                       "function_calling: true, json_output: true, structured_output: false, family: unknown, "
                       "multiple_system_messages: true}\n", encoding="utf-8")
        run_triage(alert=scenario / "alerts", output_dir=work / "offline-run", config=load_config(cfg))
        bodies = list(server.recorded or [])
    firsts: dict[str, dict[str, Any]] = {}
    for body in bodies:
        system = next((m.get("content", "") for m in body["messages"] if m.get("role") == "system"), "")
        role = (re.search(r"ROLE:\s*(\w+)", system or "") or [None, "?"])[1]
        firsts.setdefault(role, body)
    return firsts


def classify(role: str, message: dict[str, Any], tool_names: set[str]) -> str:
    """prose / plan / json / tool_calls (valid or not) for one answer."""
    from sre_agent.team._parse import parse_block as _parse_block

    calls = message.get("tool_calls") or []
    if calls:
        bad_name = [c["function"]["name"] for c in calls if c["function"]["name"] not in tool_names]
        bad_args = 0
        for c in calls:
            try:
                json.loads(c["function"]["arguments"])
            except (json.JSONDecodeError, TypeError):
                bad_args += 1
        args = "; ".join(f"{c['function']['name']}({c['function']['arguments'][:80]})" for c in calls[:2])
        return f"{len(calls)} tool call(s), {len(bad_name)} unknown name(s), {bad_args} unparseable: {args}"
    text = message.get("content") or ""
    marker = {"planner": "PLAN", "verifier": "VERDICTS", "summarizer": "SUMMARY"}.get(role)
    if marker and _parse_block(text, marker) is not None:
        return f"usable {marker} block"
    try:
        json.loads(text)
        return f"bare JSON (no {marker} marker): {text[:100]!r}"
    except json.JSONDecodeError:
        return f"prose: {text[:100]!r}"


def ask(base_url: str, body: dict[str, Any], max_tokens: int, log: Path) -> dict[str, Any]:
    """One request; latency, usage, and the server's own prompt/eval timings (from its log)."""
    before = log.read_text(errors="replace") if log.exists() else ""
    req = dict(body, max_tokens=max_tokens, temperature=0.0, model="smollm2-135m-instruct")
    data = json.dumps(req).encode()
    started = time.monotonic()
    with urllib.request.urlopen(urllib.request.Request(base_url + "/chat/completions", data=data,
                                                       headers={"Content-Type": "application/json"}), timeout=900) as resp:
        answer = json.load(resp)
    latency = time.monotonic() - started
    time.sleep(0.3)  # the server prints its timings after answering
    perf = {kind: (float(ms), int(n)) for kind, ms, n in PERF.findall(log.read_text(errors="replace")[len(before):])}
    return {"answer": answer, "latency": latency, "perf": perf}


def bench_format(fmt: str, requests: dict[str, dict[str, Any]], args: argparse.Namespace, work: Path) -> list[str]:
    from sre_agent.modelserver.llama import LlamaCppServer, smollm2_gguf

    rows = []
    log = work / f"llama-{fmt}.log"
    cases = [(role, body, None) for role, body in requests.items() if role in ("planner", "investigator", "verifier")]
    if "planner" in requests:
        cases.append(("planner", requests["planner"], {"type": "json_object", "schema": PLAN_SCHEMA}))
    started = time.monotonic()
    with LlamaCppServer(smollm2_gguf(), chat_format=None if fmt == "default" else fmt, n_ctx=args.n_ctx, log=log) as server:
        rows.append(f"[{fmt}] server up in {time.monotonic() - started:.1f}s")
        for role, body, response_format in cases:
            req = dict(body)
            if response_format:
                req["response_format"] = response_format
            try:
                r = ask(server.base_url, req, args.max_tokens, log)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop
                rows.append(f"[{fmt}] {role}: request failed: {type(exc).__name__}: {str(exc)[:160]}")
                continue
            usage = r["answer"].get("usage", {})
            choice = r["answer"]["choices"][0]
            names = {t["function"]["name"] for t in body.get("tools", [])}
            pe, ev = r["perf"].get("prompt eval"), r["perf"].get("eval")
            speed = (f"prompt {pe[1] / pe[0] * 1000:.0f} tok/s, generation {ev[1] / ev[0] * 1000:.0f} tok/s"
                     if pe and ev and pe[0] and ev[0] else "no server timings")
            tag = role + (" +json_schema" if response_format else "")
            rows.append(f"[{fmt}] {tag}: {r['latency']:.1f}s, {usage.get('prompt_tokens')} prompt + "
                        f"{usage.get('completion_tokens')} completion tokens ({speed}), finish {choice.get('finish_reason')}: "
                        f"{classify(role, choice['message'], names)}")
        if args.triage:
            rows.append(triage_once(fmt, server.base_url, args, work))
    return rows


def triage_once(fmt: str, base_url: str, args: argparse.Namespace, work: Path) -> str:
    """One whole triage with the small model and small budgets: wall time and what it did."""
    from sre_agent.config import load_config
    from sre_agent.runner import run_triage

    os.environ.update(SRE_AGENT_LLM_BASE_URL=base_url, SRE_AGENT_LLM_KEY="unused")
    cfg = work / f"small-{fmt}.yaml"
    cfg.write_text(f"model: smollm2\nbudgets:\n  max_turns: {args.max_turns}\n  max_wall_seconds: {args.max_wall}\n"
                   "  max_tokens_per_call: 2500\n", encoding="utf-8")
    out = work / f"triage-{fmt}"
    started = time.monotonic()
    result = run_triage(alert=args.scenario_dir / "alerts", output_dir=out, config=load_config(cfg))
    wall = time.monotonic() - started
    events = [json.loads(x) for x in (out / "trace.jsonl").read_text().splitlines()]
    plans = [e for e in events if e["type"] == "plan"]
    bad = sum(1 for e in plans if e.get("error"))
    s = result.stats
    return (f"[{fmt}] triage: {wall:.0f}s wall, {s['model_calls']} model calls, {s['tool_calls']} tool calls, "
            f"{s['steps']} turns, stop {s['stop_reason']}, incomplete {s['incomplete']}, {bad}/{len(plans)} plans unusable, "
            f"root causes {[e['id'] for e in result.agent_output['entities'] if e['contributing_factor']]}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_small_model", description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="Scenario-27")
    p.add_argument("--ground-truths", type=Path,
                   default=Path(__file__).resolve().parent / "data" / "itbench-lite" / "ground_truths")
    p.add_argument("--scale", type=float, default=0.35)
    p.add_argument("--formats", default="default,chatml-function-calling")
    p.add_argument("--max-tokens", type=int, default=256)
    p.add_argument("--n-ctx", type=int, default=8192)
    p.add_argument("--triage", action="store_true", help="also time one whole triage per chat format")
    p.add_argument("--max-turns", type=int, default=8)
    p.add_argument("--max-wall", type=float, default=600)
    p.add_argument("--requests", type=Path, help="a JSON file of recorded requests: read if it exists, else written")
    p.add_argument("--record-only", action="store_true", help="record the requests (--requests) and stop")
    args = p.parse_args(argv)
    from sre_agent.modelserver.llama import missing_llm_packages
    from sre_agent.simulator import simulate

    if missing_llm_packages() and not args.record_only:
        print(f"bench_small_model: not installed: {', '.join(missing_llm_packages())} (pip install -e '.[llm]')",
              file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-small-model-"))
    args.scenario_dir = simulate(args.ground_truths / f"{args.scenario}.yaml", work / args.scenario, seed=0, scale=args.scale)
    if args.requests and args.requests.is_file():
        requests = json.loads(args.requests.read_text(encoding="utf-8"))
    else:
        requests = record_requests(args.scenario_dir, work)
        if args.requests:
            args.requests.write_text(json.dumps(requests), encoding="utf-8")
    print(f"recorded first requests of: {', '.join(requests)} (work dir {work})", flush=True)
    if args.record_only:
        return 0
    for fmt in args.formats.split(","):
        for row in bench_format(fmt, requests, args, work):
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
