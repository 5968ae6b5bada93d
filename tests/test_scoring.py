"""Hand-checked scores on the real ITBench ground truths bundled in eval/data/itbench-lite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sre_agent.errors import InputError
from sre_agent.eval.scoring import (
    AgentOutputError, GroundTruth, GroundTruthError, compile_filter, filter_matches, load_agent_output,
    load_ground_truth, parse_entity, score, validate_agent_output,
)

from data_paths import GROUND_TRUTHS as GT_DIR  # noqa: E402


def gt(n: int) -> GroundTruth:
    return load_ground_truth(GT_DIR / f"Scenario-{n}.yaml")


def answer(*roots: str, others: tuple[str, ...] = (), props: tuple[tuple[str, str], ...] = ()) -> dict:
    ents = [{"id": r, "contributing_factor": True} for r in roots]
    ents += [{"id": o, "contributing_factor": False} for o in others]
    return {"entities": ents, "alerts_explained": [],
            "propagations": [{"source": s, "target": t, "condition": "", "effect": ""} for s, t in props]}


# -- root-cause entity on real ground truths ----------------------------------------------------

def test_scenario2_flagd_config_exact_name():
    s = score(answer("otel-demo/ConfigMap/flagd-config"), gt(2))
    assert (s.recall, s.precision, s.f1) == (1.0, 1.0, 1.0)
    assert s.root_causes[0].rank == 1 and s.hit_at_1
    # same name, different exact name -> no match
    assert score(answer("otel-demo/ConfigMap/flagd-config-old"), gt(2)).recall == 0.0


def test_scenario20_deployment_filter_matches_bare_prefix():
    s = score(answer("otel-demo/Deployment/product-catalog"), gt(20))
    assert s.recall == 1.0 and s.precision == 1.0
    # the pod (aliased to the deployment) counts too; a different service does not
    assert score(answer("otel-demo/Pod/product-catalog-7f9c-abcde"), gt(20)).recall == 1.0
    assert score(answer("otel-demo/Deployment/checkout"), gt(20)).recall == 0.0


def test_scenario38_invalid_star_filter_is_repaired_and_one_entity_credits_one_group():
    g = gt(38)
    assert len(g.repairs) == 3 and "'.*.*'" in g.repairs[0]
    one = score(answer("otel-demo/HorizontalPodAutoscaler/frontend"), g)
    assert one.n_root_causes == 3
    assert one.recall == pytest.approx(1 / 3) and one.precision == 1.0
    three = score(answer(*(f"otel-demo/HorizontalPodAutoscaler/{n}" for n in ("fraud-detection", "frontend", "image-provider"))), g)
    assert three.recall == 1.0 and [c.rank for c in three.root_causes] == [1, 2, 3]
    assert score(answer("otel-demo/Deployment/frontend"), g).recall == 0.0


def test_scenario27_schedule_right_quote_service_wrong():
    right = score(answer("chaos-mesh/Schedule/otel-demo-quote-http-chaos-abort"), gt(27))
    assert right.recall == 1.0
    wrong = score(answer("otel-demo/Service/quote"), gt(27))
    assert (wrong.recall, wrong.precision, wrong.f1) == (0.0, 0.0, 0.0)
    assert wrong.correct_predictions == [False]
    # the right name in the wrong namespace does not match
    assert score(answer("otel-demo/Schedule/otel-demo-quote-http-chaos-abort"), gt(27)).recall == 0.0


def test_scenario1_alias_makes_frontend_proxy_count_for_root_cause():
    g = gt(1)
    assert score(answer("otel-demo/Service/frontend-proxy"), g).recall == 1.0
    assert score(answer("otel-demo/Pod/load-generator-5d8f9-xk2lp"), g).recall == 1.0
    assert score(answer("otel-demo/Service/cart"), g).recall == 0.0


def test_scenario37_namespace_root_cause_by_exact_name():
    assert score(answer("otel-demo/Namespace/otel-demo"), gt(37)).recall == 1.0
    assert score(answer("Namespace/otel-demo"), gt(37)).recall == 1.0
    assert score(answer("otel-demo/Namespace/otel-demo-2"), gt(37)).recall == 0.0


def test_chaos_kind_case_insensitive():
    assert score(answer("chaos-mesh/HTTPChaos/tamper-body-otel-demo-emailservice"), gt(28)).recall == 1.0
    assert score(answer("chaos-mesh/jvmchaos/otel-demo-ad-jvm-chaos"), gt(35)).recall == 1.0


def test_monitoring_namespace_entity_is_ignored():
    s = score(answer("prometheus/Pod/prometheus-server-0", "otel-demo/ConfigMap/flagd-config"), gt(2))
    assert s.ignored == ["prometheus/Pod/prometheus-server-0"]
    assert (s.n_predicted, s.precision, s.recall) == (1, 1.0, 1.0)
    assert s.root_causes[0].rank == 1          # ranks count only non-ignored predictions
    assert score(answer("kube-system/Pod/coredns-1"), gt(2)).n_predicted == 0


def test_kind_mismatch_fails():
    assert score(answer("otel-demo/Secret/flagd-config"), gt(2)).recall == 0.0
    assert score(answer("otel-demo/Service/product-catalog"), gt(20)).recall == 1.0  # aliased service
    assert score(answer("otel-demo/StatefulSet/product-catalog"), gt(20)).recall == 0.0


def test_precision_one_right_one_wrong_is_half_and_order_counts():
    s = score(answer("otel-demo/Service/cart", "otel-demo/ConfigMap/flagd-config"), gt(2))
    assert s.precision == 0.5 and s.recall == 1.0
    assert s.f1 == pytest.approx(2 / 3)
    assert s.root_causes[0].rank == 2 and not s.hit_at_1
    assert s.recall_at(1) == 0.0 and s.recall_at(2) == 1.0


def test_non_contributing_entities_do_not_count():
    s = score(answer(others=("otel-demo/ConfigMap/flagd-config",)), gt(2))
    assert (s.n_predicted, s.recall, s.precision) == (0, 0.0, 0.0)


def test_bare_name_is_accepted():
    assert score(answer("flagd-config"), gt(2)).recall == 1.0


# -- propagation chain ------------------------------------------------------------------------

HAND_CHAIN = GroundTruth.model_validate({
    "groups": [
        {"id": "cm", "kind": "ConfigMap", "namespace": "otel-demo", "name": "flagd-config", "root_cause": True},
        {"id": "cart-svc", "kind": "Service", "namespace": "otel-demo", "filter": [r"cart\b"]},
        {"id": "cart-pod", "kind": "Pod", "namespace": "otel-demo", "filter": ["cart-.*"]},
        {"id": "fe-svc", "kind": "Service", "namespace": "otel-demo", "filter": [r"frontend\b"]},
        {"id": "proxy-svc", "kind": "Service", "namespace": "otel-demo", "filter": [r"frontend-proxy\b"]},
    ],
    "aliases": [["cart-svc", "cart-pod"]],
    "propagations": [
        {"source": "cm", "target": "cart-svc"},
        {"source": "cart-pod", "target": "cart-svc"},      # inside one alias class: dropped
        {"source": "cart-svc", "target": "fe-svc"},
        {"source": "cart-pod", "target": "fe-svc"},         # same edge after collapse: deduplicated
        {"source": "fe-svc", "target": "proxy-svc"},
    ],
})


def test_propagation_edges_collapse_aliases():
    assert HAND_CHAIN.edges() == [("cm", "cart-svc"), ("cart-svc", "fe-svc"), ("fe-svc", "proxy-svc")]


def test_propagation_overlap_on_hand_built_chain():
    s = score(answer("otel-demo/ConfigMap/flagd-config", props=(
        ("otel-demo/ConfigMap/flagd-config", "otel-demo/Pod/cart-6d8f-abcde"),   # covers cm->cart via alias
        ("otel-demo/Service/cart", "otel-demo/Service/frontend"),                # covers cart->fe
        ("otel-demo/Service/frontend", "otel-demo/Service/cart"),                # wrong direction
        ("prometheus/Service/prometheus", "otel-demo/Service/cart"),             # ignored
    )), HAND_CHAIN)
    assert [e.matched for e in s.propagation_edges] == [True, True, False]
    assert s.propagation_recall == pytest.approx(2 / 3)
    assert s.n_predicted_edges == 3
    assert s.propagation_precision == pytest.approx(2 / 3)


def test_propagation_not_applicable_when_no_cross_class_edge():
    s = score(answer("otel-demo/Service/frontend-proxy"), gt(1))
    assert s.propagation_recall is None and s.propagation_precision is None


def test_propagation_real_scenario2_full_chain():
    chain = (("otel-demo/ConfigMap/flagd-config", "otel-demo/Service/cart"),
             ("otel-demo/Service/cart", "otel-demo/Service/frontend"),
             ("otel-demo/Service/frontend", "otel-demo/Service/frontend-proxy"))
    s = score(answer("otel-demo/ConfigMap/flagd-config", props=chain), gt(2))
    assert s.propagation_recall == 1.0 and s.propagation_precision == 1.0
    s = score(answer("otel-demo/ConfigMap/flagd-config", props=chain[:1]), gt(2))
    assert s.propagation_recall == pytest.approx(1 / 3)


# -- filters, parsing, validation ---------------------------------------------------------------

def test_filter_rules():
    assert filter_matches(r"frontend\b", "frontend")
    assert not filter_matches(r"frontend\b", "frontend-proxy")
    assert filter_matches("checkout-.*", "checkout") and filter_matches("checkout-.*", "checkout-1-a")
    assert not filter_matches("checkout-.*", "checkoutx")
    assert not filter_matches("cart", "cartservice")            # full match, not search
    rx, note = compile_filter("(*foo")                        # unrepairable -> literal, no crash
    assert rx.fullmatch("(*foo") and "literally" in note


def test_parse_entity_shapes():
    e = parse_entity("otel-demo/Pod/checkout-8546fdc74d-d68cn")
    assert (e.namespace, e.kind, e.name) == ("otel-demo", "Pod", "checkout-8546fdc74d-d68cn")
    assert parse_entity("otel-demo/cart").namespace == "otel-demo"
    assert parse_entity({"name": "cart", "kind": "Service"}).kind == "Service"


def test_validate_agent_output_errors_are_one_line_input_errors(tmp_path):
    with pytest.raises(AgentOutputError, match="missing 'alerts_explained'"):
        validate_agent_output({"entities": [], "propagations": []})
    with pytest.raises(AgentOutputError, match=r"entities\[0\].*contributing_factor"):
        validate_agent_output({"entities": [{"id": "x"}], "propagations": [], "alerts_explained": []})
    with pytest.raises(AgentOutputError, match=r"propagations\[0\].*'target'"):
        validate_agent_output({"entities": [], "propagations": [{"source": "a"}], "alerts_explained": []})
    assert issubclass(AgentOutputError, InputError)
    bad = tmp_path / "agent_output.json"
    bad.write_text("{not json")
    with pytest.raises(AgentOutputError, match="not JSON"):
        load_agent_output(bad)


def test_ground_truth_spec_layout_and_errors(tmp_path):
    p = tmp_path / "gt.yaml"
    p.write_text("apiVersion: itbench.io/v1\nkind: GroundTruth\nspec:\n  id: 7\n  groups:\n"
                 "  - {id: a, kind: Service, filter: 'cart\\b', root_cause: true}\n")
    g = load_ground_truth(p)
    assert g.id == "7" and g.groups[0].filter == [r"cart\b"]
    assert score(answer("otel-demo/Service/cart"), g).recall == 1.0
    p.write_text("just: text\n")
    with pytest.raises(GroundTruthError, match="no 'groups'"):
        load_ground_truth(p)
    with pytest.raises(GroundTruthError, match="cannot be read"):
        load_ground_truth(tmp_path / "missing.yaml")


def test_every_bundled_ground_truth_loads_and_scores():
    for path in sorted(GT_DIR.glob("*.yaml")):
        g = load_ground_truth(path)
        s = score(answer(), g)
        assert s.n_root_causes >= 1 and s.recall == 0.0, path.name
        json.dumps(s.model_dump())


def test_wildcard_prediction_is_rerouted_to_keep_recall_maximal():
    g = GroundTruth.model_validate({"groups": [
        {"id": "a", "kind": "HorizontalPodAutoscaler", "filter": ["frontend"], "root_cause": True},
        {"id": "b", "kind": "HorizontalPodAutoscaler", "filter": ["*.*"], "root_cause": True}]})
    # the first prediction could serve a or b; the second only a: both classes get credited
    s = score(answer("otel-demo/HorizontalPodAutoscaler/frontend", "otel-demo/HorizontalPodAutoscaler/frontend"), g)
    assert s.recall == 1.0 and sorted(c.rank for c in s.root_causes) == [1, 2]
    s = score(answer("otel-demo/HorizontalPodAutoscaler/cart"), g)
    assert s.recall == 0.5 and s.root_causes[1].matched_by == "otel-demo/HorizontalPodAutoscaler/cart"


def test_propagation_to_an_undefined_group_is_left_out_and_reported():
    """Scenario-31's last edge targets 'frontend-proxy-1', a group the file never defines."""
    gt = load_ground_truth(GT_DIR / "Scenario-31.yaml")
    answer = {"entities": [{"id": "otel-demo/NetworkPolicy/frontend-block-all-ports", "contributing_factor": True}],
              "propagations": [], "alerts_explained": []}
    result = score(answer, gt)
    assert result.recall == 1.0
    assert any("frontend-proxy-1" in r for r in result.repairs)
    assert all("frontend-proxy-1" not in (e.source, e.target) for e in result.propagation_edges)
