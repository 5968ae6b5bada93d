"""``python -m sre_agent simulate``: build ITBench-Lite scenario folders from ground truths.

    python -m sre_agent simulate GROUND_TRUTH.yaml --out DIR [--seed N] [--dump-chaos-objects]
    python -m sre_agent simulate --all GT_DIR --out DIR [--seed N] [--jobs N]
    ... [--variant hard] [--hard no-prefault-dump,root-without-traces,...]

Each ground truth becomes ``DIR/Scenario-<id>/``.  Bad input ends with one line and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sre_agent.errors import InputError

from .groundtruth import GroundTruthError
from .hard import SWITCHES, parse_switches
from .scenario import run as run_scenario


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the ``simulate`` options."""
    parser.add_argument("ground_truth", nargs="?", help="one ground-truth YAML file")
    parser.add_argument("--all", metavar="GT_DIR", help="simulate every *.yaml ground truth of this folder")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder that receives Scenario-<id>/ folders")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same bytes; default 0)")
    parser.add_argument("--jobs", type=int, default=0, help="parallel processes for --all (default: CPU count)")
    parser.add_argument("--scale", type=float, default=1.0, help="request-rate multiplier (default 1.0)")
    parser.add_argument("--dump-chaos-objects", action="store_true",
                        help="also dump Chaos Mesh custom resources into k8s_objects_raw.tsv (the real recorder does not)")
    parser.add_argument("--variant", choices=("normal", "hard"), default="normal",
                        help="hard: every hard switch on (default normal)")
    parser.add_argument("--hard", metavar="SWITCHES", default="",
                        help="comma-separated hard switches (instead of --variant hard): " + ", ".join(SWITCHES))


def _one(job: tuple[str, str, int, bool, float, tuple[str, ...]]) -> tuple[str, str, dict[str, int]]:
    path, out, seed, dump, scale, hard = job
    try:
        report = run_scenario(path, out, seed, dump, scale, hard)
    except GroundTruthError as exc:
        return path, f"error: {exc}", {}
    return path, str(report.folder), report.rows


def run_cli(args: argparse.Namespace) -> int:
    if bool(args.ground_truth) == bool(args.all):
        raise InputError("give either one GROUND_TRUTH.yaml or --all GT_DIR (exactly one of them)")
    if args.scale <= 0:
        raise InputError(f"--scale {args.scale}: expected a positive number")
    try:
        hard = parse_switches("hard" if args.variant == "hard" else args.hard)
    except ValueError as exc:
        raise InputError(f"--hard: {exc}") from None
    if args.variant == "hard" and args.hard:
        raise InputError("give --variant hard (every switch) or --hard SWITCHES, not both")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder (expected a folder for Scenario-<id>/ output)")
    if args.ground_truth:
        try:
            report = run_scenario(args.ground_truth, out, args.seed, args.dump_chaos_objects, args.scale, hard)
        except GroundTruthError as exc:
            raise InputError(str(exc)) from None
        total = report.rows.get("logs", 0) + report.rows.get("spans", 0)
        print(f"{report.folder}: {total} log+span rows, {report.rows.get('metrics', 0)} metric rows")
        return 0
    gt_dir = Path(args.all)
    if not gt_dir.is_dir():
        raise InputError(f"--all {gt_dir}: not a folder (expected a folder of ground-truth *.yaml files)")
    files = sorted(str(p) for p in gt_dir.glob("*.yaml"))
    if not files:
        raise InputError(f"--all {gt_dir}: no *.yaml ground truths in this folder")
    jobs = [(f, str(out), args.seed, args.dump_chaos_objects, args.scale, hard) for f in files]
    workers = args.jobs or os.cpu_count() or 1
    from tqdm import tqdm

    failed = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for path, where, _rows in tqdm(pool.map(_one, jobs), total=len(jobs), desc="scenarios", unit="scenario",
                                       file=sys.stderr, disable=None):  # None: no bar when stderr is not a terminal
            if where.startswith("error:"):
                failed += 1
                print(f"{path}: {where}", file=sys.stderr)
    print(f"{len(files) - failed} scenarios written to {out}" + (f", {failed} ground truths rejected" if failed else ""))
    return 2 if failed else 0


def run(args: argparse.Namespace) -> int:
    """Entry point called by ``sre_agent.cli``."""
    return run_cli(args)
