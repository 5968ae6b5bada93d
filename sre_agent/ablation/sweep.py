"""The whole ablation, in order: spec -> scenarios -> settings and runs -> execute -> report.

Writes into ``out``: ``scenarios/`` (when simulated), ``runs/<run_id>/`` (one folder per run),
``results.csv`` (one row per run, identical whichever executor ran it), ``timings.csv`` (wall
time per run and whether it was reused), ``summary.json`` (the statistics), ``report.md`` and
``plots/*.png``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .cache import code_version
from .execute import Executor, execute
from .plan import plan_runs, plan_settings
from .render import headline_table, render_report
from .report import build_rows, mode_frequencies, paired_differences, recall_cells, write_csv
from .scenarios import prepare_scenarios
from .usage import usage_cells
from .spec import AblationSpec, load_spec


@dataclass
class AblationResult:
    """What :func:`run_ablation` did and where it wrote it."""

    out: Path
    n_runs: int
    executed: int
    reused: int
    errors: int
    wall_s: float
    rows: list[dict[str, str]]
    headline: list[str]


def _prepare_out(out: Path) -> Path:
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot be created ({exc.strerror})") from None
    return out


def _runs_code_version(out: Path, rows: list[dict[str, str]]) -> str:
    """The code version the rows were produced with (from their runs' ``key.json``)."""
    versions = set()
    for r in rows:
        path = out / "runs" / r["run_id"] / "key.json"
        if path.is_file():
            versions.add(json.loads(path.read_text(encoding="utf-8")).get("code", "?"))
    return ", ".join(sorted(versions)) or code_version()


def _wall_times(out: Path) -> dict[str, float]:
    """Wall time per run id from ``timing.json`` of each finished run folder."""
    times = {}
    for p in (out / "runs").glob("*/timing.json"):
        times[p.parent.name] = float(json.loads(p.read_text(encoding="utf-8")).get("wall_s", 0.0))
    return times


def write_report(spec: AblationSpec, out: Path, rows: list[dict[str, str]], *, n_scenarios: int,
                 executed: int, reused: int, plots: bool = True) -> list[str]:
    """Statistics, ``summary.json``, ``report.md`` and the plots from the results rows; returns
    the headline table (markdown lines)."""
    from .elsewhere import elsewhere_section
    from .mast_view import fatal_section

    settings, baseline = plan_settings(spec)
    names = [s.name for s in settings]
    switches = {s.name: s.switches() for s in settings}
    cells = recall_cells(rows, spec.profiles, names)
    paired = paired_differences(rows, spec.profiles, names, baseline, switches)
    freqs = mode_frequencies(rows, spec.profiles, names)
    usage = usage_cells(rows, spec.profiles, names)
    written: dict[str, list[str]] = {}
    if plots:
        from .plots import write_plots

        written = write_plots(out, profiles=spec.profiles, settings=names, cells=cells, paired=paired, freqs=freqs)
    meta: dict[str, Any] = {
        "name": spec.name, "description": spec.description, "source": str(spec.source), "design": spec.design,
        "vary": spec.vary, "n_scenarios": n_scenarios, "seeds": spec.seed_list(), "n_runs": len(rows),
        "seeds_per_profile": {p: sorted({int(r["seed"]) for r in rows if r["profile"] == p}) for p in spec.profiles},
        "executed": executed, "reused": reused, "errors": sum(1 for r in rows if r["ok"] != "1"),
        "code_version": _runs_code_version(out, rows),
        "settings_on": {s.name: [n for n, v in s.fixes if v] for s in settings},
    }
    from .mast_view import injected_section

    extra = elsewhere_section(rows, paired, names, baseline, _wall_times(out)) + injected_section(out, rows)
    report = render_report(meta=meta, profiles=spec.profiles, settings=names, baseline=baseline, cells=cells,
                           paired=paired, freqs=freqs, plots=written, failed_threshold=spec.failed_threshold,
                           usage=usage, extra=extra, fatal=lambda p: fatal_section(rows, p, names))
    (out / "report.md").write_text(report, encoding="utf-8")
    summary = {"meta": meta, "baseline": baseline, "cells": [asdict(c) for c in cells],
               "paired": [asdict(p) for p in paired],
               "mast": [{**asdict(f), "diff_pp": f.diff_pp} for f in freqs], "usage": [asdict(u) for u in usage]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return headline_table(cells, spec.profiles, names, paired)


def report_only(spec: AblationSpec | Path | str, out: Path | str, *, plots: bool = True) -> AblationResult:
    """Rewrite the report of a finished ablation from its ``results.csv`` (no run is executed)."""
    from .report import read_csv

    started = time.perf_counter()
    spec = spec if isinstance(spec, AblationSpec) else load_spec(spec)
    out = Path(out)
    path = out / "results.csv"
    if not path.is_file():
        raise InputError(f"--report-only: {path}: no such file (run the ablation first)")
    rows = read_csv(path)
    headline = write_report(spec, out, rows, n_scenarios=len({r["scenario"] for r in rows}), executed=0,
                            reused=len({r["run_id"] for r in rows}), plots=plots)
    return AblationResult(out=out, n_runs=len(rows), executed=0, reused=len({r["run_id"] for r in rows}),
                          errors=sum(1 for r in rows if r["ok"] != "1"),
                          wall_s=round(time.perf_counter() - started, 3), rows=rows, headline=headline)


def run_ablation(spec: AblationSpec | Path | str, out: Path | str, *, executor: Executor = "local",
                 jobs: int | None = None, progress: bool = True, plots: bool = True) -> AblationResult:
    """Run (or resume) the ablation ``spec`` into ``out`` and write its report."""
    started = time.perf_counter()
    spec = spec if isinstance(spec, AblationSpec) else load_spec(spec)
    if executor not in ("local", "ray"):
        raise InputError(f"--executor {executor}: expected local or ray")
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    out = _prepare_out(Path(out))
    settings, _baseline = plan_settings(spec)
    scenarios = prepare_scenarios(spec, out, jobs=jobs, progress=progress)
    runs = plan_runs(spec, scenarios, settings)
    ex = execute(runs, out, executor=executor, jobs=jobs, progress=progress, base_config=spec.config)
    rows = build_rows(runs, ex.keys, ex.results, spec.failed_threshold)
    write_csv(rows, out / "results.csv")
    seen: set[str] = set()
    timing_rows = []
    for key in ex.keys:
        if key not in seen:
            seen.add(key)
            timing_rows.append({"run_id": key, "wall_s": repr(ex.timings.get(key, 0.0))})
    write_csv(timing_rows, out / "timings.csv", ("run_id", "wall_s"))
    headline = write_report(spec, out, rows, n_scenarios=len(scenarios), executed=ex.executed, reused=ex.reused,
                            plots=plots)
    return AblationResult(out=out, n_runs=len(rows), executed=ex.executed, reused=ex.reused,
                          errors=sum(1 for r in rows if r["ok"] != "1"),
                          wall_s=round(time.perf_counter() - started, 3), rows=rows, headline=headline)
