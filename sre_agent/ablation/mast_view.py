"""Which MAST modes separate failed from successful runs: the ITBench × MAST "fatal vs benign" reading.

For a profile (pooled over its settings) and for each setting, and for each MAST mode seen: the
2 × 2 table of runs *failed / successful* × *mode present / absent* (runs whose label for the
mode is undetermined are left out), the share present in failed and in successful runs, their
ratio, and a one-sided Fisher exact test (``scipy.stats.fisher_exact``, alternative
``greater``: is the mode over-represented in failed runs?).  Runs of one scenario are not
independent, so the pooled table also gives the difference of the two shares (percentage
points) with a 95 % bootstrap interval resampling **scenarios** (:func:`.stats.unit_interval`)
and the number of scenarios where the mode shows.  Reading:

* **fatal**: over-represented in failures with p < ``ALPHA`` and a scenario-level interval
  above 0;
* **fatal in runs only**: Fisher's p < ``ALPHA`` over runs, but the interval over scenarios
  reaches 0 (a few scenarios carry it);
* **more in failures (n.s.)**: more frequent in failed runs, not significant at this n;
* **benign**: at least as frequent in successful runs (it does not explain the failures).

:func:`injected_section` sets the structural annotator against the failures the profiles
injected (:mod:`sre_agent.mast.validate`), with an F1 interval resampling scenarios.

Example:
    >>> t = ModeTable("p", "all", "3.2", present_failed=6, failed=6, present_ok=0, ok=6)
    >>> round(t.p_value, 4), t.verdict
    (0.0011, 'fatal')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import fisher_exact

from ..mast import MODE_IDS, MODES
from .stats import unit_interval

#: significance level of the one-sided Fisher test
ALPHA = 0.05
#: the pooled row's setting name
POOLED = "all settings"


@dataclass(frozen=True)
class ModeTable:
    """One mode's failed/successful × present/absent counts in a profile × setting (or pooled)."""

    profile: str
    setting: str
    mode: str
    present_failed: int
    failed: int
    present_ok: int
    ok: int

    @property
    def failed_share(self) -> float | None:
        return self.present_failed / self.failed if self.failed else None

    @property
    def ok_share(self) -> float | None:
        return self.present_ok / self.ok if self.ok else None

    @property
    def ratio(self) -> float | None:
        """failed share / successful share (``inf`` when never present in successful runs)."""
        f, s = self.failed_share, self.ok_share
        if f is None or s is None:
            return None
        return float("inf") if s == 0 and f > 0 else (f / s if s else None)

    @property
    def p_value(self) -> float | None:
        if not self.failed or not self.ok:
            return None
        table = [[self.present_failed, self.failed - self.present_failed], [self.present_ok, self.ok - self.present_ok]]
        return float(fisher_exact(table, alternative="greater").pvalue)

    @property
    def verdict(self) -> str:
        f, s, p = self.failed_share, self.ok_share, self.p_value
        if f is None or s is None:
            return "n/a (no failed or no successful runs)"
        if f > s and p is not None and p < ALPHA:
            return "fatal"
        return "more in failures (n.s.)" if f > s else "benign"


def mode_tables(rows: Sequence[dict[str, str]], profile: str, settings: Sequence[str]) -> list[ModeTable]:
    """The tables per setting and pooled (``POOLED``), counted from results.csv rows."""
    out = []
    for m in MODE_IDS:
        col = f"FM-{m}"
        for s in [*settings, POOLED]:
            sel = [r for r in rows if r["profile"] == profile and (s == POOLED or r["setting"] == s)
                   and r["failed"] != "" and r.get(col, "") != ""]
            failed = [r for r in sel if r["failed"] == "1"]
            ok = [r for r in sel if r["failed"] == "0"]
            out.append(ModeTable(profile, s, m, sum(r[col] == "1" for r in failed), len(failed),
                                 sum(r[col] == "1" for r in ok), len(ok)))
    return out


def scenario_interval(rows: Sequence[dict[str, str]], profile: str, mode: str) -> tuple[float, float] | None:
    """95 % interval of (failed share − successful share) of ``mode`` (percentage points), pooled
    over settings, resampling scenarios; ``None`` with fewer than 2 scenarios."""
    col = f"FM-{mode}"
    sel = [r for r in rows if r["profile"] == profile and r["failed"] != "" and r.get(col, "") != ""]
    names = sorted({r["scenario"] for r in sel})
    idx = {n: i for i, n in enumerate(names)}
    counts = np.zeros((len(names), 4))  # present & failed, failed, present & ok, ok
    for r in sel:
        f = r["failed"] == "1"
        counts[idx[r["scenario"]]] += [f and r[col] == "1", f, (not f) and r[col] == "1", not f]

    def diff(i: np.ndarray) -> float:
        a, nf, c, no = counts[i].sum(axis=0)
        return 100.0 * (a / nf - c / no) if nf and no else float("nan")

    iv = unit_interval(len(names), diff)
    return None if iv is None or any(math.isnan(x) for x in iv) else iv


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}"


def reading(t: ModeTable, iv: tuple[float, float] | None) -> str:
    """The verdict with the scenario-level interval: fatal only when it holds over scenarios."""
    if t.verdict == "fatal" and (iv is None or iv[0] <= 0):
        return "fatal in runs only (interval over scenarios reaches 0)"
    return t.verdict


def fatal_section(rows: Sequence[dict[str, str]], profile: str, settings: Sequence[str]) -> list[str]:
    """The report.md lines: pooled table of the modes seen, then per setting the fatal modes."""
    tables = mode_tables(rows, profile, settings)
    pooled = [t for t in tables if t.setting == POOLED and t.present_failed + t.present_ok > 0]
    lines = [f"#### Which MAST modes separate failed from successful runs, `{profile}` (fatal vs benign)", ""]
    if not pooled:
        return lines + ["No MAST mode was labelled present in any run of this profile.", ""]
    sel = [r for r in rows if r["profile"] == profile]
    lines += [f"Pooled over settings; one-sided Fisher exact test over runs (mode over-represented in failed runs); "
              f"Δ pp = failed % − successful % with a 95 % bootstrap interval over scenarios; fatal = p < {ALPHA} "
              "and that interval above 0.", "",
              "| mode | failed runs with it | successful runs with it | ratio | p (Fisher) | Δ pp [95 % CI, scenarios] "
              "| scenarios with it | reading |",
              "|---|---:|---:|---:|---:|---:|---:|---|"]
    for t in pooled:
        ratio = "–" if t.ratio is None else ("∞" if t.ratio == float("inf") else f"{t.ratio:.2f}")
        p = "–" if t.p_value is None else f"{t.p_value:.3g}"
        iv = scenario_interval(rows, profile, t.mode)
        f, o = t.failed_share, t.ok_share
        d = "–" if f is None or o is None else f"{100 * (f - o):+.0f}" + ("" if iv is None else f" [{iv[0]:+.0f}, {iv[1]:+.0f}]")
        with_it = len({r["scenario"] for r in sel if r.get(f"FM-{t.mode}") == "1"})
        lines.append(f"| {t.mode} {MODES[t.mode].name} | {t.present_failed}/{t.failed} ({_pct(t.failed_share)} %) | "
                     f"{t.present_ok}/{t.ok} ({_pct(t.ok_share)} %) | {ratio} | {p} | {d} | {with_it} | {reading(t, iv)} |")
    lines += ["", f"*Independent units: {len({r['scenario'] for r in sel})} scenarios.*", ""]
    for s in settings:
        fatal = [t.mode for t in tables if t.setting == s and t.verdict == "fatal"]
        some = next((t for t in tables if t.setting == s), None)
        n = f"{some.failed} failed / {some.ok} successful runs" if some else ""
        lines.append(f"* `{s}` ({n}): fatal over runs {', '.join(fatal) if fatal else 'none (no mode significantly over-represented)'}")
    return lines + [""]


# -- the annotator against the injected failures, with the scenario as the unit -----------------------

def injected_counts(out: Path, rows: Sequence[dict[str, str]]) -> dict[str, dict[str, np.ndarray]]:
    """Per mode, per scenario: [tp, fp, fn, prevented] of the structural annotator against the
    injected failures (:func:`sre_agent.mast.validate.validate` on each scenario's runs, read
    from ``out/runs/<run_id>/trace.jsonl``; runs of one folder counted once)."""
    from ..mast.run import load_events
    from ..mast.validate import validate

    by_scenario: dict[str, list[str]] = {}
    for r in rows:
        ids = by_scenario.setdefault(r["scenario"], [])
        if r["run_id"] not in ids and (Path(out) / "runs" / r["run_id"] / "trace.jsonl").is_file():
            ids.append(r["run_id"])
    counts: dict[str, dict[str, np.ndarray]] = {m: {} for m in MODE_IDS}
    for scenario, ids in by_scenario.items():
        table = validate([load_events(Path(out) / "runs" / i) for i in ids])
        for row in table.rows:
            counts[row.mode][scenario] = np.array([row.tp, row.fp, row.fn, row.prevented], dtype=float)
    return counts


def _f1(c: np.ndarray) -> float:
    tp, fp, fn = c[0], c[1], c[2]
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")


def injected_section(out: Path, rows: Sequence[dict[str, str]]) -> list[str]:
    """report.md: per mode injected by some run, TP / FP / FN / prevented, precision, recall and
    F1 pooled over runs with a 95 % bootstrap interval resampling scenarios."""
    counts = injected_counts(out, rows)
    lines = ["## The MAST annotator against the injected failures (scenario as the unit)", "",
             "Positives: runs with an `injected_failure` event of the mode; labels: the structural annotator, "
             "which never reads those events (`python -m sre_agent.mast.validate`). prev = positives where a fix "
             "event names the mode (the fix may have stopped it from showing). F1 pooled over runs; its interval "
             "resamples scenarios.", "",
             "| mode | TP | FP | FN | prev | precision | recall | F1 [95 % CI, scenarios] | scenarios with it |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    shown = 0
    for m in MODE_IDS:
        per = counts[m]
        names = sorted(per)
        mat = np.array([per[n] for n in names]) if names else np.zeros((0, 4))
        tp, fp, fn, prev = mat.sum(axis=0) if len(mat) else (0, 0, 0, 0)
        if tp + fn == 0:
            continue
        shown += 1
        iv = unit_interval(len(names), lambda i: _f1(mat[i].sum(axis=0)))
        f1 = _f1(np.array([tp, fp, fn]))
        ci = "" if iv is None or any(math.isnan(x) for x in iv) else f" [{iv[0]:.3f}, {iv[1]:.3f}]"
        prec = "–" if tp + fp == 0 else f"{tp / (tp + fp):.3f}"
        with_it = int(sum(1 for row in mat if row[0] + row[2] > 0))
        lines.append(f"| {m} {MODES[m].name} | {int(tp)} | {int(fp)} | {int(fn)} | {int(prev)} | {prec} | "
                     f"{tp / (tp + fn):.3f} | {f1:.3f}{ci} | {with_it} |")
    if not shown:
        return lines[:2] + ["No run injected a failure.", ""]
    return lines + ["", f"*Independent units: {len({r['scenario'] for r in rows})} scenarios.*", ""]
