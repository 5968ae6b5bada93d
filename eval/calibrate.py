"""Fit the confidence map from simulated scenario folders (research side: scikit-learn).

``python -m sre_agent.eval.calibrate --scenarios DIR [DIR ...] --out configs/calibration.yaml``
triages every scenario of the folders (the suite, seed 0, default configuration), collects one
point per reported entity -- answer entities and ranked alternatives, each with its evidence
features and whether it is a true root cause (:func:`sre_agent.eval.calibration.run_points`) --
and fits

1. a logistic regression over the standardised features (scikit-learn, L2, ``C``), then
2. an isotonic regression of the truth on that model's probability (``--isotonic``, default on),
   which corrects what a straight logistic curve cannot,

and writes both as plain numbers (:class:`sre_agent.confidence.CalibrationMap`): a triage applies
them with numpy alone.  Fit on tuning seeds only (0-2 in this project; check on 3-5 with
``eval``); never on held-out seeds.  The features are recorded raw in ``agent_output.json``, so the
map in force while the folders are triaged does not change the points, only which entity of a
cause is the answer and which an alternative.

Example (a tiny fit on synthetic points)::

    >>> pts = [Point(0.0, i % 3 != 0, True, 1, {"score": 0.2 + 0.6 * (i % 3 != 0)}) for i in range(30)]
    >>> m = fit(pts, names=("score",), isotonic=False)
    >>> m.apply({"score": 0.8}) > 0.8 > 0.2 > m.apply({"score": 0.2})
    True
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sre_agent.confidence import FEATURES, CalibrationMap

from .calibration import Point, confidence_summary, reliability_png, run_points

__all__ = ["fit", "collect", "main"]


def fit(points: Sequence[Point], *, names: Sequence[str] = FEATURES, c: float = 1.0, isotonic: bool = True,
        meta: dict[str, Any] | None = None) -> CalibrationMap:
    """Logistic regression over the standardised features, then (optionally) isotonic regression."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    x = np.array([[p.features.get(n, 0.0) for n in names] for p in points], dtype=float)
    y = np.array([p.correct for p in points], dtype=int)
    if len(set(y)) < 2:
        raise ValueError("calibration needs right and wrong points; triage more (or harder) scenarios")
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / scale, y)
    cmap = CalibrationMap(names=tuple(names), mean=tuple(mean), scale=tuple(scale), coef=tuple(lr.coef_[0]),
                          intercept=float(lr.intercept_[0]), meta=meta)
    if not isotonic:
        return cmap
    raw = np.array([cmap.raw(p.features) for p in points])
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
    return CalibrationMap(cmap.names, cmap.mean, cmap.scale, cmap.coef, cmap.intercept,
                          tuple(float(v) for v in iso.X_thresholds_), tuple(float(v) for v in iso.y_thresholds_), meta)


def collect(folders: Sequence[Path], work: Path, jobs: int, reuse: bool = False) -> list[Point]:
    """Triage every scenario of ``folders`` (seed 0) into ``work`` and return the points; with
    ``reuse``, a scenario whose answer is already in ``work`` is read, not triaged again."""
    from types import SimpleNamespace

    from .suite import find_scenarios, run_suite, scenario_names

    points: list[Point] = []
    for folder in folders:
        scenarios = find_scenarios(folder)
        out = work / folder.name
        done = [SimpleNamespace(ok=True, path=str(s), output_dir=str(out / n / "seed-0"), scenario=n, seed=0)
                for n, s in zip(scenario_names(scenarios), scenarios)]
        if not (reuse and all((Path(r.output_dir) / "agent_output.json").is_file() for r in done)):
            done = run_suite(scenarios, seeds=1, jobs=jobs, out_dir=out, progress=False).runs
        points += run_points(done)
        print(f"calibrate: {folder}: {len(scenarios)} scenarios, {len(points)} points so far", file=sys.stderr)
    return points


def _figures(label: str, points: Sequence[Point], cmap: CalibrationMap) -> dict[str, Any]:
    """The summary with each point's confidence recomputed by ``cmap`` from its recorded features."""
    again = [Point(cmap.apply(p.features), p.correct, p.in_answer, p.rank, p.features, p.run) for p in points]
    s = confidence_summary(again)
    print(f"calibrate: {label}: top root causes n={s['n']} ECE={s['ece']:.3f} high(>=0.8) n={s['high_n']} "
          f"right={s['high_right']} mean right={s['mean_right']} wrong={s['mean_wrong']}", file=sys.stderr)
    return s


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sre_agent.eval.calibrate", description=__doc__.split("\n\n")[0])
    p.add_argument("--scenarios", type=Path, nargs="+", required=True, help="simulated scenario folders (tuning seeds)")
    p.add_argument("--out", type=Path, required=True, help="where to write the map (configs/calibration.yaml)")
    p.add_argument("--work", type=Path, default=Path("sre-agent-runs/calibrate"), help="where the triages are written")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--c", type=float, default=1.0, help="inverse L2 strength of the logistic regression")
    p.add_argument("--no-isotonic", action="store_true", help="logistic model only")
    p.add_argument("--reuse", action="store_true", help="read answers already triaged into --work instead of triaging")
    p.add_argument("--png", type=Path, help="reliability diagram of the fit set, recomputed with the new map")
    args = p.parse_args(argv)
    points = collect(args.scenarios, args.work, args.jobs, args.reuse)
    meta = {"fitted": True, "scenarios": [str(s) for s in args.scenarios], "points": len(points),
            "right": int(sum(p.correct for p in points)), "c": args.c}
    cmap = fit(points, c=args.c, isotonic=not args.no_isotonic, meta=meta)
    summary = _figures("fit set (in-sample)", points, cmap)
    meta["fit_ece_top_in_sample"] = round(summary["ece"], 4)  # optimistic: the points it was fitted on
    args.out.write_text("# fitted by python -m sre_agent.eval.calibrate; applied by sre_agent/confidence.py (numpy only)\n"
                        + yaml.safe_dump(cmap.to_dict(), sort_keys=False, width=120, default_flow_style=None), encoding="utf-8")
    print(f"calibrate: wrote {args.out}", file=sys.stderr)
    if args.png:
        again = [Point(cmap.apply(p.features), p.correct, p.in_answer, p.rank, p.features, p.run) for p in points]
        print(f"calibrate: wrote {reliability_png(again, args.png, 'fit set')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
