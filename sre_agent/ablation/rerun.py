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

#: the packaged ablations of the re-run, in the order they run
ABLATIONS = ("one-at-a-time", "one-at-a-time-hard", "leave-one-out", "leave-one-out-hard")
#: (design, its baseline): ``DIR/<design>`` and ``DIR/<design>-hard`` are set side by side
VARIANT_PAIRS = (("one-at-a-time", "all-off"), ("leave-one-out", "all-on"))


def rerun(out: Path, names: Sequence[str] = ABLATIONS, *, jobs: int | None = None, executor: str = "local",
          progress: bool = True) -> dict[str, dict[str, float]]:
    """Run (or resume) each packaged ablation ``name`` into ``out/name``; returns and writes the
    log ``out/rerun.json`` (runs, executed, reused, errors, wall seconds per ablation)."""
    from ..commands.ablate import resolve_ablation
    from .sweep import run_ablation

    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "rerun.json"
    log = json.loads(log_path.read_text(encoding="utf-8")) if log_path.is_file() else {}
    for name in names:
        res = run_ablation(resolve_ablation(name), out / name, executor=executor, jobs=jobs,  # type: ignore[arg-type]
                           progress=progress)
        log[name] = {"runs": res.n_runs, "executed": res.executed, "reused": res.reused, "errors": res.errors,
                     "wall_s": res.wall_s}
        log_path.write_text(json.dumps(log, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{name}: {res.n_runs} runs ({res.executed} executed, {res.reused} reused, {res.errors} errors) "
              f"in {res.wall_s:.0f} s; {out / name / 'report.md'}", file=sys.stderr)
    return log


def write_variants(out: Path, pairs: Sequence[tuple[str, str]] = VARIANT_PAIRS) -> list[Path]:
    """``out/variants-<design>.md`` for each design whose normal and hard results both exist."""
    from .elsewhere import variants_table
    from .report import read_csv

    written = []
    for design, baseline in pairs:
        normal, hard = out / design / "results.csv", out / f"{design}-hard" / "results.csv"
        if normal.is_file() and hard.is_file():
            path = out / f"variants-{design}.md"
            path.write_text("\n".join(variants_table(read_csv(normal), read_csv(hard), baseline)) + "\n", encoding="utf-8")
            written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sre_agent.ablation.rerun", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--executor", choices=("local", "ray"), default="local")
    ap.add_argument("--only", choices=ABLATIONS, default=None)
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    rerun(args.out, [args.only] if args.only else ABLATIONS, jobs=args.jobs, executor=args.executor,
          progress=not args.no_progress)
    write_variants(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
