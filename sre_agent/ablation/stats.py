"""Statistics with the scenario as the unit: seeds are nested within scenarios.

The runs of one scenario share its data, and (with :mod:`sre_agent.llm.draws`) a seed is one
draw per scenario, so the independent units of an ablation are its **scenarios**.  Every
figure here first averages the seeds within a scenario, then works on the per-scenario values:

* :func:`scenario_means`: one value per scenario (the mean over its seeds);
* :func:`cluster_interval`: the mean over scenarios with a 95 % percentile bootstrap interval
  resampling scenarios (``scipy.stats.bootstrap``, 10 000 resamples, numpy seed 0);
* :func:`sign_flip_test`: the two-sided paired test of per-scenario differences, a sign-flip
  permutation test (``scipy.stats.permutation_test`` on the mean; exact up to 2^13 = 8192 sign
  patterns, else 9 999 random flips with numpy seed 0);
* :func:`holm`: Holm's step-down correction over the comparisons of one table (SciPy has
  none; it is the few lines of the definition);
* :func:`effect_size`: Cohen's d_z (mean / standard deviation of the per-scenario differences)
  with a bootstrap interval over scenarios (resamples whose differences are all equal, where
  d_z is undefined, are left out); ``None`` when every difference is equal.

Example:
    >>> iv = cluster_interval([1.0, 0.0, 1.0, 1.0])
    >>> iv.mean, iv.n, 0.0 <= iv.low <= iv.mean <= iv.high <= 1.0
    (0.75, 4, True)
    >>> sign_flip_test([0.5, 0.25, 0.0])
    0.5
    >>> [round(p, 3) for p in holm([0.01, 0.04, 0.03])]
    [0.03, 0.06, 0.06]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

RESAMPLES = 10_000
FLIPS = 9_999
SEED = 0


@dataclass(frozen=True)
class Interval:
    """A mean over ``n`` scenarios with its 95 % cluster-bootstrap interval."""

    mean: float
    low: float
    high: float
    n: int


def scenario_means(pairs: Iterable[tuple[str, float]]) -> dict[str, float]:
    """The mean value of each scenario (first-seen order) from (scenario, value) pairs.

    >>> scenario_means([("a", 1.0), ("b", 0.0), ("a", 0.0)])
    {'a': 0.5, 'b': 0.0}
    """
    groups: dict[str, list[float]] = {}
    for scenario, v in pairs:
        groups.setdefault(scenario, []).append(float(v))
    return {s: sum(vs) / len(vs) for s, vs in groups.items()}


def _bootstrap(values: np.ndarray, statistic) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    from scipy.stats import bootstrap

    if len(values) < 2 or np.all(values == values[0]):
        v = float(statistic(values))
        return v, v
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bootstrap((values,), statistic, n_resamples=RESAMPLES, method="percentile",
                        rng=np.random.default_rng(SEED), vectorized=False)
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if math.isnan(low) or math.isnan(high):  # resamples where the statistic is undefined are left out
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            low, high = (float(q) for q in np.nanpercentile(res.bootstrap_distribution, [2.5, 97.5]))
    return low, high


def cluster_interval(values: Sequence[float]) -> Interval | None:
    """Mean of per-scenario values with a 95 % percentile bootstrap interval over scenarios."""
    x = np.asarray(values, dtype=float)
    if not len(x):
        return None
    low, high = _bootstrap(x, np.mean)
    return Interval(round(float(x.mean()), 6), round(low, 6), round(high, 6), len(x))


def unit_interval(n: int, statistic: Callable[[np.ndarray], float]) -> tuple[float, float] | None:
    """95 % percentile bootstrap interval of ``statistic(indices)`` resampling ``n`` units (the
    statistic reads the units' data by index: ratios of pooled counts and the like); resamples
    where it is undefined (NaN) are left out.  ``None`` for fewer than 2 units.

    >>> import numpy as np
    >>> hits = np.array([1, 1, 0, 1]); unit_interval(4, lambda i: hits[i].mean())
    (0.25, 1.0)
    """
    if n < 2:
        return None
    return _bootstrap(np.arange(n), statistic)


def sign_flip_test(diffs: Sequence[float]) -> float | None:
    """Two-sided p-value of a sign-flip permutation test of mean(diffs) = 0 (1.0 when every
    difference is zero, ``None`` without data)."""
    from scipy.stats import permutation_test

    d = np.asarray(diffs, dtype=float)
    if not len(d):
        return None
    if np.all(d == 0):
        return 1.0
    res = permutation_test((d,), np.mean, permutation_type="samples", n_resamples=FLIPS, alternative="two-sided",
                           rng=np.random.default_rng(SEED))
    return float(min(1.0, res.pvalue))


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (``None`` stays ``None`` and is not counted as a comparison): the
    i-th smallest of m times (m - i + 1), made non-decreasing, capped at 1 (Holm 1979)."""
    idx = [i for i, p in enumerate(p_values) if p is not None and not math.isnan(p)]
    out: list[float | None] = [None] * len(p_values)
    if idx:
        vals = np.array([p_values[i] for i in idx], dtype=float)
        order = np.argsort(vals, kind="stable")
        m = len(vals)
        adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * vals[order]))
        for rank, j in enumerate(order):
            out[idx[j]] = float(adjusted[rank])
    return out


def _dz(x: np.ndarray) -> float:
    sd = float(np.std(x, ddof=1)) if len(x) > 1 else 0.0
    return float(np.mean(x)) / sd if sd > 0 else float("nan")


def effect_size(diffs: Sequence[float]) -> tuple[float, float, float] | None:
    """Cohen's d_z of per-scenario differences and its 95 % bootstrap interval over scenarios;
    ``None`` when undefined (fewer than 2 scenarios, or every difference equal).

    >>> effect_size([0.0, 0.0]) is None
    True
    >>> dz, low, high = effect_size([0.1, 0.2, 0.0, 0.1, 0.3]); round(dz, 2), low < dz < high
    (1.23, True)
    """
    d = np.asarray(diffs, dtype=float)
    if len(d) < 2 or np.all(d == d[0]):
        return None
    low, high = _bootstrap(d, _dz)
    return round(_dz(d), 4), round(low, 4), round(high, 4)


__all__ = ["Interval", "cluster_interval", "effect_size", "holm", "scenario_means", "sign_flip_test", "unit_interval"]
