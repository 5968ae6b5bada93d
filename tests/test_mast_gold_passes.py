"""The gold report judges the detectors against every pass, not only the adjudication, computes
Krippendorff's alpha across the passes, flags modes where the detectors agree with the
adjudication better than the passes agree with each other, and asks every settled disagreement to
name the convention rule that decided it (issue 24)."""

from __future__ import annotations

import pytest

from sre_agent.mast import MODE_IDS
from sre_agent.mast.gold._labels import GoldLabels
from sre_agent.mast.gold._passes import adjudication_problems, alpha, pass_table


def _row(tid: str, labeller: str, positives: dict[str, int], tc: bool = False, adjudication: str = "") -> GoldLabels:
    labels = {m: int(positives.get(m, 0)) for m in MODE_IDS}
    return GoldLabels(id=tid, labeller=labeller, labels=labels, task_completion=tc,
                      reasons={m: "x" for m, v in labels.items() if v}, adjudication=adjudication)


def test_alpha_is_one_for_identical_raters_and_lower_when_they_disagree() -> None:
    assert alpha([[1, 0, 1, 0, 1], [1, 0, 1, 0, 1]]) == pytest.approx(1.0)
    some = alpha([[1, 0, 1, 0, 1, 0], [1, 0, 0, 0, 1, 1]])
    assert some is not None and some < 0.5
    assert alpha([[0, 0, 0], [0, 0, 0]]) is None  # one value throughout: undefined


def test_alpha_skips_what_a_rater_did_not_label() -> None:
    full = alpha([[1, 0, 1, 0], [1, 0, 1, 0], [1, 0, 1, 0]])
    holes = alpha([[1, 0, 1, 0], [1, 0, 1, 0], [None, None, 1, 0]])
    assert full == pytest.approx(1.0) and holes == pytest.approx(1.0)


def test_detector_f1_is_given_against_each_pass_and_leans_is_flagged() -> None:
    ids = [f"t{i}" for i in range(8)]
    # pass A and B disagree on 3.3 half of the time; the adjudication sides with the detector every time
    truth_a = {i: int(n % 2 == 0) for n, i in enumerate(ids)}
    truth_b = {i: int(n < 4) for n, i in enumerate(ids)}
    det = {i: int(n < 4) for n, i in enumerate(ids)}
    a = {i: _row(i, "A", {"3.3": truth_a[i]}) for i in ids}
    b = {i: _row(i, "B", {"3.3": truth_b[i]}) for i in ids}
    gold = {i: _row(i, "adj", {"3.3": det[i]}) for i in ids}
    detector = {i: {**{m: 0 for m in MODE_IDS}, "3.3": det[i], "task_completion": 0} for i in ids}
    t = pass_table({"A": a, "B": b}, gold, detector)
    row = next(r for r in t["rows"] if r["mode"] == "3.3")
    assert row["f1"]["adjudicated"] == pytest.approx(1.0) and row["f1"]["B"] == pytest.approx(1.0)
    assert row["f1"]["A"] == pytest.approx(0.5)  # TP 2, FP 2, FN 2
    assert row["positives"] == {"A": 4, "B": 4, "adjudicated": 4}
    assert row["leans"] is True and row["detector_kappa"] == pytest.approx(1.0)
    quiet = next(r for r in t["rows"] if r["mode"] == "1.1")  # all zero: nothing to flag
    assert quiet["leans"] is False and quiet["alpha"] is None


def test_a_settled_disagreement_must_name_its_rule() -> None:
    a = {"t1": _row("t1", "A", {"3.2": 1}), "t2": _row("t2", "A", {})}
    b = {"t1": _row("t1", "B", {"3.3": 1}), "t2": _row("t2", "B", {})}
    gold = {"t1": _row("t1", "adj", {"3.3": 1}, adjudication="the gate overruled the verifier"),
            "t2": _row("t2", "adj", {})}
    problems = adjudication_problems({"A": a, "B": b}, gold)
    assert len(problems) == 1 and problems[0].startswith("t1:") and "3.2, 3.3" in problems[0]
    gold["t1"] = _row("t1", "adj", {"3.3": 1}, adjudication="R5: the gate confirmed after the verifier's check failed")
    assert adjudication_problems({"A": a, "B": b}, gold) == []
    c = {"t2": _row("t2", "C", {}, tc=True)}  # a third pass that disagrees on completion only
    del gold["t2"]
    assert adjudication_problems({"A": a, "B": b, "C": {**c, "t1": _row("t1", "C", {"3.3": 1})}}, gold) == [
        "t2: labelled by every pass but not adjudicated"]
