"""Validate an annotator against the failures a model profile injected on purpose.

A run is *positive* for mode m when it holds an ``injected_failure`` event with ``mast == m``
(the ground truth; reading it is the point here, unlike in an annotator).  Each run's labels
from the annotator (structural by default, which never sees those events) are compared per
mode: TP / FP / FN / TN, precision, recall, F1.  A run the annotator labels ``None`` for m is
not counted for m (column ``undet``).  ``prevented`` counts positive runs where a ``fix`` event
names m: a structural fix may have stopped the injected failure from showing, so a miss there
is the fix working rather than a detector miss (pass ``skip_prevented=True`` to leave those runs
out of that mode's counts).

Usage: ``python -m sre_agent.mast.validate RUN_DIR...`` (folders of runs are searched for
``trace.jsonl``).

Example:
    >>> runs = [[{"seq": 0, "type": "injected_failure", "mast": "1.3"}], []]
    >>> table = validate(runs)
    >>> row = table.row("1.3"); (row.tp, row.fn, row.fp, row.recall)
    (0, 1, 0, 0.0)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sre_agent.errors import InputError

from ._structural import StructuralAnnotator
from .base import Annotator
from .definitions import MODE_IDS, MODES
from .run import TRACE_FILE, load_events


class ModeScore(BaseModel):
    """The confusion counts and scores of one mode."""

    mode: str
    name: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    undetermined: int = 0
    prevented: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


class ValidationTable(BaseModel):
    """One :class:`ModeScore` per mode, in taxonomy order, and the number of runs."""

    runs: int
    rows: list[ModeScore]

    def row(self, mode: str) -> ModeScore:
        return next(r for r in self.rows if r.mode == mode)

    def render(self) -> str:
        """A plain-text table."""
        def fmt(x: float | None) -> str:
            return "  -  " if x is None else f"{x:.3f}"
        head = f"{'mode':<5} {'name':<34} {'TP':>4} {'FP':>4} {'FN':>4} {'TN':>4} {'undet':>5} {'prev':>4}  {'prec':>5}  {'rec':>5}  {'F1':>5}"
        lines = [f"MAST validation over {self.runs} run(s) (positives = injected_failure events)", head]
        for r in self.rows:
            lines.append(f"{r.mode:<5} {r.name[:34]:<34} {r.tp:>4} {r.fp:>4} {r.fn:>4} {r.tn:>4} {r.undetermined:>5} "
                         f"{r.prevented:>4}  {fmt(r.precision)}  {fmt(r.recall)}  {fmt(r.f1)}")
        return "\n".join(lines)


def injected_modes(events: list[dict[str, Any]]) -> set[str]:
    """The MAST ids of the run's ``injected_failure`` events (the ground truth)."""
    return {str(e.get("mast")) for e in events if e.get("type") == "injected_failure"}


def fixed_modes(events: list[dict[str, Any]]) -> set[str]:
    """The MAST ids named by the run's ``fix`` events."""
    return {str(m) for e in events if e.get("type") == "fix" for m in e.get("mast") or []}


def validate(runs: Sequence[list[dict[str, Any]]], annotator: Annotator | None = None,
             skip_prevented: bool = False) -> ValidationTable:
    """Compare the annotator's labels with the injected failures, per mode, over ``runs``."""
    annotator = annotator or StructuralAnnotator()
    rows = {m: ModeScore(mode=m, name=MODES[m].name) for m in MODE_IDS}
    for events in runs:
        truth, fixed = injected_modes(events), fixed_modes(events)
        labels = annotator.annotate(events).labels
        for m, row in rows.items():
            positive = m in truth
            if positive and m in fixed:
                row.prevented += 1
                if skip_prevented:
                    continue
            label = labels[m]
            if label is None:
                row.undetermined += 1
            elif positive and label:
                row.tp += 1
            elif positive:
                row.fn += 1
            elif label:
                row.fp += 1
            else:
                row.tn += 1
    return ValidationTable(runs=len(runs), rows=list(rows.values()))


def find_runs(paths: Sequence[str | Path]) -> list[Path]:
    """Run folders: each path that holds a ``trace.jsonl``, else every folder below it that does."""
    found: list[Path] = []
    for p in map(Path, paths):
        if not p.is_dir():
            raise InputError(f"{p}: not a folder (expected a run folder or a folder of runs)")
        if (p / TRACE_FILE).is_file():
            found.append(p)
            continue
        below = sorted(t.parent for t in p.rglob(TRACE_FILE))
        if not below:
            raise InputError(f"{p}: no {TRACE_FILE} in it or below it")
        found.extend(below)
    return list(dict.fromkeys(found))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sre_agent.mast.validate RUN_DIR...``: print the validation table."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.split("\n\n")[2] if args else "usage: python -m sre_agent.mast.validate RUN_DIR...")
        return 0 if args else 2
    try:
        runs = [load_events(d) for d in find_runs(args)]
    except InputError as exc:
        print(f"validate: error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(validate(runs).render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
