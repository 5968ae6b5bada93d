"""The real-model ablation against any OpenAI-compatible endpoint, and its table.

Runs ``configs/ablations/small-real-model.yaml``'s design -- six scenarios (three ground truths,
normal and hard variants, simulator seed 0), all fixes off and all on -- against one endpoint
(vLLM on a GPU, Ollama, llama.cpp's server, a hosted API, or the project's own
``python -m sre_agent model-server``), with ``--jobs`` set to the endpoint's concurrency and the
disk response cache on, so a re-run asks the endpoint nothing.  With ``--decision-mode
constrained`` it uses the small models' run configuration (configs/small-model-decisions.yaml),
else the default budgets.  It writes a model profile, a run
configuration and an ablation file into ``--out`` and calls ``python -m sre_agent ablate``; then
(or alone, with ``--table``) it prints one row per profile and fix setting::

    python benchmarks/real_model_ablation.py --base-url http://127.0.0.1:8000/v1 --model my-model \\
        --api-key-env MY_KEY --jobs 8 --out runs/big-model [--decision-mode constrained]
    python benchmarks/real_model_ablation.py --table runs/small-real-model   # any ablation folder

The columns: runs; mean root-cause recall; incomplete rate; tool calls executed per run (mean);
tool calls the model made per run (``tool_call`` events, executed or blocked by a fix); runs that
made at least one; runs with at least one executed; runs in which the verifier was asked (a verifier model call); runs
with a verification recorded (by the verifier, or by the verification gate re-checking claims at
the exit);
unusable answers (total); median wall per run in seconds (a run's own ``wall_s``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
GROUND_TRUTHS = ("Scenario-23", "Scenario-27", "Scenario-31")
VARIANTS = ("normal", "hard")


def simulate_scenarios(out: Path, scale: float = 0.35) -> list[Path]:
    """The six scenarios (normal and hard, seed 0) under ``out/scenarios/<variant>``, built once."""
    roots = []
    for variant in VARIANTS:
        root = out / "scenarios" / variant
        for gt in GROUND_TRUTHS:
            if not (root / gt / "alerts").is_dir():
                subprocess.run([sys.executable, "-m", "sre_agent", "simulate", str(ROOT / "eval/data/itbench-lite/ground_truths" / f"{gt}.yaml"),
                                "--out", str(root), "--seed", "0", "--scale", str(scale), "--variant", variant],
                               check=True, stdout=subprocess.DEVNULL)
        roots.append(root)
    return roots


def write_files(args: argparse.Namespace, out: Path, scenarios: list[Path]) -> Path:
    """``out/models/<name>.yaml``, ``out/config.yaml`` and ``out/ablation.yaml``; the ablation's path."""
    (out / "models").mkdir(parents=True, exist_ok=True)
    openai = {"model": args.model, "base_url": args.base_url, "api_key_env": args.api_key_env or "",
              "temperature": 0.0, "max_tokens": args.max_tokens, "timeout_seconds": args.timeout, "max_retries": 3,
              "max_concurrency": args.jobs, "cache": str((args.cache or out / "cache").resolve()), "decision_mode": args.decision_mode,
              "response_format": args.response_format,
              "model_info": {"vision": False, "function_calling": True, "json_output": True, "structured_output": False,
                             "family": "unknown", "multiple_system_messages": True}}
    (out / "models" / f"{args.name}.yaml").write_text(yaml.safe_dump({"kind": "openai", "openai": openai}), encoding="utf-8")
    small = args.decision_mode == "constrained"  # a small model's budgets, else the defaults with this wall clock
    config = yaml.safe_load((ROOT / "configs/small-model-decisions.yaml").read_text(encoding="utf-8")) if small else {"budgets": {}}
    config.update(model=args.name)
    config["budgets"]["max_wall_seconds"] = args.max_wall
    (out / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    ablation = {"description": f"The real-model ablation against {args.model} at {args.base_url}.",
                "scenarios": [str(p.resolve()) for p in scenarios], "config": "config.yaml", "profiles": [args.name],
                "seeds": 1, "design": "explicit", "settings": {"all-off": [], "all-on": {"all": "on"}},
                "baseline": "all-off", "failed_threshold": 0.5}
    path = out / "ablation.yaml"
    path.write_text(yaml.safe_dump(ablation, sort_keys=False), encoding="utf-8")
    return path


def _setting(fixes: dict[str, bool]) -> str:
    on = sorted(k for k, v in fixes.items() if v)
    return "all-on" if on and len(on) == len(fixes) else "all-off" if not on else "+".join(on)


def run_rows(folder: Path) -> list[dict[str, Any]]:
    """One row per finished run under ``folder`` (an ablation's ``--out``), read from its files."""
    rows = []
    for done in sorted(folder.glob("runs/*/DONE")):
        run = done.parent
        key = json.loads((run / "key.json").read_text())
        result = json.loads((run / "result.json").read_text())
        stats = json.loads((run / "stats.json").read_text()) if (run / "stats.json").is_file() else result.get("stats", {})
        events = [json.loads(x) for x in (run / "trace.jsonl").read_text().splitlines() if x.strip()]
        rows.append({"profile": key["config"]["model"], "setting": _setting(key["config"]["fixes"]),
                     "scenario": result.get("scenario"), "recall": (result.get("score") or {}).get("recall"),
                     "incomplete": bool(stats.get("incomplete")), "tool_calls": int(stats.get("tool_calls", 0)),
                     "made": sum(e["type"] == "tool_call" for e in events),
                     "verified": any(e["type"] == "model_call" and e.get("agent") == "verifier" for e in events),
                     "checked": any(e["type"] == "verification" for e in events),
                     "unusable": int(stats.get("unusable_answers", 0)), "stop_reason": stats.get("stop_reason", ""),
                     "wall_s": float(stats.get("wall_s", 0.0)), "mast": result.get("mast") or {}})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """A markdown table: one line per (profile, setting), then the MAST modes the annotator found."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["profile"], r["setting"])].append(r)
    lines = ["| profile | setting | runs | recall | incomplete | tool calls/run | calls made/run | runs making a call | runs with a call executed | verifier asked | verification recorded | unusable | median wall s | stop reasons | MAST modes (runs) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for (profile, setting), rs in sorted(groups.items()):
        recalls = [r["recall"] for r in rs if r["recall"] is not None]
        stops: dict[str, int] = defaultdict(int)
        modes: dict[str, int] = defaultdict(int)
        for r in rs:
            stops[r["stop_reason"]] += 1
            for m, v in r["mast"].items():
                modes[m] += 1 if v else 0
        n = len(rs)
        lines.append(f"| {profile} | {setting} | {n} | {statistics.mean(recalls) if recalls else float('nan'):.2f} | "
                     f"{sum(r['incomplete'] for r in rs) / n:.0%} | {statistics.mean(r['tool_calls'] for r in rs):.1f} | "
                     f"{statistics.mean(r['made'] for r in rs):.1f} | {sum(r['made'] > 0 for r in rs)}/{n} | "
                     f"{sum(r['tool_calls'] > 0 for r in rs)}/{n} | {sum(r['verified'] for r in rs)}/{n} | {sum(r['checked'] for r in rs)}/{n} | "
                     f"{sum(r['unusable'] for r in rs)} | {statistics.median(r['wall_s'] for r in rs):.0f} | "
                     f"{', '.join(f'{k} {v}' for k, v in sorted(stops.items()))} | "
                     f"{', '.join(f'{m}: {c}' for m, c in sorted(modes.items()) if c) or 'none'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="real_model_ablation", description=__doc__.splitlines()[0])
    p.add_argument("--table", type=Path, metavar="DIR", help="only print the table of an ablation folder")
    p.add_argument("--base-url", help="the endpoint, e.g. http://127.0.0.1:8000/v1")
    p.add_argument("--model", help="the model name the endpoint serves")
    p.add_argument("--name", default="endpoint", help="the profile's name (default endpoint)")
    p.add_argument("--api-key-env", default="", help="environment variable holding the API key (none: no key)")
    p.add_argument("--jobs", type=int, default=4, help="runs in parallel = calls in flight (the endpoint's concurrency)")
    p.add_argument("--decision-mode", choices=("free", "constrained"), default="free")
    p.add_argument("--response-format", choices=("none", "json_schema", "json_object_schema"), default="none")
    p.add_argument("--max-tokens", type=int, default=1024)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per call")
    p.add_argument("--max-wall", type=float, default=600.0, help="wall-clock budget of one run, seconds")
    p.add_argument("--out", type=Path, help="folder for scenarios, files, runs and the cache (reused)")
    p.add_argument("--cache", type=Path, help="the disk response cache (default OUT/cache)")
    args = p.parse_args(argv)
    if args.table:
        print(table(run_rows(args.table)))
        return 0
    if not (args.base_url and args.model and args.out):
        p.error("--base-url, --model and --out are needed (or --table DIR)")
    args.out.mkdir(parents=True, exist_ok=True)
    ablation = write_files(args, args.out, simulate_scenarios(args.out))
    proc = subprocess.run([sys.executable, "-m", "sre_agent", "ablate", str(ablation), "--out", str(args.out / "ablation"),
                           "--jobs", str(args.jobs), "--no-plots", "--no-progress"], env=os.environ.copy())
    print(table(run_rows(args.out / "ablation")))
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
