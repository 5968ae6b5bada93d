"""What each fix setting does apart from what it was built for: effects away from construction, and cost.

For every non-baseline setting, from the paired comparisons of :mod:`.report` (scenario as the
unit) split by :mod:`.construction`:

* **by construction**: profiles injecting a mode the switched fixes target (◆ cells);
* **other modes**: failure-injecting profiles none of whose injected modes the fixes target;
* **clean**: profiles injecting nothing (the fix on a model that does not fail this way);
* **cost**: model calls, tokens (prompt + completion) and wall seconds per run, the setting
  against the baseline, paired by run (same scenario, profile and seed), averaged per scenario
  then over scenarios, all profiles together, with a 95 % cluster-bootstrap interval.

Hard variants are another ablation file (``*-hard.yaml``); :func:`variants_table` and
``python -m sre_agent.ablation.elsewhere NORMAL_DIR HARD_DIR`` set the paired differences of the
two side by side.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from .construction import MARK, injected_modes
from .report import Paired, paired_differences, read_csv, scenario_differences
from .stats import cluster_interval, scenario_means


def _diff(d: Paired) -> str:
    if d.mean_diff is None:
        return f"{d.profile} –"
    star = "*" if d.p_holm is not None and d.p_holm < 0.05 else ""
    return f"{d.profile} {d.mean_diff:+.3f} [{d.low:+.3f}, {d.high:+.3f}]{star}"


def cost_difference(rows: Sequence[dict[str, str]], setting: str, baseline: str, metric: str,
                    wall: Mapping[str, float] | None = None) -> tuple[float, float, float, int] | None:
    """(mean, low, high, scenarios) of ``metric(setting) - metric(baseline)`` per run, paired on
    (scenario, profile, seed), averaged per scenario.  ``metric`` is a results.csv column,
    ``tokens`` (prompt + completion) or ``wall_s`` (from ``wall``: run id -> seconds)."""
    def value(r: dict[str, str]) -> float | None:
        if metric == "wall_s":
            return (wall or {}).get(r["run_id"])
        if metric == "tokens":
            parts = [r.get("prompt_tokens", ""), r.get("completion_tokens", "")]
            return None if "" in parts else float(parts[0]) + float(parts[1])
        return None if r.get(metric, "") == "" else float(r[metric])

    base = {(r["scenario"], r["profile"], r["seed"]): value(r) for r in rows if r["setting"] == baseline}
    pairs = []
    for r in rows:
        b = base.get((r["scenario"], r["profile"], r["seed"]))
        v = value(r) if r["setting"] == setting else None
        if v is not None and b is not None:
            pairs.append((r["scenario"], v - b))
    iv = cluster_interval(list(scenario_means(pairs).values()))
    return None if iv is None else (iv.mean, iv.low, iv.high, iv.n)


def _cost(c: tuple[float, float, float, int] | None, digits: int = 1) -> str:
    return "–" if c is None else f"{c[0]:+.{digits}f} [{c[1]:+.{digits}f}, {c[2]:+.{digits}f}]"


def elsewhere_section(rows: Sequence[dict[str, str]], paired: Sequence[Paired], settings: Sequence[str],
                      baseline: str, wall: Mapping[str, float] | None = None) -> list[str]:
    """The report.md section: per setting, recall effects by construction / on other modes / on
    clean, and the cost against the baseline."""
    lines = [f"## What each setting does apart from construction, and its cost (against `{baseline}`)", "",
             "Mean paired recall difference per profile [95 % CI over scenarios] (* p (Holm) < 0.05); cost per "
             "run, paired by scenario × profile × seed and averaged per scenario, all profiles together.", ""]
    body = []
    for s in settings:
        if s == baseline:
            continue
        here = [d for d in paired if d.setting == s]
        built = [d for d in here if d.targets]
        clean = [d for d in here if not d.targets and not injected_modes(d.profile)]
        other = [d for d in here if not d.targets and injected_modes(d.profile)]
        body.append([f"`{s}`", "; ".join(f"{MARK} {_diff(d)}" for d in built) or "–",
                     "; ".join(_diff(d) for d in other) or "–", "; ".join(_diff(d) for d in clean) or "–",
                     _cost(cost_difference(rows, s, baseline, "model_calls")),
                     _cost(cost_difference(rows, s, baseline, "tokens"), 0),
                     _cost(cost_difference(rows, s, baseline, "wall_s", wall), 2)])
    header = ["setting", "by construction", "other modes", "clean", "Δ model calls", "Δ tokens", "Δ wall s"]
    lines += ["| " + " | ".join(header) + " |", "|---|---|---|---|---:|---:|---:|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    units = len({r["scenario"] for r in rows})
    lines += ["", f"*Independent units: {units} scenarios. Wall time depends on the machine's load; calls and tokens "
                  "do not.*", ""]
    return lines


def variants_table(normal: Sequence[dict[str, str]], hard: Sequence[dict[str, str]], baseline: str) -> list[str]:
    """Markdown: per profile × setting, the paired recall difference on the normal and on the hard
    variant (scenario as the unit, Holm within each variant's table)."""
    profiles = list(dict.fromkeys(r["profile"] for r in normal))
    settings = list(dict.fromkeys(r["setting"] for r in normal))
    by = {}
    for name, rows in (("normal", normal), ("hard", hard)):
        for d in paired_differences(rows, profiles, settings, baseline):
            by[(name, d.profile, d.setting)] = d
    lines = ["| profile | setting | normal | hard | hard − normal (per scenario) |", "|---|---|---:|---:|---:|"]
    for p in profiles:
        for s in settings:
            if s == baseline:
                continue
            n, h = by.get(("normal", p, s)), by.get(("hard", p, s))
            dn, dh = scenario_differences(normal, p, s, baseline), scenario_differences(hard, p, s, baseline)
            iv = cluster_interval([dh[c] - dn[c] for c in dn if c in dh])
            cells = [_diff(x).split(" ", 1)[1] if x else "–" for x in (n, h)]
            lines.append(f"| {p} | `{s}` | {cells[0]} | {cells[1]} | "
                         + ("–" if iv is None else f"{iv.mean:+.3f} [{iv.low:+.3f}, {iv.high:+.3f}] (n={iv.n})") + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sre_agent.ablation.elsewhere",
                                 description="a fix's effect on the normal and on the hard variant, side by side")
    ap.add_argument("normal", type=Path, help="the normal variant's ablation --out folder (its results.csv)")
    ap.add_argument("hard", type=Path, help="the hard variant's ablation --out folder")
    ap.add_argument("--baseline", default="all-off")
    args = ap.parse_args(argv)
    print("\n".join(variants_table(read_csv(args.normal / "results.csv"), read_csv(args.hard / "results.csv"),
                                   args.baseline)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
