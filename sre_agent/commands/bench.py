"""``python -m sre_agent bench``: time and size the offline default triage over a scenario folder.

Runs the default configuration (offline ``clean`` model profile, all fixes as configured, seed
0) once per scenario through the eval suite and prints, beside their targets:

* median and max wall time of one triage (measured in the worker around the triage call);
* wall time of the whole suite (process-pool start-up included);
* peak memory: the largest max-RSS of any worker process, from
  ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` in the parent after the pool has exited
  (Linux reports KiB), cross-checked by the largest ``RUSAGE_SELF`` max-RSS each worker reports
  after its runs (no tracemalloc: it slows the triage and misses native allocations);
* the largest model context of any single call, in tokens (``stats.max_context_tokens``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError

#: Targets: median triage <= 2 s, whole suite <= 60 s, no model call > 8k tokens.
TARGETS = {"median_triage_s": 2.0, "suite_s": 60.0, "max_context_tokens": 8000}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenarios", type=Path, required=True, help="a folder of ITBench-Lite scenario folders")
    p.add_argument("--jobs", type=int, default=None, help="parallel worker processes (default: CPU count)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the measurements as JSON")
    p.add_argument("--out", type=Path, help="where runs are written (default ./sre-agent-runs/bench-<timestamp>)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def measure(result: Any) -> dict[str, Any]:
    """The bench figures of a :class:`~sre_agent.eval.suite.SuiteResult`, with pass/fail per target."""
    walls = [r.wall_s for r in result.runs if r.ok]
    tokens = [int(r.stats.get("max_context_tokens") or 0) for r in result.runs if r.ok]
    rss_kb = max([result.children_max_rss_kb] + [r.worker_max_rss_kb for r in result.runs])
    m: dict[str, Any] = {
        "runs": len(result.runs), "failed": len(result.failures),
        "median_triage_s": round(statistics.median(walls), 4) if walls else None,
        "max_triage_s": round(max(walls), 4) if walls else None,
        "suite_s": result.wall_s, "jobs": result.jobs,
        "peak_rss_mib": round(rss_kb / 1024, 1),
        "peak_rss_source": "max(getrusage(RUSAGE_CHILDREN).ru_maxrss after the pool exits, "
                           "per-worker getrusage(RUSAGE_SELF).ru_maxrss)",
        "max_context_tokens": max(tokens) if tokens else None,
        "targets": dict(TARGETS),
    }
    m["pass"] = {
        k: (m[k] is not None and m[k] <= limit) for k, limit in TARGETS.items()
    }
    return m


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..extras import RESEARCH, require
    require("research", *RESEARCH)
    from ..eval.suite import run_suite
    from .evaluate import check_common, default_out

    scenarios = check_common(args.scenarios, args.jobs, args.json)
    out = args.out or default_out("bench")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot be created ({exc.strerror})") from None
    result = run_suite(scenarios, config_args={}, seeds=[0], jobs=args.jobs or os.cpu_count(), out_dir=out,
                       progress=not args.no_progress, desc="bench")
    m = measure(result)
    table = Table(title=f"sre-agent bench: {m['runs']} triages, {m['jobs']} worker(s), offline default config")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("", justify="left")

    def verdict(key: str) -> str:
        return "[green]ok[/green]" if m["pass"][key] else "[red]missed[/red]"

    def fmt_s(v: float | None) -> str:
        return "–" if v is None else f"{v:.3f} s"

    table.add_row("median wall time per triage", fmt_s(m["median_triage_s"]), "≤ 2 s", verdict("median_triage_s"))
    table.add_row("max wall time per triage", fmt_s(m["max_triage_s"]), "", "")
    table.add_row("wall time of the suite", fmt_s(m["suite_s"]), "≤ 60 s", verdict("suite_s"))
    table.add_row("peak memory (max RSS of a worker)", f"{m['peak_rss_mib']:.1f} MiB", "", "")
    table.add_row("largest model context of any call",
                  "–" if m["max_context_tokens"] is None else f"{m['max_context_tokens']} tokens",
                  "≤ 8000 tokens", verdict("max_context_tokens"))
    Console().print(table)
    for r in result.failures:
        print(f"sre-agent bench: {r.scenario}: {r.error}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({**m, "runs_detail": [
            {"scenario": r.scenario, "wall_s": r.wall_s, "ok": r.ok, "error": r.error,
             "max_context_tokens": r.stats.get("max_context_tokens"), "worker_max_rss_kb": r.worker_max_rss_kb}
            for r in result.runs]}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"sre-agent bench: wrote {args.json}", file=sys.stderr)
    return 0
