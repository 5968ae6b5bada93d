"""Which MAST modes separate failed from successful runs: the ITBench × MAST "fatal vs benign" reading.

For a profile (pooled over its settings) and for each setting, and for each MAST mode seen: the
2 × 2 table of runs *failed / successful* × *mode present / absent* (runs whose label for the
mode is undetermined are left out), the share present in failed and in successful runs, their
ratio, and a one-sided Fisher exact test (``scipy.stats.fisher_exact``, alternative
``greater``: is the mode over-represented in failed runs?).  Reading:

* **fatal**: over-represented in failures with p < ``ALPHA``;
* **more in failures (n.s.)**: more frequent in failed runs, not significant at this n;
* **benign**: at least as frequent in successful runs (it does not explain the failures).

Example:
    >>> t = ModeTable("p", "all", "3.2", present_failed=6, failed=6, present_ok=0, ok=6)
    >>> round(t.p_value, 4), t.verdict
    (0.0011, 'fatal')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import fisher_exact

from ..mast import MODE_IDS, MODES

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


def mode_tables(freqs: Sequence[object], profile: str, settings: Sequence[str]) -> list[ModeTable]:
    """The tables per setting and pooled (``POOLED``), from ``report.ModeFrequency`` records (the
    counts are share × n, exact since shares are counts over n)."""
    by = {(f.setting, f.mode): f for f in freqs if f.profile == profile}  # type: ignore[attr-defined]
    out = []
    for m in MODE_IDS:
        pooled = [0, 0, 0, 0]
        for s in settings:
            f = by.get((s, m))
            if f is None:
                continue
            counts = (round((f.failed_share or 0) * f.failed_n), f.failed_n, round((f.success_share or 0) * f.success_n),
                      f.success_n)
            pooled = [a + b for a, b in zip(pooled, counts)]
            out.append(ModeTable(profile, s, m, *counts))
        out.append(ModeTable(profile, POOLED, m, *pooled))
    return out


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}"


def fatal_section(freqs: Sequence[object], profile: str, settings: Sequence[str]) -> list[str]:
    """The report.md lines: pooled table of the modes seen, then per setting the fatal modes."""
    tables = mode_tables(freqs, profile, settings)
    pooled = [t for t in tables if t.setting == POOLED and t.present_failed + t.present_ok > 0]
    lines = [f"#### Which MAST modes separate failed from successful runs, `{profile}` (fatal vs benign)", ""]
    if not pooled:
        return lines + ["No MAST mode was labelled present in any run of this profile.", ""]
    lines += [f"Pooled over settings; one-sided Fisher exact test (mode over-represented in failed runs), "
              f"fatal = p < {ALPHA}.", "",
              "| mode | failed runs with it | successful runs with it | ratio | p (Fisher) | reading |",
              "|---|---:|---:|---:|---:|---|"]
    for t in pooled:
        ratio = "–" if t.ratio is None else ("∞" if t.ratio == float("inf") else f"{t.ratio:.2f}")
        p = "–" if t.p_value is None else f"{t.p_value:.3g}"
        lines.append(f"| {t.mode} {MODES[t.mode].name} | {t.present_failed}/{t.failed} ({_pct(t.failed_share)} %) | "
                     f"{t.present_ok}/{t.ok} ({_pct(t.ok_share)} %) | {ratio} | {p} | {t.verdict} |")
    lines.append("")
    for s in settings:
        fatal = [t.mode for t in tables if t.setting == s and t.verdict == "fatal"]
        some = next((t for t in tables if t.setting == s), None)
        n = f"{some.failed} failed / {some.ok} successful runs" if some else ""
        lines.append(f"* `{s}` ({n}): fatal {', '.join(fatal) if fatal else 'none (no mode significantly over-represented)'}")
    return lines + [""]
