"""ITBench-AA's task score: 0 when a root cause is missing, else root-cause classes / predictions."""

from __future__ import annotations

import pytest

from sre_agent.eval.aa import aa_score
from sre_agent.eval.scoring import GroundTruth, load_ground_truth, score

from data_paths import GROUND_TRUTHS

POD_GT = GroundTruth.model_validate({"groups": [
    {"id": "pod", "kind": "Pod", "namespace": "d", "filter": ["cart-.*"], "root_cause": True},
    {"id": "dep", "kind": "Deployment", "namespace": "d", "name": "cart"},
    {"id": "svc", "kind": "Service", "namespace": "d", "name": "frontend"}], "aliases": [["pod", "dep"]]})


def answer(*ids: str, contributing: bool = True) -> dict:
    return {"entities": [{"id": i, "contributing_factor": contributing} for i in ids],
            "propagations": [], "alerts_explained": []}


def aa(*ids: str, gt: GroundTruth = POD_GT) -> float | None:
    return aa_score(score(answer(*ids), gt))


def test_a_missing_root_cause_scores_zero_however_precise():
    assert aa("d/Service/frontend") == 0.0
    assert aa() == 0.0                                              # the empty answer
    assert aa_score(score(answer("d/Pod/cart-1", contributing=False), POD_GT)) == 0.0  # not a claim


@pytest.mark.parametrize("extra, expected", [(0, 1.0), (1, 0.5), (2, 1 / 3), (3, 0.25)])
def test_all_found_k_extra_entities_cost_precision(extra, expected):
    ids = ["d/Pod/cart-1"] + [f"d/Service/other-{i}" for i in range(extra)]
    assert aa(*ids) == pytest.approx(expected)
    assert aa(*reversed(ids)) == pytest.approx(expected)            # order does not matter, only the count


def test_a_second_entity_of_the_same_cause_is_an_extra_entity():
    s = score(answer("d/Pod/cart-1", "d/Deployment/cart", "d/Pod/cart-2"), POD_GT)
    assert s.precision == 1.0 and s.recall == 1.0                   # the plain matcher counts them correct
    assert aa_score(s) == pytest.approx(1 / 3)                      # ITBench-AA: one per cause


def test_monitoring_namespaces_do_not_count_as_extra():
    assert aa("d/Pod/cart-1", "prometheus/Pod/prometheus-0") == 1.0


def test_several_root_causes_need_all_and_one_each():
    gt = load_ground_truth(GROUND_TRUTHS / "Scenario-38.yaml")     # three HPA root causes, filter '*.*'
    ns = gt.groups[0].namespace or "otel-demo"
    hpas = [f"{ns}/HorizontalPodAutoscaler/{n}" for n in ("fraud-detection", "frontend", "image-provider")]
    assert aa(*hpas[:2], gt=gt) == 0.0
    assert aa(*hpas, gt=gt) == 1.0
    assert aa(*hpas, f"{ns}/HorizontalPodAutoscaler/cart", gt=gt) == 0.75


def test_no_root_cause_in_the_ground_truth_has_no_score():
    gt = GroundTruth.model_validate({"groups": [{"id": "a", "kind": "Service", "name": "a"}]})
    assert aa("x/Service/a", gt=gt) is None
