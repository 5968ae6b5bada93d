"""Issue 20's figures over several ``eval --json`` files at once: can the verdicts be trusted?

``python -m sre_agent.eval.trust RESULT.json [RESULT.json ...]`` prints, per file and pooled:

* runs, mean root-cause recall and the mean ITBench-AA task score (:mod:`sre_agent.eval.aa`);
* the top root cause's confidence: expected calibration error, how often an answer with
  confidence >= 0.8 is right at rank 1, and the mean confidence of right and of wrong answers
  (:mod:`sre_agent.eval.calibration`, read from each run's ``agent_output.json``);
* the verdict audit of the runs' traces (:mod:`sre_agent.eval.verdict_audit`): confirmations,
  silent overrides (a participant's failed check overturned without a ``verdict_dispute``),
  confirmations resting on a passed check that cites no tool call, and disputes.

Pooling is over runs (each file's runs once); the per-file rows show how much seeds differ.

Example:
    >>> pooled_mean([[1.0, 0.5], [1.0]])
    0.8333333333333334
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .calibration import confidence_summary, run_points
from .verdict_audit import FIELDS, audit_folder


def pooled_mean(groups: Sequence[Sequence[float]]) -> float | None:
    """The mean of every value of every group (``None`` when there is none)."""
    values = [v for g in groups for v in g]
    return sum(values) / len(values) if values else None


def _aa(run: dict[str, Any]) -> float | None:
    """The run's ITBench-AA score: as eval recorded it, or recomputed from its answer and ground
    truth (results written before eval scored it)."""
    if "itbench_aa" in run["score"]:
        return run["score"]["itbench_aa"]
    from .aa import aa_score
    from .scoring import load_ground_truth, score
    from .suite import ground_truth_path

    gt, out = ground_truth_path(Path(run["path"])), Path(run["output_dir"]) / "agent_output.json"
    if gt is None or not out.is_file():
        return None
    return aa_score(score(json.loads(out.read_text(encoding="utf-8")), load_ground_truth(gt)))


def _runs(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [r for r in data.get("runs", []) if r.get("ok") and r.get("scored")]


def figures(paths: Sequence[Path]) -> dict[str, Any]:
    """Per file and pooled figures (see the module docstring)."""
    rows: dict[str, Any] = {}
    recalls, aas, points, totals = [], [], [], dict.fromkeys(FIELDS, 0)
    for p in paths:
        runs = _runs(p)
        rec = [float(r["score"]["recall"]) for r in runs]
        aa = [float(x) for x in map(_aa, runs) if x is not None]
        pts = run_points([SimpleNamespace(output_dir=r["output_dir"], path=r["path"], ok=True, scenario=r["scenario"],
                                          seed=r["seed"]) for r in runs])
        audit = dict.fromkeys(FIELDS, 0)
        for folder in sorted({str(Path(r["output_dir"]).parent.parent) for r in runs}):
            _, counts = audit_folder(Path(folder))
            for k in FIELDS:
                audit[k] += counts[k]
        rows[p.name] = {"runs": len(runs), "recall": pooled_mean([rec]), "itbench_aa": pooled_mean([aa]),
                        "confidence": confidence_summary(pts) if pts else None, "audit": audit}
        recalls.append(rec)
        aas.append(aa)
        points += pts
        for k in FIELDS:
            totals[k] += audit[k]
    pooled = {"runs": sum(len(r) for r in recalls), "recall": pooled_mean(recalls), "itbench_aa": pooled_mean(aas),
              "confidence": confidence_summary(points) if points else None, "audit": totals}
    return {"files": rows, "pooled": pooled}


def _fmt(x: Any) -> str:
    return "–" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def render(fig: dict[str, Any]) -> str:
    """The figures as a markdown table, one row per file and the pooled row last."""
    head = ("| file | runs | recall | ITBench-AA | ECE | conf>=0.8: n, right@1 | mean conf right / wrong | "
            "confirmations | silent overrides | uncited confirmations | disputes open / vetoed / open at end |")
    out = [head, "|" + "---|" * 11]
    for name, r in [*fig["files"].items(), ("pooled", fig["pooled"])]:
        c = r["confidence"] or {}
        a = r["audit"]
        out.append(f"| {name} | {r['runs']} | {_fmt(r['recall'])} | {_fmt(r['itbench_aa'])} | {_fmt(c.get('ece'))} | "
                   f"{c.get('high_n', '–')}, {_fmt(c.get('high_right'))} | {_fmt(c.get('mean_right'))} / {_fmt(c.get('mean_wrong'))} | "
                   f"{a['confirmations']} | {a['silent_overrides']} | {a['uncited_confirmations']} | "
                   f"{a['disputes_open']} / {a['disputes_vetoed']} / {a['open_at_end']} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sre_agent.eval.trust", description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="+", type=Path, help="eval --json files")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    args = ap.parse_args(argv)
    missing = [str(p) for p in args.results if not p.is_file()]
    if missing:
        print(f"trust: error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    fig = figures(args.results)
    print(json.dumps(fig, indent=1, default=str) if args.json else render(fig), end="" if not args.json else "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
