"""``python -m sre_agent triage``: diagnose one incident from an alert."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--alert", type=Path, required=True,
                   help="an ITBench-Lite alert dump, an Alertmanager webhook payload, a Prometheus /api/v1/alerts "
                        "response, or a scenario's alerts/ folder")
    p.add_argument("--snapshot", type=Path, help="the recorded incident (ITBench-Lite scenario folder); "
                                                 "default: the scenario holding the alert file")
    p.add_argument("--output-dir", type=Path, help="where to write agent_output.json, report.md, trace.jsonl "
                                                   "(default ./sre-agent-runs/<timestamp>)")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown", help="what to print on stdout")
    p.add_argument("--config", type=Path, help="a YAML run configuration (see configs/default.yaml)")
    p.add_argument("--model", help="model profile name from configs/models/ (default: clean)")
    p.add_argument("--fix", action="append", default=[], metavar="NAME=on|off",
                   help="switch a structural fix (repeatable; all=off switches every fix)")
    p.add_argument("--seed", type=int, help="seed for model profiles that inject failures")


def run(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..runner import run_triage

    config = load_config(args.config, args.fix, args.model, args.seed)
    result = run_triage(alert=args.alert, snapshot=args.snapshot, output_dir=args.output_dir, config=config)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.agent_output, indent=2, sort_keys=True) + "\n")
    else:
        sys.stdout.write(result.report_md)
    print(f"sre-agent triage: wrote {result.output_dir}/agent_output.json, report.md, trace.jsonl", file=sys.stderr)
    return 0
