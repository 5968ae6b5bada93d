"""Recall by suite and by fault mechanism, from the JSON files ``sre-agent eval --json`` writes.

Each ``--json`` file is one *suite* (say the hard variant of seed 3); every run in it names its
scenario folder, whose ``ground_truth.yaml`` gives the fault mechanism
(``fault[0].fault_mechanism``) and the kinds of its root causes.  The ground truth is read here
with the scorer's own loader, after the runs; the agent never sees it.

    python -m sre_agent.eval.breakdown hard3.json hard4.json hard5.json
    python -m sre_agent.eval.breakdown --by kind --json out.json hard3.json

prints mean root-cause recall [95 % bootstrap interval] of each suite, then one row per
mechanism (or root-cause kind) with its mean recall in every suite; the suite table also lists
the scenarios that score below 1 and counts the answers with no root cause at all.

>>> rows = [Row("s", "Scenario-1", "load", "Pod", 0.0, 0), Row("s", "Scenario-2", "load", "Pod", 1.0, 1)]
>>> group(rows, "mechanism")["load"]["s"]
[0.0, 1.0]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .scoring import GroundTruthError, load_ground_truth
from .suite import bootstrap_mean, ground_truth_path


@dataclass(frozen=True)
class Row:
    """One scored run: its suite, scenario, mechanism, root-cause kinds, recall and answer size."""

    suite: str
    scenario: str
    mechanism: str
    kind: str
    recall: float
    n_predicted: int


def load_rows(path: Path, suite: str | None = None) -> list[Row]:
    """The scored runs of one ``eval --json`` file (runs without a ground truth are skipped)."""
    data = json.loads(path.read_text())
    out: list[Row] = []
    for run in data.get("runs", []):
        s = run.get("score")
        if not run.get("scored") or not isinstance(s, dict):
            continue
        gt_path = ground_truth_path(Path(run.get("path", "")))
        gt = load_ground_truth(gt_path) if gt_path else None
        faults = (gt.fault if gt else None) or [{}]
        mech = str(faults[0].get("fault_mechanism") or "unknown")
        kinds = sorted({g.kind for g in gt.groups if g.root_cause}) if gt else []
        out.append(Row(suite or path.stem, run["scenario"], mech, "+".join(kinds) or "unknown",
                       float(s.get("recall") or 0.0), int(s.get("n_predicted") or 0)))
    return out


def group(rows: list[Row], by: str) -> dict[str, dict[str, list[float]]]:
    """``{mechanism or kind: {suite: [recall, ...]}}``."""
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        out[getattr(r, by)][r.suite].append(r.recall)
    return out


def _fmt(values: list[float]) -> str:
    iv = bootstrap_mean(values)
    return "–" if iv is None else f"{iv.mean:.3f} [{iv.low:.3f}, {iv.high:.3f}]"


def main(argv: list[str] | None = None) -> int:
    """Print the suite table and the per-mechanism table; exit 2 on unreadable input."""
    p = argparse.ArgumentParser(prog="python -m sre_agent.eval.breakdown", description=__doc__.split("\n")[0])
    p.add_argument("results", nargs="+", type=Path, help="JSON files written by `sre-agent eval --json`")
    p.add_argument("--by", choices=("mechanism", "kind"), default="mechanism", help="row grouping (default mechanism)")
    p.add_argument("--json", type=Path, help="also write every row and mean as JSON here")
    args = p.parse_args(argv)
    rows: list[Row] = []
    for path in args.results:
        try:
            rows += load_rows(path)
        except (OSError, ValueError, KeyError, TypeError, GroundTruthError) as e:
            print(f"breakdown: error: {path}: cannot read it as an `eval --json` result ({e})", file=sys.stderr)
            return 2
    suites = list(dict.fromkeys(r.suite for r in rows))
    console = Console()
    t = Table(title="root-cause recall by suite")
    for col in ("suite", "runs", "recall [95 % CI]", "below 1", "no root cause"):
        t.add_column(col)
    for s in suites:
        mine = [r for r in rows if r.suite == s]
        t.add_row(s, str(len(mine)), _fmt([r.recall for r in mine]),
                  " ".join(r.scenario.replace("Scenario-", "") for r in mine if r.recall < 1) or "–",
                  str(sum(r.n_predicted == 0 for r in mine)))
    console.print(t)
    table = group(rows, args.by)
    t = Table(title=f"root-cause recall by {args.by}")
    t.add_column(args.by, overflow="fold")
    t.add_column("scenarios")
    for s in suites:
        t.add_column(s)
    for key in sorted(table):
        n = len({r.scenario for r in rows if getattr(r, args.by) == key})
        t.add_row(key, str(n), *(f"{sum(v) / len(v):.2f}" if (v := table[key].get(s)) else "–" for s in suites))
    console.print(t)
    if args.json:
        args.json.write_text(json.dumps({"rows": [asdict(r) for r in rows], "by": args.by,
                                         "means": {s: bootstrap_mean([r.recall for r in rows if r.suite == s]).mean
                                                   for s in suites}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
