"""The committed MAST gold set (eval/data/mast-gold): its label files are complete and consistent,
the κ and detector-vs-gold tables recompute from them with an independent implementation
(scikit-learn), and the structural detectors keep the F1 target on every mode with ≥ 5 gold
positives, on the held-out half as well as on all traces."""

from __future__ import annotations

import json
import re

import pytest
from sklearn.metrics import cohen_kappa_score, f1_score

from data_paths import DATA
from sre_agent.mast import MODE_IDS, StructuralAnnotator
from sre_agent.mast.gold import gold_report
from sre_agent.mast.gold._build import read_gold_trace

GOLD = DATA / "mast-gold"


def _labels(name: str) -> dict[str, dict]:
    return {j["id"]: j for j in map(json.loads, (GOLD / "labels" / name).read_text().splitlines())}


@pytest.fixture(scope="module")
def report() -> dict:
    return gold_report(GOLD)


def test_every_trace_has_three_passes_and_an_adjudication_that_names_its_rules() -> None:
    manifest = {t["id"] for t in json.loads((GOLD / "manifest.json").read_text())["traces"]}
    assert len(manifest) >= 77
    for name in ("pass-a.jsonl", "pass-b.jsonl", "pass-c.jsonl", "adjudicated.jsonl"):
        rows = _labels(name)
        # the third pass relabelled the 101 traces of the first adjudication; later strata have two passes
        assert set(rows) == manifest if name != "pass-c.jsonl" else set(rows) <= manifest and len(rows) >= 101, name
        assert all(set(r["labels"]) == set(MODE_IDS) for r in rows.values()), name
        assert all(r["reasons"].get(m) for r in rows.values() for m, v in r["labels"].items() if v), name
    a, b, gold = _labels("pass-a.jsonl"), _labels("pass-b.jsonl"), _labels("adjudicated.jsonl")
    disputed = [t for t in manifest if a[t]["labels"] != b[t]["labels"] or a[t]["task_completion"] != b[t]["task_completion"]]
    assert disputed and all(gold[t]["adjudication"] not in ("", "agreed") for t in disputed)
    c = _labels("pass-c.jsonl")
    passes = {t: [a[t], b[t]] + ([c[t]] if t in c else []) for t in manifest}
    three_way = [t for t in manifest if len({json.dumps(p["labels"], sort_keys=True) for p in passes[t]}) > 1
                 or len({p["task_completion"] for p in passes[t]}) > 1]
    assert all(re.search(r"\bR\d{1,2}\b", gold[t]["adjudication"]) for t in three_way)  # CONVENTIONS.md's rules
    assert all(gold[t]["adjudication"] == "agreed" for t in manifest if t not in three_way)
    for t in manifest:  # every trace is rendered for reading, and no hidden event leaks into it
        text = (GOLD / "rendered" / f"{t}.txt").read_text()
        assert text.strip() and "injected_failure" not in text and "failure_rates" not in text


def test_kappa_table_recomputes_with_scikit_learn(report: dict) -> None:
    a, b = _labels("pass-a.jsonl"), _labels("pass-b.jsonl")
    ids = sorted(a)
    rows = {r["mode"]: r for r in report["agreement"]["rows"]}
    for m in MODE_IDS:
        va, vb = [a[i]["labels"][m] for i in ids], [b[i]["labels"][m] for i in ids]
        assert (rows[m]["pos_a"], rows[m]["pos_b"]) == (sum(va), sum(vb))
        if len(set(va) | set(vb)) > 1:
            assert rows[m]["kappa"] == pytest.approx(cohen_kappa_score(va, vb))
    assert rows["3.2"]["kappa"] < 0.7 < rows["1.3"]["kappa"]  # where the definitions left room, and where not


#: modes below the F1 target with >= 5 gold positives, reported as they are (README, "MAST gold set"),
#: never retuned against the held-out half.  Most misses are the small real models' acting runs, failures
#: nobody injected: repeats the loop breaker or action consistency blocked (1.3, and 1.4 where the
#: result was already in the shared state) and calls no step announced (2.6), which the detectors do not
#: count; 2.5 is a planner pushing a candidate the investigator's own evidence contradicts (R16 read with
#: the definition); 3.1 alerts ruled out while their own service shows the alerted latency (R7)
KNOWN_MISSES = {"all": {"1.3", "1.4", "2.5", "2.6"}, "held-out": {"1.3", "1.4", "2.6", "3.1"}}


@pytest.mark.parametrize("subset", ["all", "held-out"])
def test_detectors_meet_the_f1_target_against_the_gold(subset: str) -> None:
    rep = gold_report(GOLD, subset=subset)
    gold = _labels("adjudicated.jsonl")
    annotator = StructuralAnnotator()
    rows = {r["mode"]: r for r in rep["detector_vs_gold"]["rows"]}
    ids = sorted(t for t in gold if subset == "all" or t[0] in "89abcdef")
    predicted = {t: annotator.annotate(read_gold_trace(GOLD, t)).labels for t in ids}
    for m in MODE_IDS:
        truth = [gold[t]["labels"][m] for t in ids]
        pred = [int(predicted[t][m] or 0) for t in ids]
        assert rows[m]["positives"] == sum(truth)
        if sum(truth) >= 5:
            f1 = f1_score(truth, pred)
            assert rows[m]["f1"] == pytest.approx(f1)
            assert (f1 >= 0.9) == (m not in KNOWN_MISSES[subset]), (subset, m, f1)
