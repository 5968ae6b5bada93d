"""How long a live-mode triage takes: one simulated scenario served by real servers on loopback.

Simulates the scenario, starts Prometheus (backfilled), kmock, a Jaeger stub and Alertmanager
(:class:`~sre_agent.backends.live_testing.LiveScenario`), then times ``run_triage`` over the
:class:`~sre_agent.backends.live.LiveBackend` (wall time, server start-up excluded) next to the
same triage over the snapshot, and prints both with the diagnosis.

Usage::

    python -m sre_agent.eval.bench_live [--scenario Scenario-27] [--repeat 3] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_live", description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="Scenario-27")
    p.add_argument("--ground-truths", type=Path,
                   default=Path(__file__).resolve().parent / "data" / "itbench-lite" / "ground_truths")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--scale", type=float, default=1.0)
    args = p.parse_args(argv)

    from sre_agent.backends.live_testing import LiveScenario
    from sre_agent.runner import run_triage
    from sre_agent.simulator import simulate
    from sre_agent.snapshot import SnapshotBackend

    truth = args.ground_truths / f"{args.scenario}.yaml"
    if not truth.is_file():
        print(f"bench_live: {truth}: not found", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        work = Path(tmp)
        folder = simulate(truth, work / "sim", scale=args.scale)
        t0 = time.monotonic()
        with LiveScenario(SnapshotBackend(folder), work / "servers") as live:
            startup = time.monotonic() - t0
            rows = []
            for i in range(args.repeat):
                for mode in ("snapshot", "live"):
                    kwargs = {"backend": live.fresh_backend()} if mode == "live" else {}
                    t = time.monotonic()
                    result = run_triage(alert=folder / "alerts", output_dir=work / f"{mode}-{i}", **kwargs)
                    wall = time.monotonic() - t
                    if mode == "live":
                        kwargs["backend"].close()
                    roots = [e["id"] for e in result.agent_output["entities"] if e.get("contributing_factor")]
                    rows.append((mode, wall, result.stats["tool_calls"], roots))
    print(f"scenario {args.scenario} (scale {args.scale}); server start-up {startup:.1f} s (not counted)")
    for mode in ("snapshot", "live"):
        walls = [w for m, w, _, _ in rows if m == mode]
        last = [r for r in rows if r[0] == mode][-1]
        print(f"{mode:9s} triage wall time: median {statistics.median(walls):.2f} s "
              f"(min {min(walls):.2f}, max {max(walls):.2f}, n={len(walls)}); tool calls {last[2]}; "
              f"root cause {', '.join(last[3]) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
