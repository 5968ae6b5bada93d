"""The ablation's results: ``results.csv`` (one row per run), the statistics and ``report.md``.

Statistics take the **scenario as the unit** (:mod:`.stats`): the seeds of one scenario share
its data and its failure draws' neighbourhood, so they are averaged first and the scenarios are
what is resampled and tested.

* **mean recall** per profile × setting: the mean over scenarios of each scenario's mean over
  its seeds, with a 95 % cluster-bootstrap interval over scenarios;
* **paired difference** of a setting against the baseline, per profile: for every scenario,
  ``d`` = the mean over its seeds run in both of ``recall(setting) - recall(baseline)``; n
  (scenarios), mean d with its cluster-bootstrap interval, Cohen's d_z with its interval, a
  two-sided sign-flip permutation p-value over scenarios, and that p-value Holm-corrected over
  every comparison of the table (all profiles × settings of the ablation); each comparison is
  marked when the profile injects a mode a switched fix targets (:mod:`.construction`);
* **MAST mode frequencies**: among the runs of a profile × setting whose label is determined,
  the share labelled present in *failed* runs (recall < ``failed_threshold``) and in
  *successful* ones, and their difference in percentage points.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import FIX_NAMES
from ..mast import MODE_IDS, MODES
from .construction import targeted
from .plan import PlannedRun
from .stats import cluster_interval, effect_size, holm, scenario_means, sign_flip_test

MAST_COLUMNS = tuple(f"FM-{m}" for m in MODE_IDS)
USAGE_COLUMNS = ("unusable_answers", "prompt_tokens", "completion_tokens", "cost_usd")
COLUMNS = ("scenario", "profile", "setting", *FIX_NAMES, "seed", "recall", "precision", "f1", "failed",
           "incomplete", "tool_calls", "model_calls", "max_context_tokens", *USAGE_COLUMNS, *MAST_COLUMNS, "ok",
           "error", "run_id")


# -- rows ----------------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    """A CSV cell: '' for unknown, 0/1 for booleans, floats rounded to 6 decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def build_rows(runs: Sequence[PlannedRun], keys: Sequence[str], results: dict[str, dict[str, Any]],
               failed_threshold: float) -> list[dict[str, str]]:
    """One results.csv row per planned run (plan order), from the runs' result documents."""
    rows = []
    for run, key in zip(runs, keys):
        res = results[key]
        score = res.get("score") or {}
        stats = res.get("stats") or {}
        mast = res.get("mast") or {}
        recall = score.get("recall")
        row: dict[str, Any] = {"scenario": run.scenario, "profile": run.profile, "setting": run.setting.name}
        row.update({n: v for n, v in run.setting.fixes})
        row.update(seed=run.seed, recall=recall, precision=score.get("precision"), f1=score.get("f1"),
                   failed=None if recall is None else recall < failed_threshold,
                   incomplete=stats.get("incomplete"), tool_calls=stats.get("tool_calls"),
                   model_calls=stats.get("model_calls"), max_context_tokens=stats.get("max_context_tokens"))
        row.update({c: stats.get(c) for c in USAGE_COLUMNS})
        row.update({f"FM-{m}": mast.get(m) for m in MODE_IDS})
        row.update(ok=bool(res.get("ok")), error=res.get("error"), run_id=key)
        rows.append({c: _cell(row[c]) for c in COLUMNS})
    return rows


def write_csv(rows: Sequence[dict[str, str]], path: Path, columns: Sequence[str] = COLUMNS) -> None:
    """Write rows as CSV (LF line ends, so the bytes do not depend on the platform)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    Path(path).write_text(buf.getvalue(), encoding="utf-8")


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# -- statistics ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """Mean recall of one profile × setting."""

    profile: str
    setting: str
    n: int
    mean: float | None
    low: float | None
    high: float | None
    precision: float | None
    f1: float | None
    failed_share: float | None
    #: independent units: scenarios (n counts runs)
    units: int = 0


@dataclass(frozen=True)
class Paired:
    """A setting against the baseline, paired per scenario (its seeds averaged): n = scenarios."""

    profile: str
    setting: str
    baseline: str
    n: int
    mean_diff: float | None
    low: float | None
    high: float | None
    wins: int
    losses: int
    ties: int
    test: str
    p_value: float | None
    p_holm: float | None = None
    dz: float | None = None
    dz_low: float | None = None
    dz_high: float | None = None
    #: MAST modes the profile injects that a switched fix targets (non-empty: by construction)
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModeFrequency:
    """How often one MAST mode is present in failed and in successful runs of a profile × setting."""

    profile: str
    setting: str
    mode: str
    failed_n: int
    failed_share: float | None
    success_n: int
    success_share: float | None
    all_share: float | None

    @property
    def diff_pp(self) -> float | None:
        if self.failed_share is None or self.success_share is None:
            return None
        return 100.0 * (self.failed_share - self.success_share)


def _float(v: str) -> float | None:
    return None if v in ("", None) else float(v)


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def recall_cells(rows: Sequence[dict[str, str]], profiles: Sequence[str], settings: Sequence[str]) -> list[Cell]:
    """Mean recall over scenarios (each the mean of its seeds) with its 95 % cluster-bootstrap
    interval; precision, F1 and failed share over runs; per profile × setting."""
    out = []
    for p in profiles:
        for s in settings:
            sel = [r for r in rows if r["profile"] == p and r["setting"] == s and r["recall"] != ""]
            means = scenario_means((r["scenario"], float(r["recall"])) for r in sel)
            iv = cluster_interval(list(means.values()))
            failed = [r["failed"] == "1" for r in sel]
            out.append(Cell(p, s, len(sel), iv.mean if iv else None, iv.low if iv else None, iv.high if iv else None,
                            _mean([float(r["precision"]) for r in sel]), _mean([float(r["f1"]) for r in sel]),
                            _mean([1.0 if f else 0.0 for f in failed]), len(means)))
    return out


def scenario_differences(rows: Sequence[dict[str, str]], profile: str, setting: str, baseline: str,
                         metric: str = "recall") -> dict[str, float]:
    """Per scenario, the mean over its seeds run under both of ``metric(setting) - metric(baseline)``."""
    base = {(r["scenario"], r["seed"]): float(r[metric]) for r in rows
            if r["profile"] == profile and r["setting"] == baseline and r.get(metric, "") != ""}
    return scenario_means((r["scenario"], float(r[metric]) - base[(r["scenario"], r["seed"])]) for r in rows
                          if r["profile"] == profile and r["setting"] == setting and r.get(metric, "") != ""
                          and (r["scenario"], r["seed"]) in base)


def paired_differences(rows: Sequence[dict[str, str]], profiles: Sequence[str], settings: Sequence[str],
                       baseline: str, switches: Mapping[str, Mapping[str, bool]] | None = None) -> list[Paired]:
    """Each non-baseline setting against ``baseline``, per profile, with the scenario as the unit
    (see the module docstring); p-values Holm-corrected over all of them.  ``switches`` (setting
    -> fix -> on) marks the comparisons that target a mode the profile injects."""
    out = []
    for p in profiles:
        for s in settings:
            if s == baseline:
                continue
            diffs = list(scenario_differences(rows, p, s, baseline).values())
            iv = cluster_interval(diffs)
            es = effect_size(diffs)
            aimed = tuple(targeted(p, switches[s], switches[baseline])) if switches else ()
            out.append(Paired(p, s, baseline, len(diffs), iv.mean if iv else None, iv.low if iv else None,
                              iv.high if iv else None, sum(d > 0 for d in diffs), sum(d < 0 for d in diffs),
                              sum(d == 0 for d in diffs), "sign-flip" if diffs else "none", sign_flip_test(diffs),
                              None, *(es or (None, None, None)), aimed))
    adjusted = holm([d.p_value for d in out])
    return [dataclasses.replace(d, p_holm=a) for d, a in zip(out, adjusted)]


def mode_frequencies(rows: Sequence[dict[str, str]], profiles: Sequence[str],
                     settings: Sequence[str]) -> list[ModeFrequency]:
    """Per profile × setting × MAST mode: share present in failed, successful and all runs."""
    out = []
    for p in profiles:
        for s in settings:
            sel = [r for r in rows if r["profile"] == p and r["setting"] == s and r["failed"] != ""]
            for m in MODE_IDS:
                col = f"FM-{m}"
                known = [r for r in sel if r[col] != ""]
                failed = [r[col] == "1" for r in known if r["failed"] == "1"]
                success = [r[col] == "1" for r in known if r["failed"] == "0"]
                out.append(ModeFrequency(p, s, m, len(failed), _mean([float(x) for x in failed]), len(success),
                                         _mean([float(x) for x in success]),
                                         _mean([1.0 if r[col] == "1" else 0.0 for r in known])))
    return out
