"""How long a live-mode triage takes: one simulated scenario served by real servers on loopback.

Simulates the scenario, starts Prometheus (backfilled), kmock, a Jaeger stub and Alertmanager
(``LiveScenario`` from the test servers in ``tests/live_servers``), then times ``run_triage`` over
the :class:`~sre_agent.backends.live.LiveBackend` (wall time, server start-up excluded) next to
the same triage over the snapshot, and prints both with the diagnosis and the number of requests
each live source answered.

It needs the repository's ``tests/`` folder (the test servers are test scaffolding, not part of
the package), so it runs from a clone, with the package installed (``pip install -e ".[dev]"``)::

    python benchmarks/bench_live.py --repeat 3 [--scenario Scenario-27] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: the target for a live triage on this scenario (issue 15), printed beside the figures
TARGET_S = 3.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_live", description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="Scenario-27")
    p.add_argument("--ground-truths", type=Path, default=ROOT / "eval" / "data" / "itbench-lite" / "ground_truths")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--scale", type=float, default=1.0)
    args = p.parse_args(argv)
    if args.repeat < 1:
        print("bench_live: --repeat must be at least 1", file=sys.stderr)
        return 2
    truth = args.ground_truths / f"{args.scenario}.yaml"
    if not truth.is_file():
        print(f"bench_live: {truth}: not found", file=sys.stderr)
        return 2

    sys.path.insert(0, str(ROOT / "tests"))
    from live_servers import LiveScenario

    from sre_agent.runner import run_triage
    from sre_agent.simulator import simulate
    from sre_agent.snapshot import SnapshotBackend

    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        work = Path(tmp)
        folder = simulate(truth, work / "sim", scale=args.scale)
        t0 = time.monotonic()
        with LiveScenario(SnapshotBackend(folder), work / "servers") as live:
            startup = time.monotonic() - t0
            rows = []
            requests: dict[str, int] = {}
            for i in range(args.repeat):
                for mode in ("snapshot", "live"):
                    kwargs = {"backend": live.fresh_backend()} if mode == "live" else {}
                    seen = (len(live.kube_front.seen), live.jaeger.requests())
                    t = time.monotonic()
                    result = run_triage(alert=folder / "alerts", output_dir=work / f"{mode}-{i}", **kwargs)
                    wall = time.monotonic() - t
                    if mode == "live":
                        kwargs["backend"].close()
                        requests = {"kubernetes": len(live.kube_front.seen) - seen[0],
                                    "jaeger": live.jaeger.requests() - seen[1]}
                    roots = [e["id"] for e in result.agent_output["entities"] if e.get("contributing_factor")]
                    rows.append((mode, wall, result.stats["tool_calls"], roots))
    print(f"scenario {args.scenario} (scale {args.scale}); server start-up {startup:.1f} s (not counted)")
    for mode in ("snapshot", "live"):
        walls = [w for m, w, _, _ in rows if m == mode]
        last = [r for r in rows if r[0] == mode][-1]
        print(f"{mode:9s} triage wall time: median {statistics.median(walls):.2f} s "
              f"(min {min(walls):.2f}, max {max(walls):.2f}, n={len(walls)}); tool calls {last[2]}; "
              f"root cause {', '.join(last[3]) or '-'}")
    live_median = statistics.median(w for m, w, _, _ in rows if m == "live")
    print("live requests per triage: " + ", ".join(f"{k} {v}" for k, v in requests.items()))
    print(f"target: live median <= {TARGET_S:.1f} s: {'met' if live_median <= TARGET_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
