"""How many scenarios and seeds detect a recall difference of 0.05?  A power analysis from a pilot.

From a pilot ablation's ``results.csv`` (two or more seeds), for every profile × setting
compared with the baseline, the paired recall difference of a run (setting − baseline, same
scenario and seed) is split into two variance components (method of moments, seeds nested in
scenarios):

* **within** (σ²_w): the variance of the difference across the seeds of one scenario, averaged
  over scenarios -- what more seeds average away;
* **between** (σ²_b): the variance of the scenarios' true mean differences,
  ``max(0, var(per-scenario means) - σ²_w / k_pilot)`` -- what only more scenarios reduce.

A design with S scenarios × k seeds estimates the mean difference from S per-scenario means of
variance ``σ²_b + σ²_w / k``; its power is that of a two-sided one-sample t-test on them
(:func:`t_power`: the noncentral t distribution, ``scipy.stats.nct``), a normal-theory
stand-in for the sign-flip test the report runs.  The command prints, per comparison, the scenarios needed at each seed count for
``--delta`` at ``--power``, at α = 0.05 and at α / m (Holm's first step over m comparisons), the
smallest difference detectable with the scenarios available, and the planned run size (the
rule: :func:`plan`).

``python -m sre_agent.ablation.power PILOT_DIR [--scenarios-available 44] [--cpu-s-per-run S]``

Example:
    >>> rows = [{"profile": "p", "setting": s, "scenario": c, "seed": str(k), "recall": str(v)}
    ...         for c, base, on in (("a", 0.5, 1.0), ("b", 1.0, 1.0), ("c", 0.5, 0.5))
    ...         for k in (0, 1) for s, v in (("off", base), ("on", on))]
    >>> v = variance_components(rows, "p", "on", "off")
    >>> v.scenarios, v.seeds, round(v.mean, 3), round(v.between, 4), v.within
    (3, 2, 0.167, 0.0833, 0.0)
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SEED_COUNTS = (1, 2, 3, 5, 8, 10)


@dataclass(frozen=True)
class Components:
    """Variance components of one comparison's paired recall difference."""

    profile: str
    setting: str
    scenarios: int
    seeds: int
    mean: float
    between: float
    within: float

    def unit_variance(self, seeds: int) -> float:
        """Variance of one scenario's mean difference over ``seeds`` seeds."""
        return self.between + self.within / seeds


def variance_components(rows: Sequence[dict[str, str]], profile: str, setting: str, baseline: str) -> Components:
    """σ²_b and σ²_w of ``recall(setting) - recall(baseline)`` paired on (scenario, seed)."""
    base = {(r["scenario"], r["seed"]): float(r["recall"]) for r in rows
            if r["profile"] == profile and r["setting"] == baseline and r["recall"] != ""}
    by: dict[str, list[float]] = {}
    for r in rows:
        if r["profile"] == profile and r["setting"] == setting and r["recall"] != "" and (r["scenario"], r["seed"]) in base:
            by.setdefault(r["scenario"], []).append(float(r["recall"]) - base[(r["scenario"], r["seed"])])
    means = [statistics.fmean(v) for v in by.values()]
    k = min((len(v) for v in by.values()), default=0)
    within = statistics.fmean([statistics.variance(v) for v in by.values() if len(v) > 1]) if k > 1 else 0.0
    total = statistics.variance(means) if len(means) > 1 else 0.0
    between = max(0.0, total - within / k) if k else 0.0
    return Components(profile, setting, len(means), k, statistics.fmean(means) if means else 0.0, between, within)


def t_power(n: float, dz: float, alpha: float) -> float:
    """Power of the two-sided one-sample t-test with ``n`` units for standardised effect ``dz``.

    >>> round(t_power(34, 0.5, 0.05), 3)  # the textbook paired t-test: d = 0.5 needs 34 pairs for 80 %
    0.808
    """
    from scipy.stats import nct, norm, t

    df = n - 1
    crit = float(t.ppf(1 - alpha / 2, df))
    nc = dz * math.sqrt(n)
    p = float(nct.sf(crit, df, nc) + nct.cdf(-crit, df, nc))
    if math.isnan(p):  # far in the tail the noncentral t fails: there it is the normal
        p = float(norm.sf(crit - nc) + norm.cdf(-crit - nc))
    return p


def _solve(f, low: float, high: float) -> float:  # type: ignore[no-untyped-def]
    from scipy.optimize import brentq

    top = low * 2
    while f(top) < 0:  # the smallest power-of-two bracket, so the solver never starts in the far tail
        if top >= high:
            return float("inf")
        top = min(high, top * 2)
    return float(brentq(f, low, top, xtol=1e-6))


def scenarios_needed(c: Components, seeds: int, delta: float, alpha: float, power: float) -> float:
    """Scenarios S for power ``power`` to detect a mean difference ``delta`` with ``seeds`` seeds
    each (``0`` when the difference does not vary at all: any effect is seen in one scenario)."""
    var = c.unit_variance(seeds)
    if var <= 0:
        return 0.0
    dz = delta / math.sqrt(var)
    return _solve(lambda n: t_power(n, dz, alpha) - power, 2.0, 1e7)


def detectable(c: Components, seeds: int, scenarios: int, alpha: float, power: float) -> float:
    """The smallest mean difference detected with power ``power`` by ``scenarios`` × ``seeds``."""
    var = c.unit_variance(seeds)
    if var <= 0 or scenarios < 2:
        return 0.0 if var <= 0 else float("inf")
    return _solve(lambda dz: t_power(scenarios, dz, alpha) - power, 1e-9, 100.0) * math.sqrt(var)


def plan(components: Sequence[Components], *, delta: float, alpha: float, power: float, comparisons: int,
         available: int) -> tuple[int, list[str]]:
    """The planned seeds per scenario and the printed lines.  Seeds only average away the
    within-scenario variance, so the plan sizes by the comparisons that *can* detect ``delta``
    at α / ``comparisons`` with ``available`` scenarios at the largest seed count: the smallest
    seed count with which all of them do.  The others (between-scenario variance too large)
    are listed with the smallest difference they detect; no seed count changes that much."""
    strict = alpha / max(1, comparisons)
    top = SEED_COUNTS[-1]
    varying = [c for c in components if c.between + c.within > 0]
    lines = [f"power {power:.0%} for a recall difference of {delta} (two-sided; α = {alpha} and α/m = {strict:.4f}, "
             f"m = {comparisons}); scenarios available: {available}", "",
             "profile          setting                    n  k  mean d   σ²_between  σ²_within  "
             + "  ".join(f"S@k={k} (α/m)" for k in SEED_COUNTS)]
    for c in components:
        need = [scenarios_needed(c, k, delta, alpha, power) for k in SEED_COUNTS]
        need_s = [scenarios_needed(c, k, delta, strict, power) for k in SEED_COUNTS]
        cells = "  ".join(f"{_n(a)} ({_n(b)})".rjust(len(f"S@k={k} (α/m)")) for k, a, b in zip(SEED_COUNTS, need, need_s))
        lines.append(f"{c.profile:<16} {c.setting:<24} {c.scenarios:>3} {c.seeds:>2}  {c.mean:+.3f}  {c.between:>10.5f}  "
                     f"{c.within:>9.5f}  {cells}")
    feasible = [c for c in varying if scenarios_needed(c, top, delta, strict, power) <= available]
    chosen = next((k for k in SEED_COUNTS
                   if all(scenarios_needed(c, k, delta, strict, power) <= available for c in feasible)), top)
    lines += ["", f"with {available} scenarios × {chosen} seeds (α/m), the smallest detectable difference per comparison "
                  "that varies:"]
    lines += [f"  {c.profile} {c.setting}: {detectable(c, chosen, available, strict, power):.3f}"
              + ("" if c in feasible else f" (between-scenario variance: {top} seeds still give "
                 f"{detectable(c, top, available, strict, power):.3f})") for c in varying]
    silent = [c for c in components if c not in varying]
    if silent:
        lines.append("no variation at all (every pair tied): " + ", ".join(f"{c.profile} {c.setting}" for c in silent))
    lines.append(f"plan: k = {chosen} seeds per scenario, the fewest with which every comparison that can detect {delta} "
                 f"with {available} scenarios does ({len(feasible)} of {len(varying)} that vary)")
    return chosen, lines


def planned_runs(variants: int, scenarios: int, settings: int, seeded_profiles: int, seeds: int) -> int:
    """Runs of the re-run: the clean profile ignores the seed and runs once per setting.

    >>> planned_runs(2, 44, 15, 3, 5)
    21120
    """
    return variants * scenarios * settings * (seeded_profiles * seeds + 1)


def _n(x: float) -> str:
    return "∞" if math.isinf(x) else str(math.ceil(x))


def main(argv: Sequence[str] | None = None) -> int:
    from .report import read_csv

    ap = argparse.ArgumentParser(prog="python -m sre_agent.ablation.power", description=__doc__.split("\n\n")[0])
    ap.add_argument("pilot", type=Path, help="the pilot ablation's --out folder (its results.csv)")
    ap.add_argument("--baseline", default="all-off")
    ap.add_argument("--delta", type=float, default=0.05)
    ap.add_argument("--power", type=float, default=0.8)
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--comparisons", type=int, default=28, help="comparisons of one table (Holm's m; default "
                    "4 profiles × 7 settings)")
    ap.add_argument("--scenarios-available", type=int, default=44, help="29 shipped + 15 of ours")
    ap.add_argument("--settings", type=int, default=15, help="fix settings of the re-run (one-at-a-time's 8 and "
                    "leave-one-out's 7; they run into separate folders, so all-on runs in both)")
    ap.add_argument("--seeded-profiles", type=int, default=3, help="profiles run with every seed (clean runs one)")
    ap.add_argument("--variants", type=int, default=2, help="normal and hard")
    ap.add_argument("--cpu-s-per-run", type=float, default=None, help="CPU seconds per run measured on the pilot")
    args = ap.parse_args(argv)
    rows = read_csv(args.pilot / "results.csv")
    profiles = list(dict.fromkeys(r["profile"] for r in rows))
    settings = [s for s in dict.fromkeys(r["setting"] for r in rows) if s != args.baseline]
    comps = [variance_components(rows, p, s, args.baseline) for p in profiles for s in settings]
    k, lines = plan(comps, delta=args.delta, alpha=args.alpha, power=args.power, comparisons=args.comparisons,
                    available=args.scenarios_available)
    print("\n".join(lines))
    runs = planned_runs(args.variants, args.scenarios_available, args.settings, args.seeded_profiles, k)
    print(f"planned re-run: {args.scenarios_available} scenarios × {k} seeds: {runs} runs ({args.variants} variants "
          f"× {args.settings} settings × ({args.seeded_profiles} profiles × {k} seeds + clean × 1 seed))")
    if args.cpu_s_per_run:
        cpu = runs * args.cpu_s_per_run
        print(f"estimated CPU time: {cpu / 3600:.1f} h at {args.cpu_s_per_run:.2f} CPU s per run; "
              f"{cpu / 2 / 3600:.1f} h wall on 2 cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
