"""``python -m sre_agent ablate ABLATION.yaml --out DIR``: run an ablation and write its report.

The ablation file (see :mod:`sre_agent.ablation.spec` for the schema) names the scenarios, model
profiles, seeds and fix settings.  Runs are cached in ``DIR/runs/<run_id>/``: an interrupted
sweep resumes, a repeated one only rewrites the report.  ``DIR`` receives ``results.csv``,
``timings.csv``, ``summary.json``, ``report.md`` and ``plots/``.  ``ABLATION`` may also be the
name of a packaged ablation (``smoke``, ``one-at-a-time``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("ablation", metavar="ABLATION.yaml",
                   help="an ablation file (configs/ablations/<name>.yaml) or a packaged ablation's name")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="where runs, results.csv, report.md and plots/ are written (reused: runs are cached)")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local process pool (default) or Ray tasks (RAY_ADDRESS, or a local Ray started here)")
    p.add_argument("--jobs", type=int, default=None,
                   help="parallel worker processes / CPUs for a local Ray (default: CPU count)")
    p.add_argument("--report-only", action="store_true",
                   help="only rewrite report.md, summary.json and plots/ from DIR/results.csv (runs nothing)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def resolve_ablation(value: str) -> Path:
    """The ablation file: a path, or the name of a packaged ablation (``configs/ablations/<name>.yaml``)."""
    path = Path(value)
    if path.exists() or "/" in value or value.endswith((".yaml", ".yml")):
        return path
    from ..config import packaged_configs

    packaged = packaged_configs().joinpath("ablations", f"{value}.yaml")
    if packaged.is_file():
        return Path(str(packaged))
    raise InputError(f"ablation {value!r}: no such file, nor a packaged ablation of that name")


def run(args: argparse.Namespace) -> int:
    from ..extras import PLOTS, require
    require("research", *PLOTS)
    from ..ablation import report_only, run_ablation

    if args.jobs is not None and args.jobs < 1:
        raise InputError(f"--jobs {args.jobs}: expected a positive number")
    if args.executor == "ray":
        require("ray", "ray")
    if args.report_only:
        result = report_only(resolve_ablation(args.ablation), args.out, plots=not args.no_plots)
    else:
        result = run_ablation(resolve_ablation(args.ablation), args.out, executor=args.executor, jobs=args.jobs,
                              progress=not args.no_progress, plots=not args.no_plots)
    print("\n".join(result.headline))
    print(f"sre-agent ablate: {result.n_runs} runs ({result.executed} executed, {result.reused} reused, "
          f"{result.errors} with errors) in {result.wall_s:.1f} s; report: {result.out / 'report.md'}",
          file=sys.stderr)
    return 0
