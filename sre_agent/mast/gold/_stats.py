"""Agreement and detector scores for the gold set: Cohen's kappa (scikit-learn), precision and
recall with Wilson intervals (scipy), F1 with a percentile bootstrap over traces.

Example:
    >>> kappa([1, 0, 1, 0], [1, 0, 0, 0])
    0.5
    >>> s = score([1, 1, 0, 0], [1, 0, 1, 0]); (s.tp, s.fp, s.fn, s.precision, s.recall, s.f1)
    (1, 1, 1, 0.5, 0.5, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import cohen_kappa_score

#: bootstrap resamples for the F1 interval, and the seed (the report is reproducible)
BOOTSTRAP = 2000
SEED = 14


def kappa(a: Sequence[int], b: Sequence[int]) -> float | None:
    """Cohen's kappa of two 0/1 label lists; ``None`` when undefined (both raters constant and
    equal: chance agreement is 1)."""
    if not a or (len(set(a)) == 1 and set(a) == set(b)):
        return None
    return float(cohen_kappa_score(list(a), list(b), labels=[0, 1]))


def wilson(k: int, n: int) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of k successes in n, or ``None`` for n = 0."""
    if n == 0:
        return None
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denom = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), np.nan)


@dataclass
class Score:
    """A detector's counts and scores on one mode against the gold."""

    tp: int
    fp: int
    fn: int
    tn: int
    precision: float | None
    recall: float | None
    f1: float | None
    precision_ci: tuple[float, float] | None
    recall_ci: tuple[float, float] | None
    f1_ci: tuple[float, float] | None

    @property
    def positives(self) -> int:
        """Gold positives (TP + FN)."""
        return self.tp + self.fn


def score(gold: Sequence[int], pred: Sequence[int], resamples: int = BOOTSTRAP) -> Score:
    """Counts, P / R / F1 and their 95 % intervals (Wilson for P and R, bootstrap over traces for F1)."""
    g, p = np.asarray(gold, dtype=int), np.asarray(pred, dtype=int)
    tp, fp = int(((g == 1) & (p == 1)).sum()), int(((g == 0) & (p == 1)).sum())
    fn, tn = int(((g == 1) & (p == 0)).sum()), int(((g == 0) & (p == 0)).sum())
    prec = tp / (tp + fp) if tp + fp else None
    rec = tp / (tp + fn) if tp + fn else None
    f1 = float(_f1(np.array(tp), np.array(fp), np.array(fn))) if tp + fp + fn else None
    f1_ci = None
    if f1 is not None and len(g) > 1:
        idx = np.random.default_rng(SEED).integers(0, len(g), size=(resamples, len(g)))
        gs, ps = g[idx], p[idx]
        boot = _f1(((gs == 1) & (ps == 1)).sum(1), ((gs == 0) & (ps == 1)).sum(1), ((gs == 1) & (ps == 0)).sum(1))
        boot = boot[~np.isnan(boot)]
        if boot.size:
            f1_ci = (float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5)))
    return Score(tp, fp, fn, tn, prec, rec, None if f1 is None else float(f1),
                 wilson(tp, tp + fp), wilson(tp, tp + fn), f1_ci)
