"""Is the reported confidence a probability?  Points, expected calibration error, reliability.

Every scored run contributes one *point* per entity it reports: its ``confidence`` (as written
in ``agent_output.json``), whether it is a true root cause (it matches a root-cause class of the
ground truth, :mod:`sre_agent.eval.scoring`'s rules), whether it is in the answer or one of the
ranked ``alternatives``, its rank, and its evidence features (what the calibration map is fitted
on: :mod:`sre_agent.eval.calibrate`).

The figures ``eval`` prints (:func:`confidence_summary`), over the answers' **top** root causes
(rank 1, one per run):

* ``ece``: expected calibration error over 10 equal-width confidence bins,
  ``sum_b (n_b / N) * |accuracy_b - mean confidence_b|`` (:func:`expected_calibration_error`):
  how far, on average over answers, the stated confidence is from the observed share right;
* ``high_n`` / ``high_right``: answers with confidence >= 0.8, and the share of them right at rank 1;
* ``mean_right`` / ``mean_wrong`` / ``gap``: mean confidence of right and of wrong answers.

No scikit-learn here: this module runs in every ``eval``.  matplotlib is imported only to draw
the reliability diagram (:func:`reliability_png`).

Example:
    >>> expected_calibration_error([0.9, 0.9, 0.3, 0.3], [True, False, False, False])  # (0.4 + 0.3) / 2
    0.35
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .scoring import GroundTruth, _matches_class, load_ground_truth, parse_entity

__all__ = ["Point", "expected_calibration_error", "reliability_bins", "answer_points", "run_points",
           "confidence_summary", "reliability_png", "print_confidence", "HIGH_CONFIDENCE"]

#: the issue's "high confidence" line
HIGH_CONFIDENCE = 0.8


@dataclass
class Point:
    """One reported entity: confidence, truth, where it was reported, its evidence features."""

    confidence: float
    correct: bool
    in_answer: bool
    rank: int
    features: dict[str, float] = field(default_factory=dict)
    run: str = ""


def reliability_bins(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> list[tuple[int, float, float]]:
    """Per equal-width bin ``[i/bins, (i+1)/bins)`` (the last one closed): ``(n, mean confidence,
    accuracy)``; an empty bin is ``(0, nan, nan)``."""
    c = np.asarray(confidence, dtype=float)
    y = np.asarray(correct, dtype=float)
    idx = np.minimum((c * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        m = idx == b
        n = int(m.sum())
        out.append((n, float(c[m].mean()) if n else float("nan"), float(y[m].mean()) if n else float("nan")))
    return out


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """``sum_b (n_b / N) |accuracy_b - confidence_b|`` over equal-width bins; 0.0 without points."""
    total = len(confidence)
    if not total:
        return 0.0
    return round(sum(n / total * abs(acc - conf) for n, conf, acc in reliability_bins(confidence, correct, bins) if n), 6)


def _is_root_cause(entity_id: str, gt: GroundTruth) -> bool:
    ent = parse_entity(entity_id)
    return not ent.ignored and any(_matches_class(ent, groups) for groups in gt.root_cause_classes().values())


def answer_points(answer: dict[str, Any], gt: GroundTruth, run: str = "") -> list[Point]:
    """The points of one answer: its contributing entities (rank 1, 2, ...), then its alternatives."""
    points = []
    roots = [e for e in answer.get("entities", []) if e.get("contributing_factor") and "confidence" in e]
    for rank, e in enumerate(roots, 1):
        points.append(Point(float(e["confidence"]), _is_root_cause(e["id"], gt), True, rank,
                            dict(e.get("confidence_features") or {}), run))
    for rank, e in enumerate(answer.get("alternatives", []), len(roots) + 1):
        points.append(Point(float(e.get("confidence", 0.0)), _is_root_cause(e["id"], gt), False, rank,
                            dict(e.get("confidence_features") or {}), run))
    return points


def run_points(runs: Iterable[Any]) -> list[Point]:
    """Points of every scored suite run (:class:`~sre_agent.eval.suite.RunResult`), read from its
    ``agent_output.json`` and its scenario's ground truth; runs without either are skipped."""
    from .suite import ground_truth_path

    points: list[Point] = []
    gts: dict[str, GroundTruth] = {}
    for r in runs:
        out = Path(r.output_dir) / "agent_output.json"
        gt_path = ground_truth_path(Path(r.path))
        if not r.ok or gt_path is None or not out.is_file():
            continue
        if str(gt_path) not in gts:
            gts[str(gt_path)] = load_ground_truth(gt_path)
        points += answer_points(json.loads(out.read_text(encoding="utf-8")), gts[str(gt_path)], f"{r.scenario}#{r.seed}")
    return points


def confidence_summary(points: Sequence[Point]) -> dict[str, Any]:
    """The figures of the module docstring, over the top root cause of each answer."""
    top = [p for p in points if p.in_answer and p.rank == 1]
    conf = [p.confidence for p in top]
    right = [p.confidence for p in top if p.correct]
    wrong = [p.confidence for p in top if not p.correct]
    high = [p for p in top if p.confidence >= HIGH_CONFIDENCE]
    mean_right = float(np.mean(right)) if right else None
    mean_wrong = float(np.mean(wrong)) if wrong else None
    return {"n": len(top), "right": len(right), "ece": expected_calibration_error(conf, [p.correct for p in top]),
            "high_n": len(high), "high_right": (sum(p.correct for p in high) / len(high)) if high else None,
            "mean_right": mean_right, "mean_wrong": mean_wrong,
            "gap": None if mean_right is None or mean_wrong is None else mean_right - mean_wrong}


def reliability_png(points: Sequence[Point], path: Path | str, title: str = "top root causes") -> Path:
    """Draw the reliability diagram of the answers' top root causes (matplotlib, Agg) into ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = [p for p in points if p.in_answer and p.rank == 1]
    bins = reliability_bins([p.confidence for p in top], [p.correct for p in top])
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    xs = [(b + 0.5) / 10 for b, (n, _, _) in enumerate(bins) if n]
    ax.bar(xs, [acc for n, _, acc in bins if n], width=0.09, alpha=0.6, label="share right per bin (n above)")
    ax.plot([conf for n, conf, _ in bins if n], [acc for n, _, acc in bins if n], "o-", color="black", label="bin: mean confidence vs share right")
    for x, (n, _, acc) in zip(xs, [b for b in bins if b[0]]):
        ax.annotate(str(n), (x, acc), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7)
    ece = expected_calibration_error([p.confidence for p in top], [p.correct for p in top])
    ax.set(xlim=(0, 1), ylim=(0, 1.05), xlabel="reported confidence", ylabel="share right at rank 1",
           title=f"{title}: ECE {ece:.3f} (n={len(top)})")
    ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def print_confidence(summary: dict[str, Any], console: Any = None) -> None:
    """The confidence figures as a rich table."""
    from rich.console import Console
    from rich.table import Table

    def f(v: Any) -> str:
        return "–" if v is None else f"{v:.3f}"

    table = Table(title=f"confidence of the top root cause ({summary['n']} answers, {summary['right']} right)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("expected calibration error (10 bins)", f(summary["ece"]))
    table.add_row(f"answers with confidence >= {HIGH_CONFIDENCE}", str(summary["high_n"]))
    table.add_row("  of them right at rank 1", f(summary["high_right"]))
    table.add_row("mean confidence, right answers", f(summary["mean_right"]))
    table.add_row("mean confidence, wrong answers", f(summary["mean_wrong"]))
    table.add_row("difference", f(summary["gap"]))
    (console or Console()).print(table)
