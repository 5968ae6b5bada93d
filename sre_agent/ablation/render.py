"""``report.md`` of an ablation: the tables and what each number is (statistics in :mod:`.report`).

Every table of comparisons states its independent units (scenarios; seeds are averaged within a
scenario) under it, and marks with :data:`~.construction.MARK` the cells where the profile
injects a mode the switched fix targets (by construction, :mod:`.construction`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..mast import MODE_IDS, MODES
from .construction import MARK
from .report import Cell, ModeFrequency, Paired


def _f(v: float | None, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


def _ci(mean: float | None, low: float | None, high: float | None, digits: int = 3) -> str:
    return "–" if mean is None else f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def _p(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:.2e}" if v < 1e-3 else f"{v:.4f}"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.0f}"


def md_table(header: Sequence[str], body: Sequence[Sequence[str]], align: str = "") -> list[str]:
    """A markdown table (``align``: one letter per column, ``r`` right-aligns it).

    >>> md_table(["a", "b"], [["1", "2"]], "lr")
    ['| a | b |', '|---|---:|', '| 1 | 2 |']
    """
    aligns = [("---:" if (align and i < len(align) and align[i] == "r") else "---") for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return lines


def units_line(units: int, seeds: Sequence[int] | int) -> str:
    """The line under a table naming its independent units.

    >>> units_line(29, [0, 1])
    '*Independent units: 29 scenarios (2 seeds averaged within each scenario).*'
    """
    k = seeds if isinstance(seeds, int) else len(seeds)
    return f"*Independent units: {units} scenarios ({k} seed{'s' if k != 1 else ''} averaged within each scenario).*"


def headline_table(cells: Sequence[Cell], profiles: Sequence[str], settings: Sequence[str],
                   paired: Sequence[Paired] = ()) -> list[str]:
    """Markdown: settings × profiles, mean recall [95 % CI]; ◆ where the setting's fixes target a
    mode the profile injects (against the baseline)."""
    by = {(c.profile, c.setting): c for c in cells}
    aimed = {(d.profile, d.setting) for d in paired if d.targets}
    body = [[f"`{s}`"] + [_ci(by[(p, s)].mean, by[(p, s)].low, by[(p, s)].high) + (f" {MARK}" if (p, s) in aimed else "")
                          for p in profiles] for s in settings]
    return md_table(["setting", *profiles], body, "l" + "r" * len(profiles))


def paired_table(paired: Sequence[Paired], profile: str) -> list[str]:
    """The paired comparisons of one profile against the baseline."""
    body = []
    for d in paired:
        if d.profile != profile:
            continue
        ci = _ci(d.mean_diff, d.low, d.high, 4).split(" ", 1)[-1] if d.mean_diff is not None else "–"
        dz = "–" if d.dz is None else f"{d.dz:.2f} [{d.dz_low:.2f}, {d.dz_high:.2f}]"
        body.append([f"`{d.setting}`", f"{MARK} {', '.join(d.targets)}" if d.targets else "", str(d.n),
                     _f(d.mean_diff, 4), ci, dz, f"{d.wins} / {d.losses} / {d.ties}", _p(d.p_value), _p(d.p_holm)])
    return md_table(["setting", "targets injected", "n", "mean diff", "95 % CI", "d_z [95 % CI]",
                     "wins / losses / ties", "p (sign-flip)", "p (Holm)"], body, "llrrrrrrr")


def definitions(failed_threshold: float, baseline: str, n_comparisons: int) -> list[str]:
    """What each number of the report is."""
    return [
        "## Definitions", "",
        "* **run**: one scenario × model profile × fix setting × seed; its folder is `runs/<run_id>/`.",
        "* **independent unit**: the scenario. The seeds of one scenario share its data, so every statistic "
        "first averages a scenario's seeds and then treats the scenarios as the sample. The failure draws of a "
        "profile are keyed by (scenario, seed, profile, role, decision index), so scenarios draw independently "
        "and every setting of one scenario × seed sees the same draws (`sre_agent.llm.draws`).",
        "* **recall** (root-cause recall), **precision**, **F1**: `sre_agent.eval.scoring.score` of the run's "
        "`agent_output.json` against the scenario's ground truth; a run that crashed scores as the empty answer.",
        f"* **failed**: recall < {failed_threshold:g} (the ablation's `failed_threshold`); **successful** otherwise.",
        "* **mean recall [95 % CI]**: the mean over scenarios of each scenario's mean recall over its seeds, with "
        "a 95 % percentile bootstrap interval resampling scenarios (`scipy.stats.bootstrap`, 10 000 resamples, "
        "numpy seed 0). n counts runs. A profile that ignores the seed (`deterministic: true`) is run with the "
        "first seed only.",
        f"* **mean diff** (paired by scenario): for each scenario, d = the mean, over its seeds run under both "
        f"the setting and the baseline (`{baseline}`) of the same profile, of recall(setting) − recall(baseline); "
        "n = scenarios; mean d with its 95 % cluster-bootstrap interval; wins / losses / ties = scenarios with "
        "d > 0, d < 0, d = 0. This is the effect in recall units.",
        "* **d_z**: Cohen's standardised effect of paired data, mean d / standard deviation of d over scenarios, "
        "with a 95 % bootstrap interval over scenarios (resamples with no spread, where it is undefined, left "
        "out); – when every d is equal.",
        "* **p (sign-flip)**: two-sided sign-flip permutation test of mean d = 0 over scenarios "
        "(`scipy.stats.permutation_test`, `permutation_type=\"samples\"`: exact over all 2^n sign patterns up "
        "to n = 13, else 9 999 random flips with numpy seed 0); 1 when every d is 0.",
        f"* **p (Holm)**: the sign-flip p-values Holm-corrected over the {n_comparisons} comparisons of this "
        "ablation (every profile × non-baseline setting: one table; Holm's step-down: the i-th smallest of m "
        "p-values times m − i + 1, made non-decreasing, capped at 1). Read an effect as found when p (Holm) < 0.05.",
        f"* **{MARK} / targets injected**: the profile injects a MAST mode that a fix switched differently from the "
        "baseline targets (the profile's `failure_rates` above 0 ∩ the fix's `mast` codes): that effect is partly "
        "true by construction. Unmarked cells show what a fix does elsewhere.",
        "* **MAST labels**: the structural annotator (`sre_agent.mast.StructuralAnnotator`) on the run's "
        "`trace.jsonl`; a mode counts as present when labelled 1; undetermined labels are left out of the "
        "shares.",
        "* **failed % / successful %**: the share of failed (successful) runs of a profile × setting in which "
        "the mode is present; **Δ pp** = failed % − successful % (percentage points): how much more often the "
        "mode shows up in failed traces. **all %**: share over all runs of the profile × setting.",
    ]


def mast_section(freqs: Sequence[ModeFrequency], profile: str, settings: Sequence[str]) -> list[str]:
    """MAST mode shares in all runs and in failed vs successful runs of one profile."""
    by = {(f.setting, f.mode): f for f in freqs if f.profile == profile}
    seen = [m for m in MODE_IDS if any((by[(s, m)].all_share or 0) > 0 for s in settings)]
    lines = [f"#### MAST modes in all runs (% of runs), `{profile}`", ""]
    if not seen:
        return lines + ["No MAST mode was labelled present in any run of this profile.", ""]
    body = [[f"{m} {MODES[m].name}"] + [_pct(by[(s, m)].all_share) for s in settings] for m in seen]
    lines += md_table(["mode", *[f"`{s}`" for s in settings]], body, "l" + "r" * len(settings)) + [""]
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
    lines += md_table(["mode", *[f"`{s}`" for s in settings]], body, "l" + "r" * len(settings)) + [""]
    never = [m for m in MODE_IDS if m not in seen]
    if never:
        lines += [f"Never present: {', '.join(never)}.", ""]
    return lines


def render_report(*, meta: dict[str, Any], profiles: Sequence[str], settings: Sequence[str], baseline: str,
                  cells: Sequence[Cell], paired: Sequence[Paired], freqs: Sequence[ModeFrequency],
                  plots: dict[str, list[str]], failed_threshold: float, usage: Sequence[Any] = (),
                  extra: Sequence[str] = (), fatal: Any = None) -> str:
    """The whole report.md (``extra``: sections added after the headline, e.g. effects elsewhere;
    ``fatal(profile) -> lines``: the fatal-vs-benign section of a profile)."""
    units = max((c.units for c in cells), default=0)
    seeds = meta["seeds"]
    lines = [f"# Ablation `{meta['name']}`", ""]
    if meta.get("description"):
        lines += [str(meta["description"]).strip(), ""]
    lines += [
        f"* ablation file: `{meta.get('source')}`",
        f"* design: **{meta['design']}** over fixes {', '.join(meta['vary'])}; baseline **`{baseline}`**",
        f"* profiles: {', '.join(profiles)}; settings: {len(settings)}; scenarios: {meta['n_scenarios']}; "
        f"seeds: {', '.join(str(s) for s in seeds)}"
        + "".join(f" ({p}: seed {', '.join(map(str, v))} only, it ignores the seed)"
                  for p, v in (meta.get("seeds_per_profile") or {}).items() if v and len(v) < len(seeds)),
        "* statistics with the scenario as the unit: seeds averaged within a scenario, cluster-bootstrap "
        "intervals over scenarios, sign-flip permutation tests over scenarios, Holm-corrected over the table",
        f"* runs: {meta['n_runs']} ({meta['executed']} executed now, {meta['reused']} reused from `runs/`); "
        f"failed runs (crash or error): {meta['errors']}",
        f"* code version: `{meta['code_version']}`",
        "", "Settings (fixes switched on):", "",
    ]
    for s, on in meta["settings_on"].items():
        lines.append(f"* `{s}`: {', '.join(on) if on else 'none'}")
    lines += ["", f"## Mean root-cause recall per setting [95 % bootstrap CI over scenarios] ({MARK}: by construction)", ""]
    lines += headline_table(cells, profiles, settings, paired) + ["", units_line(units, seeds), ""]
    lines += list(extra)
    if usage:
        from .usage import usage_section

        lines += usage_section(usage)
    for p in profiles:
        lines += [f"## Profile `{p}`", "", f"### Recall per setting, `{p}`", ""]
        body = [[f"`{c.setting}`", str(c.n), str(c.units), _ci(c.mean, c.low, c.high), _f(c.precision), _f(c.f1),
                 _pct(c.failed_share)] for c in cells if c.profile == p]
        lines += md_table(["setting", "runs", "scenarios", "mean recall [95 % CI]", "precision", "F1", "failed %"],
                          body, "lrrrrrr")
        lines += ["", units_line(max((c.units for c in cells if c.profile == p), default=0),
                                 (meta.get("seeds_per_profile") or {}).get(p) or seeds), ""]
        lines += [f"### Paired difference against `{baseline}`, `{p}`", ""]
        lines += paired_table(paired, p)
        lines += ["", units_line(max((d.n for d in paired if d.profile == p), default=0),
                                 (meta.get("seeds_per_profile") or {}).get(p) or seeds), ""]
        lines += mast_section(freqs, p, settings)
        if fatal is not None:
            lines += fatal(p)
        for title, path in zip(("recall", "paired difference", "MAST failed vs successful"), plots.get(p, [])):
            lines.append(f"![{title}, {p}]({path})")
        lines.append("")
    lines += definitions(failed_threshold, baseline, sum(d.p_value is not None for d in paired)) + [""]
    return "\n".join(lines)


__all__ = ["definitions", "headline_table", "mast_section", "md_table", "paired_table", "render_report", "units_line"]
