"""The gold-set report: agreement between the passes, detectors against the adjudicated gold,
detectors against the injections, and (when ``labels/judge.jsonl`` exists) the LLM judge against
the gold.  :func:`gold_report` returns a JSON-able dict; :func:`render_markdown` prints it.

Only traces labelled in the files compared are counted (the intersection of ids).

``subset`` splits the gold set for honest tuning (see PROTOCOL.md): ``tune`` keeps the trace ids
whose first hex digit is 0-7, ``held-out`` those whose first digit is 8-f, ``all`` every trace.

Example:
    >>> in_subset("7f91d26a3756", "tune"), in_subset("80e14f449afb", "tune"), in_subset("80e14f449afb", "held-out")
    (True, False, True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sre_agent.errors import InputError

from .._structural import StructuralAnnotator
from ..definitions import MODE_IDS, MODES
from ..validate import validate
from ._build import load_manifest, read_gold_trace
from ._labels import ADJUDICATED, JUDGE, PASS_A, PASS_B, PASS_C, GoldLabels, read_labels
from ._passes import adjudication_problems, pass_table, render_pass_table
from ._stats import kappa, score

#: the report's trace subsets (PROTOCOL.md, "Tune and held-out halves")
SUBSETS = ("all", "tune", "held-out")


def in_subset(tid: str, subset: str) -> bool:
    """Whether trace id ``tid`` belongs to ``subset``: tune = first hex digit 0-7, held-out = 8-f."""
    if subset not in SUBSETS:
        raise InputError(f"unknown subset {subset!r} (one of {', '.join(SUBSETS)})")
    if subset == "all":
        return True
    try:
        tune = int(tid[:1], 16) < 8
    except ValueError:
        raise InputError(f"trace id {tid!r} does not start with a hex digit") from None
    return tune == (subset == "tune")


#: the detector F1 target for modes with at least MIN_POSITIVES gold positives
F1_TARGET, MIN_POSITIVES = 0.9, 5


def _vec(rows: dict[str, GoldLabels], ids: list[str], mode: str) -> list[int]:
    return [int(rows[i].labels[mode] or 0) for i in ids]


def kappa_table(a: dict[str, GoldLabels], b: dict[str, GoldLabels]) -> dict[str, Any]:
    """Per mode (and task_completion): Cohen's kappa of pass A vs pass B, positives in each."""
    ids = sorted(set(a) & set(b))
    rows = []
    for m in MODE_IDS:
        va, vb = _vec(a, ids, m), _vec(b, ids, m)
        rows.append({"mode": m, "name": MODES[m].name, "n": len(ids), "pos_a": sum(va), "pos_b": sum(vb),
                     "agree": sum(x == y for x, y in zip(va, vb)), "kappa": kappa(va, vb)})
    ta = [int(bool(a[i].task_completion)) for i in ids]
    tb = [int(bool(b[i].task_completion)) for i in ids]
    rows.append({"mode": "task_completion", "name": "task completed", "n": len(ids), "pos_a": sum(ta),
                 "pos_b": sum(tb), "agree": sum(x == y for x, y in zip(ta, tb)), "kappa": kappa(ta, tb)})
    return {"traces": len(ids), "rows": rows}


def vs_gold(gold: dict[str, GoldLabels], predicted: dict[str, dict[str, int | None]]) -> dict[str, Any]:
    """Per mode: an annotator's labels (``None`` counted as 0, and counted in ``undet``) against the
    gold; plus a ``task_completion`` row when the annotator gives one for every trace."""
    ids = sorted(set(gold) & set(predicted))
    rows = []
    with_tc = all("task_completion" in predicted[i] for i in ids) and all(gold[i].task_completion is not None for i in ids)
    for m in MODE_IDS + (("task_completion",) if ids and with_tc else ()):
        pred = [int(predicted[i].get(m) or 0) for i in ids]
        truth = [int(bool(gold[i].task_completion)) for i in ids] if m == "task_completion" else _vec(gold, ids, m)
        s = score(truth, pred)
        rows.append({"mode": m, "name": MODES[m].name if m in MODES else "task completed", "positives": s.positives, "tp": s.tp, "fp": s.fp, "fn": s.fn,
                     "tn": s.tn, "undet": sum(predicted[i].get(m) is None for i in ids),
                     "precision": s.precision, "precision_ci": s.precision_ci, "recall": s.recall,
                     "recall_ci": s.recall_ci, "f1": s.f1, "f1_ci": s.f1_ci,
                     "kappa": kappa(truth, pred),
                     "meets_target": None if s.positives < MIN_POSITIVES else bool((s.f1 or 0) >= F1_TARGET)})
    return {"traces": len(ids), "rows": rows}


def gold_report(folder: str | Path, subset: str = "all") -> dict[str, Any]:
    """Every table the gold folder supports (a table whose label files are absent is ``None``),
    over the traces of ``subset`` only (``all``, ``tune`` or ``held-out``)."""
    folder = Path(folder)
    manifest = load_manifest(folder)
    if not manifest:
        raise InputError(f"{folder}: no manifest.json (build the gold set first: python -m sre_agent.mast.gold build)")
    manifest = {tid: e for tid, e in manifest.items() if in_subset(tid, subset)}
    labels = folder / "labels"
    load = {name: {k: v for k, v in read_labels(labels / name, human=name != JUDGE).items() if in_subset(k, subset)}
            if (labels / name).is_file() else None
            for name in (PASS_A, PASS_B, PASS_C, ADJUDICATED, JUDGE)}
    traces = {tid: read_gold_trace(folder, tid) for tid in sorted(manifest)}
    annotator = StructuralAnnotator()
    detector: dict[str, dict[str, int | None]] = {}
    for tid, ev in traces.items():
        ann = annotator.annotate(ev)
        detector[tid] = {**ann.labels, "task_completion": None if ann.task_completion is None else int(ann.task_completion)}
    out: dict[str, Any] = {"traces": len(traces), "subset": subset, "strata": {}}
    for entry in manifest.values():
        out["strata"][entry["stratum"]] = out["strata"].get(entry["stratum"], 0) + 1
    a, b, gold, judge = (load[n] for n in (PASS_A, PASS_B, ADJUDICATED, JUDGE))
    passes = {n: load[f] for n, f in (("A", PASS_A), ("B", PASS_B), ("C", PASS_C)) if load[f]}
    out["agreement"] = kappa_table(a, b) if a and b else None
    out["adjudication_problems"] = adjudication_problems(passes, gold) if len(passes) >= 2 and gold else []
    out["passes"] = pass_table(passes, gold, detector) if passes and gold else None
    out["detector_vs_gold"] = vs_gold(gold, detector) if gold else None
    out["judge_vs_gold"] = vs_gold(gold, {k: v.labels for k, v in judge.items()}) if gold and judge else None
    table = validate(list(traces.values()), annotator)
    out["detector_vs_injections"] = {"runs": table.runs, "rows": [
        {"mode": r.mode, "name": r.name, "tp": r.tp, "fp": r.fp, "fn": r.fn, "tn": r.tn, "undet": r.undetermined,
         "prevented": r.prevented, "precision": r.precision, "recall": r.recall, "f1": r.f1} for r in table.rows]}
    return out


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _ci(x: float | None, ci: Any) -> str:
    return _f(x) if not ci else f"{_f(x)} [{ci[0]:.2f}, {ci[1]:.2f}]"


def render_markdown(rep: dict[str, Any]) -> str:
    """The report as markdown tables."""
    sub = rep.get("subset", "all")
    out = [f"# MAST gold set: {rep['traces']} traces" + ("" if sub == "all" else f" ({sub} half)"), "",
           "Strata: " + ", ".join(f"{k} {v}" for k, v in sorted(rep["strata"].items())), ""]
    ag = rep["agreement"]
    out += ["## Agreement between pass A and pass B (Cohen's κ)", ""]
    if ag is None:
        out += ["(labels/pass-a.jsonl and labels/pass-b.jsonl are not both present)", ""]
    else:
        out += [f"{ag['traces']} traces labelled by both passes.", "",
                "| mode | name | positives A | positives B | agreement | κ |", "|---|---|---:|---:|---:|---:|"]
        out += [f"| {r['mode']} | {r['name']} | {r['pos_a']} | {r['pos_b']} | {r['agree']}/{r['n']} | {_f(r['kappa'])} |"
                for r in ag["rows"]]
        out.append("")
    if rep["adjudication_problems"]:
        out += ["**Adjudication problems:**", ""] + [f"- {p}" for p in rep["adjudication_problems"]] + [""]
    if rep.get("passes"):
        out += render_pass_table(rep["passes"])
    for key, title in (("detector_vs_gold", "Structural detectors against the adjudicated gold"),
                       ("judge_vs_gold", "LLM judge against the adjudicated gold")):
        t = rep[key]
        out += [f"## {title}", ""]
        if t is None:
            out += ["(no labels/adjudicated.jsonl" + (" or labels/judge.jsonl" if key == "judge_vs_gold" else "") + ")", ""]
            continue
        out += [f"{t['traces']} traces; 95 % intervals: Wilson for P and R, bootstrap over traces for F1; "
                f"target F1 ≥ {F1_TARGET} where gold positives ≥ {MIN_POSITIVES}.", "",
                "| mode | name | gold + | TP | FP | FN | undet | precision | recall | F1 | κ | target |",
                "|---|---|---:|---:|---:|---:|---:|---|---|---|---:|---|"]
        for r in t["rows"]:
            target = {None: "n/a", True: "met", False: "**missed**"}[r["meets_target"]]
            out.append(f"| {r['mode']} | {r['name']} | {r['positives']} | {r['tp']} | {r['fp']} | {r['fn']} | {r['undet']} | "
                       f"{_ci(r['precision'], r['precision_ci'])} | {_ci(r['recall'], r['recall_ci'])} | "
                       f"{_ci(r['f1'], r['f1_ci'])} | {_f(r['kappa'])} | {target} |")
        out.append("")
    inj = rep["detector_vs_injections"]
    out += ["## Structural detectors against the injected failures", "",
            f"{inj['runs']} traces; positives = injected_failure events (`python -m sre_agent.mast.validate` logic).", "",
            "| mode | name | TP | FP | FN | TN | undet | prevented | precision | recall | F1 |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    out += [f"| {r['mode']} | {r['name']} | {r['tp']} | {r['fp']} | {r['fn']} | {r['tn']} | {r['undet']} | {r['prevented']} | "
            f"{_f(r['precision'])} | {_f(r['recall'])} | {_f(r['f1'])} |" for r in inj["rows"]]
    return "\n".join(out) + "\n"
