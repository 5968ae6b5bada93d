"""The README's ablation tables in one resumable command: four ablations, then the side-by-side view.

``python -m sre_agent.ablation.rerun --out DIR [--jobs N] [--executor local|ray]`` runs, in
order, the packaged ablations :data:`ABLATIONS` (one-at-a-time and leave-one-out, each on the
normal and on the hard variant) into ``DIR/<name>/``, then writes ``DIR/variants-<design>.md``
(each fix's effect on the normal and on the hard variant, :func:`.elsewhere.variants_table`) and
``DIR/rerun.json`` (wall seconds and run counts per ablation).  Every run is cached in its
ablation's ``runs/`` (:mod:`.cache`), so an interrupted re-run resumes where it stopped: run the
same command again.  ``--only NAME`` runs one of the four.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

#: (packaged ablation, its baseline) in the order they run
ABLATIONS = (("one-at-a-time", "all-off"), ("one-at-a-time-hard", "all-off"),
             ("leave-one-out", "all-on"), ("leave-one-out-hard", "all-on"))


def main(argv: Sequence[str] | None = None) -> int:
    from ..commands.ablate import resolve_ablation
    from .elsewhere import variants_table
    from .report import read_csv
    from .sweep import run_ablation

    ap = argparse.ArgumentParser(prog="python -m sre_agent.ablation.rerun", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--executor", choices=("local", "ray"), default="local")
    ap.add_argument("--only", choices=[n for n, _ in ABLATIONS], default=None)
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    log_path = args.out / "rerun.json"
    args.out.mkdir(parents=True, exist_ok=True)
    log = json.loads(log_path.read_text(encoding="utf-8")) if log_path.is_file() else {}
    for name, _ in ABLATIONS:
        if args.only and name != args.only:
            continue
        res = run_ablation(resolve_ablation(name), args.out / name, executor=args.executor, jobs=args.jobs,
                           progress=not args.no_progress)
        log[name] = {"runs": res.n_runs, "executed": res.executed, "reused": res.reused, "errors": res.errors,
                     "wall_s": res.wall_s}
        log_path.write_text(json.dumps(log, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{name}: {res.n_runs} runs ({res.executed} executed, {res.reused} reused, {res.errors} errors) "
              f"in {res.wall_s:.0f} s; {args.out / name / 'report.md'}", file=sys.stderr)
    for design, baseline in (("one-at-a-time", "all-off"), ("leave-one-out", "all-on")):
        normal, hard = args.out / design / "results.csv", args.out / f"{design}-hard" / "results.csv"
        if normal.is_file() and hard.is_file():
            table = variants_table(read_csv(normal), read_csv(hard), baseline)
            (args.out / f"variants-{design}.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
