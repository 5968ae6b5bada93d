"""Recordings of real size: one offline triage per scale of the same incident, whole process each.

Simulates one ground truth at each ``--scale`` (request-rate multiplier: more spans and logs,
the same incident), then runs ``python -m sre_agent triage`` on each as a subprocess, ``--repeat``
times, scales interleaved (so a busy machine slows all of them alike), and prints per scale: the
size of the recording, the median wall time of the whole triage process (start-up and imports
included: a triage is a process), its ratio to the smallest scale's, the peak RSS of the triage
process (``ru_maxrss`` of that child, from ``os.wait4``), and the root cause it named.  The load
average before and after says how busy the machine was.

    python benchmarks/bench_scale.py --scale 1,4,16 --repeat 3

Targets (issue 26): the 16x triage at most 2.5x the 1x wall time, at most 300 MB peak RSS at
16x, the same root cause at every scale.  Runs from a clone; simulations are kept under ``--out``
and reused when present (same seed, same bytes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GT = ROOT / "eval" / "data" / "itbench-lite" / "ground_truths" / "Scenario-27.yaml"
TARGET_RATIO, TARGET_RSS_MB = 2.5, 300.0


def simulate(ground_truth: Path, out: Path, scale: float, seed: int) -> Path:
    """The scenario folder at ``scale`` (simulated once; a finished folder is reused)."""
    folder = out / f"x{scale:g}" / ground_truth.stem
    done = out / f"x{scale:g}" / ".complete"
    if not done.is_file():
        subprocess.run([sys.executable, "-m", "sre_agent", "simulate", str(ground_truth), "--out", str(done.parent),
                        "--scale", str(scale), "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL)
        done.write_text("")
    return folder


def recording_size(folder: Path) -> tuple[int, float]:
    """(span + log rows, MB of TSV) of a scenario folder (rows: lines less headers; bodies hold no newline here)."""
    rows = 0
    for name in ("otel_traces_raw.tsv", "otel_logs_raw.tsv"):
        with open(folder / name, "rb") as fh:
            rows += sum(1 for _ in fh) - 1
    size = sum(p.stat().st_size for p in folder.rglob("*.tsv"))
    return rows, size / 1e6


def triage(folder: Path, out: Path) -> tuple[float, float, list[str]]:
    """One triage process: (wall seconds, peak RSS MB, root-cause entity ids)."""
    cmd = [sys.executable, "-m", "sre_agent", "triage", "--alert", str(folder / "alerts"), "--output-dir", str(out),
           "--format", "json"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    stdout = proc.stdout.read() if proc.stdout else b""
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench_scale: triage of {folder} exited {proc.returncode}")
    result = json.loads(stdout)
    causes = sorted(e["id"] for e in result.get("entities", []) if e.get("contributing_factor"))
    return wall, usage.ru_maxrss / 1024, causes  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ground-truth", type=Path, default=DEFAULT_GT)
    p.add_argument("--scale", default="1,4,16", help="comma-separated scales (default 1,4,16)")
    p.add_argument("--repeat", type=int, default=3, help="triages per scale (median reported; default 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("bench-scale"), help="simulations and runs (default ./bench-scale)")
    p.add_argument("--json", type=Path, help="write the figures as JSON")
    args = p.parse_args(argv)
    scales = [float(s) for s in args.scale.split(",") if s.strip()]
    folders = {s: simulate(args.ground_truth, args.out, s, args.seed) for s in scales}
    load_before = os.getloadavg()
    runs: dict[float, list[tuple[float, float, list[str]]]] = {s: [] for s in scales}
    for i in range(args.repeat):
        for s in scales:
            runs[s].append(triage(folders[s], args.out / "runs" / f"x{s:g}-{i}"))
    load_after = os.getloadavg()
    base = statistics.median(w for w, _, _ in runs[scales[0]])
    causes = {s: runs[s][0][2] for s in scales}
    same = all(r[2] == causes[scales[0]] for s in scales for r in runs[s])
    print(f"bench_scale: {args.ground_truth.stem}, seed {args.seed}, {args.repeat} triage(s) per scale, interleaved; "
          f"{os.cpu_count()} CPU(s), load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print(f"{'scale':>6} {'rows':>9} {'TSV MB':>7} {'median s':>9} {'ratio':>6} {'peak RSS MB':>12}  root cause")
    figures = []
    for s in scales:
        rows, mb = recording_size(folders[s])
        walls = [w for w, _, _ in runs[s]]
        rss = [m for _, m, _ in runs[s]]
        med = statistics.median(walls)
        figures.append({"scale": s, "rows": rows, "tsv_mb": round(mb, 1), "wall_s": [round(w, 3) for w in walls],
                        "median_wall_s": round(med, 3), "ratio": round(med / base, 2),
                        "peak_rss_mb": [round(m, 1) for m in rss], "root_cause": causes[s]})
        print(f"{s:>5g}x {rows:>9,} {mb:>7.1f} {med:>9.2f} {med / base:>5.2f}x {max(rss):>12.1f}  "
              f"{', '.join(causes[s]) or '-'}")
    top = figures[-1]
    print(f"targets: {top['scale']:g}x at most {TARGET_RATIO}x the {scales[0]:g}x wall time: "
          f"{'ok' if top['ratio'] <= TARGET_RATIO else 'missed'} ({top['ratio']}x); peak RSS at most "
          f"{TARGET_RSS_MB:.0f} MB: {'ok' if max(top['peak_rss_mb']) <= TARGET_RSS_MB else 'missed'} "
          f"({max(top['peak_rss_mb']):.0f} MB); same root cause at every scale: {'yes' if same else 'NO'}")
    if args.json:
        args.json.write_text(json.dumps({"ground_truth": args.ground_truth.stem, "seed": args.seed,
                                         "load_average": [load_before[0], load_after[0]], "scales": figures,
                                         "same_root_cause": same}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
