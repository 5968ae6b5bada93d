"""``python -m sre_agent eval``: triage every scenario of a folder (× seeds) and score it.

Prints a per-run table, the mean recall / precision / F1 (95 % bootstrap interval) and
ITBench-Evaluations' metrics (mean ± stderr, pass@1) with the ITBench-AA score beside them, and
how well the top root cause's confidence is calibrated (expected calibration error, with a
reliability diagram written to ``<out>/reliability.png``) on stdout, a progress bar on stderr.
``--json FILE`` writes every run, score and the summary; with ``--format itbench`` it writes
ITBench-Evaluations' ``evaluation_results.json`` shape instead (without ``--json``, into
``<out>/evaluation_results.json``).  ``--judge llm --judge-model PROFILE`` adds the
``root_cause_reasoning`` metric, graded by that model profile.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import InputError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenarios", type=Path, required=True,
                   help="a folder of ITBench-Lite scenario folders (or one scenario, or a whole download)")
    p.add_argument("--jobs", type=int, default=None, help="parallel worker processes (default: CPU count)")
    p.add_argument("--seeds", type=int, default=1, help="runs per scenario, seeds 0..N-1 (default 1)")
    p.add_argument("--model", help="model profile name from configs/models/ (default: clean)")
    p.add_argument("--fix", action="append", default=[], metavar="NAME=on|off",
                   help="switch a structural fix (repeatable; all=off switches every fix)")
    p.add_argument("--config", type=Path, help="a YAML run configuration")
    p.add_argument("--out", type=Path, help="where runs are written (default ./sre-agent-runs/eval-<timestamp>)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write every run, score and the summary as JSON")
    p.add_argument("--format", choices=("sre-agent", "itbench"), default="sre-agent",
                   help="shape of the JSON result: ours (default) or ITBench-Evaluations' evaluation_results.json")
    p.add_argument("--judge", choices=("none", "llm"), default="none",
                   help="llm: grade root-cause reasoning with --judge-model, as ITBench-Evaluations does")
    p.add_argument("--judge-model", metavar="PROFILE", help="model profile of the LLM judge (with --judge llm)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def check_common(scenarios_dir: Path, jobs: int | None, json_path: Path | None) -> list[Path]:
    """Validate the options shared with ``bench``; returns the scenario folders (InputError if none)."""
    from ..eval.suite import find_scenarios

    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs {jobs}: expected a positive number of worker processes")
    if not scenarios_dir.exists():
        raise InputError(f"--scenarios {scenarios_dir}: no such folder")
    if not scenarios_dir.is_dir():
        raise InputError(f"--scenarios {scenarios_dir}: not a folder")
    if json_path is not None and json_path.parent and not json_path.parent.is_dir():
        raise InputError(f"--json {json_path}: folder {json_path.parent} does not exist")
    found = find_scenarios(scenarios_dir)
    if not found:
        raise InputError(f"--scenarios {scenarios_dir}: no scenario folder found at any depth (expected folders holding alerts/, recorded TSVs or a ground_truth.yaml)")
    return found


def default_out(prefix: str) -> Path:
    return Path("sre-agent-runs") / f"{prefix}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"


def run(args: argparse.Namespace) -> int:
    import sys

    from ..config import load_config
    from ..extras import RESEARCH, require
    require("research", *RESEARCH)
    from ..eval.suite import print_table, run_suite

    if args.seeds < 1:
        raise InputError(f"--seeds {args.seeds}: expected at least 1")
    scenarios = check_common(args.scenarios, args.jobs, args.json)
    config_args: dict[str, Any] = {"path": args.config, "fixes": list(args.fix), "model": args.model}
    load_config(args.config, args.fix, args.model, 0)  # bad config / profile / fix -> one line now, not per run
    if args.judge == "llm":
        if not args.judge_model:
            raise InputError("--judge llm needs --judge-model PROFILE (a model profile of the judge)")
        load_config(args.config, (), args.judge_model, 0)
        config_args["judge_model"] = args.judge_model
    elif args.judge_model:
        raise InputError("--judge-model is used only with --judge llm")
    out = args.out or default_out("eval")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot be created ({exc.strerror})") from None
    result = run_suite(scenarios, config_args=config_args, seeds=args.seeds, jobs=args.jobs or os.cpu_count(),
                       out_dir=out, progress=not args.no_progress)
    print_table(result)
    from ..eval.itbench import print_statistics, raw_results, statistics, write_results

    raw = raw_results(result.runs)
    if raw:
        print_statistics(statistics(raw))
    from ..eval.calibration import confidence_summary, print_confidence, reliability_png, run_points

    points = run_points(result.runs)
    calibration = confidence_summary(points) if points else None
    if calibration:
        print_confidence(calibration)
        print(f"sre-agent eval: wrote {reliability_png(points, out / 'reliability.png')}", file=sys.stderr)
    if args.format == "itbench":
        path = args.json or out / "evaluation_results.json"
        write_results(path, raw, {"outputs_path": str(out), "scenarios": str(args.scenarios), "k": 3,
                                  "seeds": result.seeds, "model": args.model or "clean",
                                  "judge": args.judge_model if args.judge == "llm" else None,
                                  "matcher": "sre-agent deterministic (see sre_agent/eval/itbench.py)"})
        print(f"sre-agent eval: wrote {path}", file=sys.stderr)
    elif args.json:
        import json

        args.json.write_text(json.dumps(result.to_dict() | {"confidence": calibration}, indent=2, sort_keys=True,
                                        default=str) + "\n", encoding="utf-8")
        print(f"sre-agent eval: wrote {args.json}", file=sys.stderr)
    print(f"sre-agent eval: runs in {out}", file=sys.stderr)
    return 0
