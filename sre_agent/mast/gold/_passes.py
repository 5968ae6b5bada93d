"""Detectors against every labelling pass, not only the adjudication, and how well the passes
agree with each other (Krippendorff's alpha).

An adjudication that leans toward the detectors shows as a detector that agrees with the
adjudicated labels better than the independent passes agree with each other: for every mode
:func:`pass_table` compares the detector's Cohen's kappa against the adjudication with the passes'
Krippendorff's alpha and flags ``leans`` where the detector's is higher.

Example:
    >>> alpha([[1, 0, 1, 0], [1, 0, 1, 0]])
    1.0
    >>> round(alpha([[1, 0, 1, 0], [1, 0, 0, 0], [None, 0, 1, 0]]), 3)
    0.643
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..definitions import MODE_IDS, MODES
from ._labels import GoldLabels
from ._stats import kappa, score

#: an adjudication names the convention rule that decided it (CONVENTIONS.md) or the definition
RULE_CITED = re.compile(r"\bR\d{1,2}\b|\bdefinition\b", re.IGNORECASE)


def alpha(matrix: Sequence[Sequence[int | None]]) -> float | None:
    """Krippendorff's alpha (nominal) of a raters × units matrix of 0/1 labels (``None`` = the
    rater did not label that unit); ``None`` when undefined (one value throughout)."""
    import krippendorff

    data = np.array([[np.nan if v is None else float(v) for v in row] for row in matrix], dtype=float)
    values = set(data[~np.isnan(data)].tolist())
    if len(values) < 2:
        return None
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def _value(row: GoldLabels | None, mode: str) -> int | None:
    if row is None:
        return None
    if mode == "task_completion":
        return None if row.task_completion is None else int(bool(row.task_completion))
    v = row.labels.get(mode)
    return None if v is None else int(v)


def pass_table(passes: dict[str, dict[str, GoldLabels]], gold: dict[str, GoldLabels],
               detector: dict[str, dict[str, int | None]]) -> dict[str, Any]:
    """Per mode (and task_completion): the passes' alpha, the detector's F1 against each pass
    and against the adjudication, the detector's kappa against the adjudication, and whether it
    exceeds the passes' alpha (``leans``).  Each F1 counts the traces that pass labelled."""
    ids = sorted(set(gold) & set(detector))
    rows = []
    for m in MODE_IDS + ("task_completion",):
        matrix = [[_value(p.get(i), m) for i in ids] for p in passes.values()]
        a = alpha(matrix) if len(passes) >= 2 else None
        row: dict[str, Any] = {"mode": m, "name": MODES[m].name if m in MODES else "task completed",
                               "alpha": a, "f1": {}, "positives": {}}
        for name, labels in list(passes.items()) + [("adjudicated", gold)]:
            both = [i for i in ids if _value(labels.get(i), m) is not None and detector[i].get(m) is not None]
            truth = [_value(labels[i], m) or 0 for i in both]
            pred = [int(detector[i][m] or 0) for i in both]
            s = score(truth, pred, resamples=0) if both else None
            row["f1"][name] = None if s is None else s.f1
            row["positives"][name] = None if s is None else s.positives
        both = [i for i in ids if detector[i].get(m) is not None and _value(gold[i], m) is not None]
        k = kappa([_value(gold[i], m) or 0 for i in both], [int(detector[i][m] or 0) for i in both]) if both else None
        row["detector_kappa"] = k
        row["leans"] = bool(a is not None and k is not None and k > a)
        rows.append(row)
    return {"traces": len(ids), "passes": list(passes), "rows": rows}


def adjudication_problems(passes: dict[str, dict[str, GoldLabels]], gold: dict[str, GoldLabels]) -> list[str]:
    """Traces labelled by every pass but not adjudicated, and traces where the passes disagree
    (any mode or task completion) whose adjudication names no rule (``R7``) nor ``definition``."""
    problems = []
    common = set.intersection(*(set(p) for p in passes.values())) if passes else set()
    for tid in sorted(common):
        if tid not in gold:
            problems.append(f"{tid}: labelled by every pass but not adjudicated")
            continue
        differ = [m for m in MODE_IDS + ("task_completion",) if len({_value(p[tid], m) for p in passes.values()}) > 1]
        if differ and not RULE_CITED.search(gold[tid].adjudication):
            problems.append(f"{tid}: the passes disagree on {', '.join(differ)} but the adjudication cites no rule")
    return problems


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def render_pass_table(t: dict[str, Any]) -> list[str]:
    """Markdown lines of :func:`pass_table`'s result."""
    names = t["passes"] + ["adjudicated"]
    out = ["## Detectors against each pass and the adjudication", "",
           f"{t['traces']} traces. F1 of the structural detectors against each labelling pass and the adjudicated "
           "labels (gold positives in brackets); α = Krippendorff's alpha across the passes; κ = the detectors' "
           "Cohen's kappa against the adjudication; **leans** where the detectors agree with the adjudication "
           "better than the passes agree with each other.", "",
           "| mode | name | " + " | ".join(f"F1 vs {n}" for n in names) + " | α passes | κ det–adj | |",
           "|---|---|" + "---:|" * len(names) + "---:|---:|---|"]
    for r in t["rows"]:
        cells = [f"{_f(r['f1'][n])} ({r['positives'][n] if r['positives'][n] is not None else '–'})" for n in names]
        out.append(f"| {r['mode']} | {r['name']} | " + " | ".join(cells)
                   + f" | {_f(r['alpha'])} | {_f(r['detector_kappa'])} | {'**leans**' if r['leans'] else ''} |")
    return out + [""]
