"""One entity per independent cause: a failing pod, its owner and its sibling pods are one cause;
the rest of what a run could name is kept as ranked alternatives outside the answer."""

from __future__ import annotations

import json
from pathlib import Path

from robust_helpers import simulated
from sre_agent.answer import SECOND_CAUSE_CONFIDENCE, Cause, component, minimal_causes
from sre_agent.eval.aa import aa_score
from sre_agent.eval.scoring import load_ground_truth, score
from sre_agent.report import CONFIDENCE_MEANS
from sre_agent.runner import run_triage

NS = "otel-demo"


def test_pod_owner_and_siblings_are_one_cause_siblings_never_named():
    """A failing pod, the Deployment known only as its owner, a sibling: one cause.  The evidence
    cannot tell the pod's own fault from its template's, so the owner and the failing pod are
    named (the ground truths name either); the sibling is an alternative."""
    pod = Cause(f"{NS}/Pod/cart-7d9f8c6b5-x2x9q", "crashloop+container_waiting", 0.8, claimed=True, verified=True)
    owner = Cause(f"{NS}/Deployment/cart", "owner of otel-demo/Pod/cart-7d9f8c6b5-x2x9q", 0.76, claimed=True, verified=True)
    sibling = Cause(f"{NS}/Pod/cart-7d9f8c6b5-k4m2z", "runs cart (crashloop)", 0.7, instance_of=f"{NS}/Deployment/cart")
    answer, alternatives = minimal_causes([pod, sibling, owner])
    assert [c.entity for c in answer] == [owner.entity, pod.entity]
    assert [(c.entity, c.why_not) for c in alternatives] == [(sibling.entity, f"same cause as {owner.entity}")]


def test_a_pod_whose_owner_changed_is_not_named():
    pod = Cause(f"{NS}/Pod/cart-7d9f8c6b5-x2x9q", "crashloop", 0.8, claimed=True)
    owner = Cause(f"{NS}/Deployment/cart", "spec_changed", 0.5, claimed=True)
    assert [c.entity for c in minimal_causes([pod, owner])[0]] == [owner.entity]


def test_within_a_form_confidence_decides():
    hpa = Cause(f"{NS}/HorizontalPodAutoscaler/frontend", "hpa_at_max", 0.43)
    svc = Cause(f"{NS}/Service/frontend", "traffic_surge", 0.05, claimed=True)
    assert [c.entity for c in minimal_causes([svc, hpa])[0]] == [hpa.entity]


def test_a_change_is_named_before_the_failures_it_produces():
    pod = Cause(f"{NS}/Pod/checkout-6b8f9d7c4-x2x9q", "crashloop+image_pull", 0.9, claimed=True)
    rollout = Cause(f"{NS}/Deployment/checkout", "spec_changed", 0.4, claimed=True)
    service = Cause(f"{NS}/Service/checkout", "no_endpoints", 0.6, claimed=True)
    answer, alternatives = minimal_causes([pod, service, rollout])
    assert [c.entity for c in answer] == [rollout.entity]
    assert {c.entity for c in alternatives} == {pod.entity, service.entity}


def test_a_nearly_as_good_hypothesis_on_another_component_is_an_alternative():
    best = Cause(f"{NS}/ConfigMap/flagd-config", "feature_flag_change", 0.9, claimed=True)
    near = Cause(f"{NS}/Deployment/ad", "spec_changed", SECOND_CAUSE_CONFIDENCE - 0.1, claimed=True)
    unclaimed = Cause(f"{NS}/Service/email", "error_rate", 0.95)            # never claimed: never in the answer
    answer, alternatives = minimal_causes([near, best, unclaimed])
    assert [c.entity for c in answer] == [best.entity]
    assert [c.entity for c in alternatives] == [unclaimed.entity, near.entity]
    assert alternatives[1].why_not.startswith("a competing cause")


def test_independent_causes_each_keep_one_entity():
    hpas = [Cause(f"{NS}/HorizontalPodAutoscaler/{n}", "rescale", 0.8, claimed=True) for n in ("frontend", "ad", "cart")]
    pod = Cause(f"{NS}/Pod/frontend-7d9f8c6b5-x2x9q", "runs frontend (rescale)", 0.7, instance_of=f"{NS}/Deployment/frontend")
    answer, alternatives = minimal_causes([*hpas, pod])
    assert sorted(c.entity for c in answer) == sorted(h.entity for h in hpas)
    assert [c.entity for c in alternatives] == [pod.entity]


def test_component_keeps_namespaces_apart():
    assert component(f"{NS}/Pod/cart-7d9f8c6b5-x2x9q") == component(f"{NS}/Service/cart") != component("shop/Service/cart")


def test_a_triage_answers_one_entity_per_cause_and_keeps_the_rest(tmp_path: Path):
    """Scenario-20 (a pod crash-looping): before, the answer named the Pod and its Deployment."""
    scenario = simulated("Scenario-20")
    result = run_triage(alert=scenario / "alerts", output_dir=tmp_path)
    out = json.loads((tmp_path / "agent_output.json").read_text())
    roots = [e for e in out["entities"] if e["contributing_factor"]]
    assert len(roots) == 1 and component(roots[0]["id"]) == f"{NS}/product-catalog"
    same = [a["id"] for a in out["alternatives"] if a["why_not"] == f"same cause as {roots[0]['id']}"]
    assert same and all(component(a) == f"{NS}/product-catalog" for a in same)
    assert {roots[0]["id"], *same} >= {f"{NS}/Deployment/product-catalog"}   # the owner is one of the two
    assert set(roots[0]["confidence_features"]) and 0.0 <= roots[0]["confidence"] <= 1.0
    assert aa_score(score(out, load_ground_truth(scenario / "ground_truth.yaml"))) == 1.0
    report = result.report_md
    assert CONFIDENCE_MEANS in report and "## Alternatives (not in the answer)" in report
    assert f"{same[0]} (confidence" in report.split("## Alternatives")[1]


def test_a_workload_blamed_from_symptoms_is_named_by_its_running_instance():
    dep = Cause(f"{NS}/Deployment/valkey-cart", "deepest anomalous component", 0.8, claimed=True)
    pod = Cause(f"{NS}/Pod/valkey-cart-8cdxn9wws-g6cw4", "runs valkey-cart (deepest anomalous component)", 0.7,
                instance_of=dep.entity)
    answer, alternatives = minimal_causes([dep, pod])
    assert [c.entity for c in answer] == [pod.entity] and [c.entity for c in alternatives] == [dep.entity]


def test_claimed_causes_the_evidence_cannot_tell_apart_are_both_named():
    a = Cause(f"{NS}/ConfigMap/flagd-config", "feature_flag_change", 0.30, claimed=True)
    b = Cause(f"{NS}/Deployment/ad", "spec_changed", 0.28, claimed=True)       # >= TIED x 0.30
    c = Cause(f"{NS}/Deployment/cart", "spec_changed", 0.20, claimed=True)     # neither tied nor >= 0.5
    answer, alternatives = minimal_causes([c, b, a])
    assert [x.entity for x in answer] == [a.entity, b.entity] and [x.entity for x in alternatives] == [c.entity]
