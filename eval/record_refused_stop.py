"""Record a real refused-stop loop: the planner concludes, again and again, with nothing confirmed.

A crafted model client answers every planner turn with the same ``conclude`` plan (one proposed
hypothesis, no steps) and leaves the other roles to the offline reasoner.  With the termination
FSM on, every stop is refused (nothing is confirmed) until ``max_turns`` ends the run: the real
failure issue 14 reports (a dozen refused concludes, no MAST label).  The trace is the fixture
``tests/data/mast/refused-stop-loop.trace.jsonl``.

Run (about a second)::

    .venv/bin/python -m sre_agent.eval.record_refused_stop --out tests/data/mast/refused-stop-loop.trace.jsonl
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sre_agent.config import load_config
from sre_agent.llm.offline import OfflineReasoner, role_of
from sre_agent.runner import run_triage

#: the plan the crafted planner repeats: conclude on a hypothesis no tool ever checked
CONCLUDE = {"action": "conclude", "hypotheses": [
    {"entity": "otel-demo/Deployment/checkout", "mechanism": "it must be checkout", "status": "proposed", "score": 0.6}],
    "steps": []}


class ConcludesTooEarly(OfflineReasoner):
    """The offline reasoner, except that the planner always concludes with nothing confirmed."""

    def respond(self, messages: Any, tools: Any = ()) -> Any:
        if role_of(messages) == "planner":
            return "PLAN\n" + json.dumps(CONCLUDE)
        return super().respond(messages, tools)


def record(out: Path, scenario: str = "Scenario-2", max_turns: int = 12) -> Path:
    """Simulate ``scenario``, run the triage with :class:`ConcludesTooEarly` and copy the trace to ``out``."""
    from sre_agent.simulator import simulate

    root = Path(__file__).resolve().parent / "data" / "itbench-lite" / "ground_truths"
    work = Path(tempfile.mkdtemp(prefix="refused-stop-"))
    try:
        scen = simulate(root / f"{scenario}.yaml", work / "sim", seed=0, scale=0.12)
        cfg = load_config(None, fixes=["termination_fsm=on"])
        cfg = cfg.model_copy(update={"budgets": cfg.budgets.model_copy(update={"max_turns": max_turns})})
        res = run_triage(alert=scen / "alerts", output_dir=work / "run", config=cfg, client=ConcludesTooEarly())
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(res.output_dir / "trace.jsonl", out)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("tests/data/mast/refused-stop-loop.trace.jsonl"))
    ap.add_argument("--max-turns", type=int, default=12)
    args = ap.parse_args(argv)
    print(record(args.out, max_turns=args.max_turns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
