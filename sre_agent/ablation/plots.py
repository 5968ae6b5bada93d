"""PNG plots of an ablation (matplotlib, Agg backend: no display needed).

Per profile: ``recall-<profile>.png`` (mean recall per setting with its 95 % CI),
``diff-<profile>.png`` (paired difference against the baseline with its 95 % CI and p-value)
and ``mast-<profile>.png`` (a heat map of Δ pp = failed % − successful % per MAST mode and
setting, annotated with failed % / successful %).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..mast import MODE_IDS, MODES
from .report import Cell, ModeFrequency, Paired


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def plot_recall(cells: Sequence[Cell], profile: str, path: Path) -> None:
    """Mean recall per setting, horizontal bars with 95 % CI whiskers."""
    plt = _pyplot()
    sel = [c for c in cells if c.profile == profile and c.mean is not None]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(sel) + 1.4), layout="constrained")
    y = list(range(len(sel)))[::-1]
    means = [c.mean for c in sel]
    err = [[c.mean - c.low for c in sel], [c.high - c.mean for c in sel]]
    ax.barh(y, means, xerr=err, color="#4c78a8", capsize=3)
    ax.set_yticks(y, [c.setting for c in sel])
    ax.set_xlim(0, 1.18)  # room right of a whisker ending at 1.0 for its label
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlabel("mean root-cause recall (95 % bootstrap CI)")
    ax.set_title(f"{profile}: recall per fix setting")
    for yi, c in zip(y, sel):
        # beside the whisker's right end (never on the whisker or its cap), above the bar's centre line
        ax.annotate(f"{c.mean:.2f}", (c.high, yi), xytext=(6, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=8)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def plot_diff(paired: Sequence[Paired], profile: str, path: Path) -> None:
    """Paired recall difference against the baseline, point and 95 % CI, p-value beside it."""
    plt = _pyplot()
    sel = [d for d in paired if d.profile == profile and d.mean_diff is not None]
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(1, len(sel)) + 1.4), layout="constrained")
    y = list(range(len(sel)))[::-1]
    if sel:
        err = [[d.mean_diff - d.low for d in sel], [d.high - d.mean_diff for d in sel]]
        colors = ["#54a24b" if d.low > 0 else "#e45756" if d.high < 0 else "#888888" for d in sel]
        for yi, d, lo, hi, c in zip(y, sel, err[0], err[1], colors):
            ax.errorbar([d.mean_diff], [yi], xerr=[[lo], [hi]], fmt="o", color=c, capsize=3)
        ax.set_yticks(y, [d.setting for d in sel])
        for yi, d in zip(y, sel):
            p = "–" if d.p_value is None else f"{d.p_value:.2g}"
            ax.annotate(f"p={p} ({d.test})", (d.high, yi), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=7)
        ax.set_title(f"{profile}: recall − recall({sel[0].baseline}), paired over scenario × seed")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("mean paired difference in recall (95 % bootstrap CI)")
    ax.margins(x=0.25)  # room for the p-value right of the widest interval
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def plot_mast(freqs: Sequence[ModeFrequency], profile: str, settings: Sequence[str], path: Path) -> None:
    """Heat map: rows MAST modes, columns settings, colour Δ pp (failed − successful)."""
    plt = _pyplot()
    import numpy as np

    by = {(f.setting, f.mode): f for f in freqs if f.profile == profile}
    grid = np.full((len(MODE_IDS), len(settings)), np.nan)
    for i, m in enumerate(MODE_IDS):
        for j, s in enumerate(settings):
            d = by[(s, m)].diff_pp
            grid[i, j] = np.nan if d is None else d
    fig, ax = plt.subplots(figsize=(1.1 * len(settings) + 5.5, 6.8), layout="constrained")
    im = ax.imshow(np.nan_to_num(grid), cmap="RdBu_r", vmin=-100, vmax=100, aspect="auto")
    ax.set_xticks(range(len(settings)), settings, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(MODE_IDS)), [f"{m} {MODES[m].name}" for m in MODE_IDS], fontsize=8)
    for i, m in enumerate(MODE_IDS):
        for j, s in enumerate(settings):
            f = by[(s, m)]
            if f.failed_share is None and f.success_share is None:
                ax.text(j, i, "n/a", ha="center", va="center", fontsize=6.5, color="#888888")
                continue
            text = "/".join("–" if v is None else f"{100 * v:.0f}" for v in (f.failed_share, f.success_share))
            ax.text(j, i, text, ha="center", va="center", fontsize=6.5)
    bar = fig.colorbar(im, ax=ax, shrink=0.8)
    bar.set_label("Δ pp = failed % − successful %", fontsize=8)
    ax.set_title(f"{profile}\nMAST mode in failed / successful runs (%)", fontsize=10)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def write_plots(out: Path, *, profiles: Sequence[str], settings: Sequence[str], cells: Sequence[Cell],
                paired: Sequence[Paired], freqs: Sequence[ModeFrequency]) -> dict[str, list[str]]:
    """Write every plot into ``out/plots``; returns, per profile, the paths relative to ``out``."""
    folder = Path(out) / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[str]] = {}
    for p in profiles:
        names = [f"recall-{_slug(p)}.png", f"diff-{_slug(p)}.png", f"mast-{_slug(p)}.png"]
        plot_recall(cells, p, folder / names[0])
        plot_diff(paired, p, folder / names[1])
        plot_mast(freqs, p, settings, folder / names[2])
        written[p] = [f"plots/{n}" for n in names]
    return written
