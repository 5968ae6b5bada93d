"""ITBench-Evaluations' metrics and result file, computed deterministically from our scores.

ITBench-Evaluations (the official SRE evaluator) asks an LLM judge for each metric and writes
``evaluation_results.json``: ``raw_results`` (one entry per incident × trial with a ``scores``
object per metric), ``statistics`` (``per_incident`` and ``overall`` means) and ``config``.  This
module writes the same shape from :class:`~sre_agent.eval.scoring.Score`, so a result of ours can
be laid beside a published one line by line.  What each metric means here:

``root_cause_entity``
    ``calculation_precision`` / ``calculation_recall`` / ``calculation_f1`` are our matcher's
    precision, recall and F1 (rules in :mod:`sre_agent.eval.scoring`); ``gt_entities`` are the
    root-cause group ids, ``predicted_entities`` each counted prediction with ``matches_gt``.
``root_cause_entity_k@k`` (k = 1..5) and ``root_cause_entity_k`` (k = ``config.k``, default 3)
    Only the first k contributing-factor predictions count: recall = root-cause classes credited
    to one of them / root-cause classes; precision = correct ones among them / how many there are
    (``min(k, predictions)``; 0 when there is none).
``propagation_chain``
    The evaluator contracts both chains onto "semantic components" and scores the longest common
    subsequence.  Our components are the ground truth's alias classes: the ground-truth path is
    the longest path of its class graph; the model's path is the longest path through its
    predicted edges after each end is mapped to the first class it matches (ends matching none
    are dropped, as the evaluator drops entities it cannot place).  ``true_positives_TP`` = LCS
    length, precision = TP / model path length, recall = TP / ground-truth path length,
    ``calculation`` = their F1.  Not applicable (``None``) when the ground truth has no edge.
``root_cause_reasoning``
    Only with an LLM judge (:mod:`sre_agent.eval.judge`): mean reasoning score of the correctly
    identified root causes (1, 0.5 or 0 each; 0 when none is correct).

``itbench_aa``
    Not one of the evaluator's metrics: ITBench-AA's task score (:mod:`sre_agent.eval.aa`),
    0 when a root cause is missing, else root-cause classes / predictions; printed beside them.

Statistics follow the evaluator's aggregator: per incident, each metric's ``mean``, ``stderr``
(population std / sqrt(n)) and ``n`` over trials; overall, the macro mean over incidents,
``stderr`` = the standard error of those means (``scipy.stats.sem``) and ``n_incidents``.  We add
``pass@1`` (share of trials with the metric equal to 1) for the entity metrics and a 95 %
percentile-bootstrap interval ``ci95`` over incidents.

Example:
    >>> from sre_agent.eval.scoring import GroundTruth, score
    >>> gt = GroundTruth.model_validate({"groups": [
    ...     {"id": "cm", "kind": "ConfigMap", "namespace": "d", "name": "flags", "root_cause": True},
    ...     {"id": "cart", "kind": "Service", "namespace": "d", "name": "cart"}],
    ...     "propagations": [{"source": "cm", "target": "cart"}]})
    >>> out = {"entities": [{"id": "d/Service/cart", "contributing_factor": True},
    ...                     {"id": "d/ConfigMap/flags", "contributing_factor": True}],
    ...        "propagations": [{"source": "d/ConfigMap/flags", "target": "d/Service/cart"}],
    ...        "alerts_explained": []}
    >>> m = trial_scores(score(out, gt), out, gt)
    >>> m["root_cause_entity"]["calculation_recall"], m["root_cause_entity_k@1"]["calculation_recall"]
    (1.0, 0.0)
    >>> m["root_cause_entity_k@2"]["calculation_precision"], m["propagation_chain"]["calculation"]
    (0.5, 1.0)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

from .scoring import GroundTruth, Score, _f1, _matches_class, parse_entity

__all__ = ["K_VALUES", "propagation_chain", "trial_scores", "statistics", "write_results", "metric_values", "raw_results", "print_statistics"]

#: The k of ``root_cause_entity_k@k``, as the evaluator reports them.
K_VALUES = (1, 2, 3, 4, 5)
#: Metrics whose per-trial value gets a ``pass@1`` (share of trials scoring exactly 1).
PASS_AT_1 = {"root_cause_entity_recall", "root_cause_entity_f1", "root_cause_entity_k_recall",
             "root_cause_entity_k_f1"}


def _prf(precision: float, recall: float) -> dict[str, float]:
    return {"calculation_precision": precision, "calculation_recall": recall,
            "calculation_f1": _f1(precision, recall)}


def entity_at_k(s: Score, k: int) -> dict[str, float]:
    """Precision / recall / F1 over the first ``k`` counted predictions (module docstring)."""
    head = s.correct_predictions[:k]
    precision = sum(head) / len(head) if head else 0.0
    return _prf(precision, s.recall_at(k))


def _longest_path(edges: Sequence[tuple[str, str]], order: Sequence[str]) -> list[str]:
    """The longest simple path of a small directed graph (ties: earliest nodes in ``order``)."""
    succ: dict[str, list[str]] = {}
    for a, b in edges:
        if b not in succ.setdefault(a, []):
            succ[a].append(b)
    rank = {n: i for i, n in enumerate(order)}
    best: list[str] = []

    def walk(path: list[str]) -> None:
        nonlocal best
        if len(path) > len(best):
            best = list(path)
        for nxt in sorted(succ.get(path[-1], []), key=lambda n: rank.get(n, len(rank))):
            if nxt not in path and len(path) < 64:
                path.append(nxt)
                walk(path)
                path.pop()

    for start in sorted(succ, key=lambda n: rank.get(n, len(rank))):
        walk([start])
    return best


def _lcs(a: Sequence[str], b: Sequence[str]) -> list[str]:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            out.append(a[i])
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return out


def propagation_chain(agent_output: Mapping[str, Any], gt: GroundTruth) -> dict[str, Any]:
    """The ``propagation_chain`` metric (module docstring): LCS of the contracted paths."""
    classes = gt.classes()
    order = list(classes)
    gt_path = _longest_path(gt.edges(), order)
    mapped: list[tuple[str, str]] = []
    for p in agent_output.get("propagations", []):
        ends = []
        for ref in (p.get("source"), p.get("target")):
            ent = parse_entity(ref or "")
            ends.append(next((rep for rep, groups in classes.items()
                              if not ent.ignored and _matches_class(ent, groups)), None))
        if ends[0] and ends[1] and ends[0] != ends[1]:
            mapped.append((ends[0], ends[1]))
    model_path = _longest_path(mapped, order)
    common = _lcs(model_path, gt_path)
    details = {"contracted_gt_path": gt_path, "contracted_model_path": model_path, "lcs_components": common,
               "true_positives_TP": len(common), "model_path_length": len(model_path),
               "gt_path_length": len(gt_path)}
    if not gt_path:
        return {"precision": None, "recall": None, "calculation": None, "details": details,
                "justification": "the ground truth has no propagation between distinct components"}
    precision = len(common) / len(model_path) if model_path else None
    recall = len(common) / len(gt_path)
    return {"precision": precision, "recall": recall, "calculation": _f1(precision or 0.0, recall),
            "details": details,
            "justification": f"LCS of {len(common)} component(s) between the model's path ({len(model_path)}) "
                             f"and the ground truth's ({len(gt_path)}), components = alias classes"}


def trial_scores(s: Score, agent_output: Mapping[str, Any], gt: GroundTruth, *, k: int = 3,
                 reasoning: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The evaluator's ``scores`` object for one trial (one answer against its ground truth)."""
    classes = gt.root_cause_classes()
    out: dict[str, Any] = {
        "root_cause_entity": {
            "gt_entities": [next(g.id for g in groups if g.root_cause) for groups in classes.values()],
            "predicted_entities": [
                {"entity": p, "matches_gt": ok,
                 "matched_to": next((c.group_ids[0] for c in s.root_causes if c.matched_by == p), None)}
                for p, ok in zip(s.predictions, s.correct_predictions)],
            **_prf(s.precision, s.recall),
            "justification": f"{sum(c.matched for c in s.root_causes)} of {s.n_root_causes} root-cause "
                             f"class(es) matched by {s.n_predicted} prediction(s) (deterministic matcher)",
        },
        "root_cause_entity_k": entity_at_k(s, k),
        **{f"root_cause_entity_k@{kk}": entity_at_k(s, kk) for kk in K_VALUES},
        "propagation_chain": propagation_chain(agent_output, gt),
    }
    if reasoning is not None:
        out["root_cause_reasoning"] = dict(reasoning)
    return out


def metric_values(scores: Mapping[str, Any]) -> dict[str, float]:
    """Flatten one trial's ``scores`` into the aggregator's metric keys (``None`` values left out)."""
    flat: dict[str, float] = {}
    for metric, data in scores.items():
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            flat[metric] = float(data)
            continue
        if not isinstance(data, Mapping):
            continue
        for key in ("calculation", "calculation_precision", "calculation_recall", "calculation_f1"):
            value = data.get(key)
            if value is None:
                continue
            flat[metric if key == "calculation" else f"{metric}_{key.split('_')[1]}"] = float(value)
    return flat


def _ci95(values: Sequence[float]) -> list[float]:
    """The suite's 95 % percentile-bootstrap interval over incidents, as ``[low, high]``."""
    from .suite import bootstrap_mean  # the suite imports this module: resolve at call time

    iv = bootstrap_mean(values)
    return [] if iv is None else [iv.low, iv.high]


def statistics(raw_results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``per_incident`` and ``overall`` statistics, as the evaluator's aggregator computes them."""
    per_trial: dict[str, list[dict[str, float]]] = {}
    for r in raw_results:
        per_trial.setdefault(str(r["incident_id"]), []).append(metric_values(r.get("scores") or {}))
    per_incident: dict[str, dict[str, Any]] = {}
    for incident, trials in per_trial.items():
        stats: dict[str, Any] = {}
        for metric in sorted({m for t in trials for m in t}):
            values = [t[metric] for t in trials if metric in t]
            entry: dict[str, Any] = {"mean": float(np.mean(values)),
                                     "stderr": float(np.std(values) / np.sqrt(len(values))), "n": len(values)}
            if metric in PASS_AT_1:
                entry["pass@1"] = sum(1 for v in values if v == 1) / len(values)
            stats[metric] = entry
        per_incident[incident] = stats
    overall: dict[str, Any] = {}
    for metric in sorted({m for stats in per_incident.values() for m in stats}):
        means = [stats[metric]["mean"] for stats in per_incident.values() if metric in stats]
        entry = {"mean": float(np.mean(means)),
                 "stderr": float(scipy_stats.sem(means)) if len(means) > 1 else None,
                 "n_incidents": len(means), "ci95": _ci95(means)}
        passes = [stats[metric]["pass@1"] for stats in per_incident.values() if "pass@1" in stats.get(metric, {})]
        if passes:
            entry["pass@1"] = float(np.mean(passes))
        overall[metric] = entry
    overall["total_bad_runs"] = sum(1 for r in raw_results if r.get("bad_run"))
    return {"per_incident": per_incident, "overall": overall}


def write_results(path: Path | str, raw_results: Sequence[Mapping[str, Any]], config: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``evaluation_results.json`` in the evaluator's shape; returns the document."""
    doc = {"raw_results": list(raw_results), "statistics": statistics(raw_results), "config": dict(config)}
    Path(path).write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    return doc


def raw_results(runs: Sequence[Any]) -> list[dict[str, Any]]:
    """The evaluator's ``raw_results`` from suite runs (:class:`~sre_agent.eval.suite.RunResult`):
    one entry per scored scenario × seed; a failed triage is kept (scored as the empty answer)
    and flagged ``bad_run``."""
    index: dict[str, int] = {}
    out = []
    for r in runs:
        if r.itbench is None:
            continue
        entry = {"scenario_index": index.setdefault(r.scenario, len(index)), "scores": r.itbench,
                 "incident_id": r.scenario, "trial_id": str(r.seed)}
        if not r.ok:
            entry["bad_run"] = True
        out.append(entry)
    return out


#: Rows of the printed table, in the order the evaluator's aggregator lists them.
TABLE_METRICS = ("root_cause_entity_precision", "root_cause_entity_recall", "root_cause_entity_f1",
                 *(f"root_cause_entity_k@{k}_recall" for k in K_VALUES),
                 "root_cause_entity_k_precision", "root_cause_entity_k_recall", "root_cause_entity_k_f1",
                 "root_cause_reasoning", "propagation_chain", "itbench_aa")


def print_statistics(stats: Mapping[str, Any], console: Any = None) -> None:
    """The overall statistics as a rich table: mean ± stderr, 95 % CI, pass@1, incidents."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ITBench-Evaluations metrics (macro over incidents)")
    for col, justify in (("metric", "left"), ("mean ± stderr", "right"), ("95 % CI", "right"),
                         ("pass@1", "right"), ("n", "right")):
        table.add_column(col, justify=justify, no_wrap=True)
    overall = stats.get("overall", {})
    for metric in TABLE_METRICS:
        e = overall.get(metric)
        if not e:
            continue
        err = "" if e.get("stderr") is None else f" ± {e['stderr']:.3f}"
        ci = e.get("ci95") or []
        table.add_row(metric, f"{e['mean']:.3f}{err}", f"[{ci[0]:.3f}, {ci[1]:.3f}]" if len(ci) == 2 else "–",
                      f"{e['pass@1']:.3f}" if "pass@1" in e else "–", str(e["n_incidents"]))
    (console or Console()).print(table)
