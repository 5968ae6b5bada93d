"""The ablation's results: ``results.csv`` (one row per run), the statistics and ``report.md``.

Statistics (all deterministic: bootstrap seeded with 0, 10 000 resamples):

* **mean recall** per profile × setting over its runs (scenario × seed), with a 95 % percentile
  bootstrap interval over its scenarios' mean recalls (a cluster bootstrap: the seeds of one
  scenario are not independent samples; :func:`sre_agent.eval.suite.bootstrap_mean`);
* **paired difference** of a setting against the baseline, per profile, **clustered by
  scenario**: for every scenario, ``d`` = the mean over its seeds run in both of
  ``recall(setting) - recall(baseline)``; n (scenarios), mean d, its 95 % bootstrap interval
  over scenarios, and a two-sided p-value from the Wilcoxon signed-rank test over scenarios
  (``scipy.stats.wilcoxon``, ``zero_method="pratt"``: zero differences are ranked, then their
  ranks dropped, so that many ties neither drown a one-sided effect nor vanish from the
  ranking), or -- when every difference is zero, where Wilcoxon is undefined -- the
  sign test, whose p-value is then 1;
* **MAST mode frequencies**: among the runs of a profile × setting whose label is determined,
  the share labelled present in *failed* runs (recall < ``failed_threshold``) and in
  *successful* ones, and their difference in percentage points.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import FIX_NAMES
from ..mast import MODE_IDS, MODES
from .plan import PlannedRun

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


def per_scenario(values: Sequence[tuple[str, float]]) -> list[float]:
    """The mean value of each scenario (first-seen order) from (scenario, value) pairs.

    >>> per_scenario([("a", 1.0), ("b", 0.0), ("a", 0.0)])
    [0.5, 0.0]
    """
    groups: dict[str, list[float]] = {}
    for scenario, v in values:
        groups.setdefault(scenario, []).append(v)
    return [sum(vs) / len(vs) for vs in groups.values()]


def recall_cells(rows: Sequence[dict[str, str]], profiles: Sequence[str], settings: Sequence[str]) -> list[Cell]:
    """Mean recall over runs (95 % bootstrap CI over scenario means), precision, F1 and failed
    share per profile × setting."""
    from ..eval.suite import bootstrap_mean

    out = []
    for p in profiles:
        for s in settings:
            sel = [r for r in rows if r["profile"] == p and r["setting"] == s and r["recall"] != ""]
            iv = bootstrap_mean(per_scenario([(r["scenario"], float(r["recall"])) for r in sel]))
            if iv is not None:  # the point estimate is the mean over runs (equal when seeds are balanced)
                iv = dataclasses.replace(iv, mean=round(_mean([float(r["recall"]) for r in sel]) or 0.0, 6))
            failed = [r["failed"] == "1" for r in sel]
            out.append(Cell(p, s, len(sel), iv.mean if iv else None, iv.low if iv else None, iv.high if iv else None,
                            _mean([float(r["precision"]) for r in sel]), _mean([float(r["f1"]) for r in sel]),
                            _mean([1.0 if f else 0.0 for f in failed])))
    return out


def paired_test(diffs: Sequence[float]) -> tuple[str, float | None]:
    """(test name, two-sided p-value) for paired differences: Wilcoxon signed-rank (Pratt's
    treatment of zeros), or the sign test when every difference is zero (p = 1).

    Pratt, not ``zsplit``: in an ablation most pairs tie (d = 0); zsplit counts those ties as half
    wins and half losses, so 10 wins, 0 losses and 135 ties got p = 0.12, where the sign test
    alone gives 0.002.

    >>> paired_test([0.0, 0.0])
    ('sign', 1.0)
    >>> name, p = paired_test([1.0] * 10); name, p < 0.01
    ('wilcoxon', True)
    >>> paired_test([1.0] * 10 + [0.0] * 135)[1] < 0.01
    True
    """
    if not diffs:
        return "none", None
    if all(d == 0 for d in diffs):
        return "sign", 1.0
    from scipy.stats import wilcoxon

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = float(wilcoxon(diffs, zero_method="pratt", alternative="two-sided").pvalue)
    return "wilcoxon", (None if math.isnan(p) else p)


def paired_differences(rows: Sequence[dict[str, str]], profiles: Sequence[str], settings: Sequence[str],
                       baseline: str) -> list[Paired]:
    """Each non-baseline setting against ``baseline``, per profile: paired on (scenario, seed),
    then averaged per scenario, so that n is the number of scenarios (see the module docstring)."""
    from ..eval.suite import bootstrap_mean

    out = []
    for p in profiles:
        base = {(r["scenario"], r["seed"]): float(r["recall"]) for r in rows
                if r["profile"] == p and r["setting"] == baseline and r["recall"] != ""}
        for s in settings:
            if s == baseline:
                continue
            diffs = per_scenario([(r["scenario"], float(r["recall"]) - base[(r["scenario"], r["seed"])]) for r in rows
                                  if r["profile"] == p and r["setting"] == s and r["recall"] != ""
                                  and (r["scenario"], r["seed"]) in base])
            iv = bootstrap_mean(diffs)
            test, pv = paired_test(diffs)
            out.append(Paired(p, s, baseline, len(diffs), iv.mean if iv else None, iv.low if iv else None,
                              iv.high if iv else None, sum(d > 0 for d in diffs), sum(d < 0 for d in diffs),
                              sum(d == 0 for d in diffs), test, pv))
    return out


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


# -- report.md -----------------------------------------------------------------------------------------

def _f(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _ci(mean: float | None, low: float | None, high: float | None) -> str:
    return "–" if mean is None else f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def _p(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:.2e}" if v < 1e-3 else f"{v:.4f}"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.0f}"


def _md_table(header: Sequence[str], body: Sequence[Sequence[str]], align: str = "") -> list[str]:
    aligns = [("---:" if (align and i < len(align) and align[i] == "r") else "---") for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return lines


def headline_table(cells: Sequence[Cell], profiles: Sequence[str], settings: Sequence[str]) -> list[str]:
    """Markdown: settings × profiles, mean recall [95 % CI]."""
    by = {(c.profile, c.setting): c for c in cells}
    body = [[f"`{s}`"] + [_ci(by[(p, s)].mean, by[(p, s)].low, by[(p, s)].high) for p in profiles] for s in settings]
    return _md_table(["setting", *profiles], body, "l" + "r" * len(profiles))


def _definitions(failed_threshold: float, baseline: str) -> list[str]:
    return [
        "## Definitions", "",
        "* **run**: one scenario × model profile × fix setting × seed; its folder is `runs/<run_id>/`.",
        "* **recall** (root-cause recall), **precision**, **F1**: `sre_agent.eval.scoring.score` of the run's "
        "`agent_output.json` against the scenario's ground truth; a run that crashed scores as the empty answer.",
        f"* **failed**: recall < {failed_threshold:g} (the ablation's `failed_threshold`); **successful** otherwise.",
        "* **mean recall [95 % CI]**: the mean over the runs (scenarios × seeds) of a profile × setting, with a "
        "95 % percentile bootstrap interval over its scenarios' mean recalls (a cluster bootstrap by scenario: "
        "the seeds of one scenario are not independent samples; 10 000 resamples, numpy seed 0). A profile "
        "that ignores the seed (`deterministic: true`) is run with the first seed only.",
        f"* **paired difference** (clustered by scenario): for each scenario, d = the mean, over its seeds run "
        f"under both the setting and the baseline (`{baseline}`) of the same profile, of recall(setting) − "
        "recall(baseline). n = number of scenarios; mean d with a 95 % percentile bootstrap interval over "
        "scenarios (seed 0); wins / losses / ties = scenarios with d > 0, d < 0, d = 0.",
        "* **p-value**: two-sided Wilcoxon signed-rank test on the per-scenario differences (`scipy.stats.wilcoxon`, "
        "`zero_method=\"pratt\"`: zero differences are ranked with the others, then their ranks dropped; "
        "`method=\"auto\"`: exact null distribution for n ≤ 50 distinct non-zero differences; with ties or "
        "zeros, an exhaustive permutation test for n ≤ 13 and the normal approximation above). When every "
        "difference is zero the Wilcoxon test is undefined and the sign test is used (p = 1). The *test* "
        "column says which.",
        "* **MAST labels**: the structural annotator (`sre_agent.mast.StructuralAnnotator`) on the run's "
        "`trace.jsonl`; a mode counts as present when labelled 1; undetermined labels are left out of the "
        "shares.",
        "* **failed % / successful %**: the share of failed (successful) runs of a profile × setting in which "
        "the mode is present; **Δ pp** = failed % − successful % (percentage points): how much more often the "
        "mode shows up in failed traces. **all %**: share over all runs of the profile × setting.",
    ]


def _mast_section(freqs: Sequence[ModeFrequency], profile: str, settings: Sequence[str]) -> list[str]:
    by = {(f.setting, f.mode): f for f in freqs if f.profile == profile}
    seen = [m for m in MODE_IDS if any((by[(s, m)].all_share or 0) > 0 for s in settings)]
    lines = [f"#### MAST modes in all runs (% of runs), `{profile}`", ""]
    if not seen:
        return lines + ["No MAST mode was labelled present in any run of this profile.", ""]
    body = [[f"{m} {MODES[m].name}"] + [_pct(by[(s, m)].all_share) for s in settings] for m in seen]
    lines += _md_table(["mode", *[f"`{s}`" for s in settings]], body, "l" + "r" * len(settings)) + [""]
    lines += [f"#### MAST modes in failed vs successful runs, `{profile}` "
              "(failed % / successful % (Δ pp); n failed / n successful in the last row)", ""]
    body = []
    for m in seen:
        cells = []
        for s in settings:
            f = by[(s, m)]
            d = f.diff_pp
            cells.append(f"{_pct(f.failed_share)} / {_pct(f.success_share)} ({'–' if d is None else f'{d:+.0f}'})")
        body.append([f"{m} {MODES[m].name}"] + cells)
    body.append(["n failed / n successful"] + [f"{by[(s, MODE_IDS[0])].failed_n} / {by[(s, MODE_IDS[0])].success_n}"
                                              for s in settings])
    lines += _md_table(["mode", *[f"`{s}`" for s in settings]], body, "l" + "r" * len(settings)) + [""]
    never = [m for m in MODE_IDS if m not in seen]
    if never:
        lines += [f"Never present: {', '.join(never)}.", ""]
    return lines


def render_report(*, meta: dict[str, Any], profiles: Sequence[str], settings: Sequence[str], baseline: str,
                  cells: Sequence[Cell], paired: Sequence[Paired], freqs: Sequence[ModeFrequency],
                  plots: dict[str, list[str]], failed_threshold: float, usage: Sequence[Any] = ()) -> str:
    """The whole report.md."""
    lines = [f"# Ablation `{meta['name']}`", ""]
    if meta.get("description"):
        lines += [str(meta["description"]).strip(), ""]
    lines += [
        f"* ablation file: `{meta.get('source')}`",
        f"* design: **{meta['design']}** over fixes {', '.join(meta['vary'])}; baseline **`{baseline}`**",
        f"* profiles: {', '.join(profiles)}; settings: {len(settings)}; scenarios: {meta['n_scenarios']}; "
        f"seeds: {', '.join(str(s) for s in meta['seeds'])}"
        + "".join(f" ({p}: seed {', '.join(map(str, v))} only, it ignores the seed)"
                  for p, v in (meta.get("seeds_per_profile") or {}).items() if v and len(v) < len(meta["seeds"])),
        "* statistics clustered by scenario: seeds of one scenario are averaged before the paired test "
        "(Wilcoxon-Pratt over scenarios) and resampled together in the bootstrap intervals",
        f"* runs: {meta['n_runs']} ({meta['executed']} executed now, {meta['reused']} reused from `runs/`); "
        f"failed runs (crash or error): {meta['errors']}",
        f"* code version: `{meta['code_version']}`",
        "", "Settings (fixes switched on):", "",
    ]
    for s, on in meta["settings_on"].items():
        lines.append(f"* `{s}`: {', '.join(on) if on else 'none'}")
    lines += ["", "## Mean root-cause recall per setting [95 % bootstrap CI]", ""]
    lines += headline_table(cells, profiles, settings) + [""]
    if usage:
        from .usage import usage_section

        lines += usage_section(usage)
    for p in profiles:
        lines += [f"## Profile `{p}`", ""]
        lines += [f"### Recall per setting, `{p}`", ""]
        body = [[f"`{c.setting}`", str(c.n), _ci(c.mean, c.low, c.high), _f(c.precision), _f(c.f1),
                 _pct(c.failed_share)] for c in cells if c.profile == p]
        lines += _md_table(["setting", "n", "mean recall [95 % CI]", "precision", "F1", "failed %"], body, "lrrrrr")
        lines += ["", f"### Paired difference against `{baseline}`, `{p}`", ""]
        body = [[f"`{d.setting}`", str(d.n), _f(d.mean_diff, 4), _ci(d.mean_diff, d.low, d.high).split(" ", 1)[-1]
                 if d.mean_diff is not None else "–", f"{d.wins} / {d.losses} / {d.ties}", d.test, _p(d.p_value)]
                for d in paired if d.profile == p]
        lines += _md_table(["setting", "n", "mean diff", "95 % CI", "wins / losses / ties", "test", "p-value"],
                           body, "lrrrrlr")
        lines += [""] + _mast_section(freqs, p, settings)
        from .mast_view import fatal_section

        lines += fatal_section(freqs, p, settings)
        for title, path in zip(("recall", "paired difference", "MAST failed vs successful"), plots.get(p, [])):
            lines.append(f"![{title}, {p}]({path})")
        lines.append("")
    lines += _definitions(failed_threshold, baseline) + [""]
    return "\n".join(lines)
