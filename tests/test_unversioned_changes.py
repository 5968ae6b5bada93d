"""Changes without a previous version: with the recording started after the fault (the
simulator's ``no-prefault-dump`` switch: no earlier version of the changed object exists), every
change-kind root cause among the 29 shared ground truths is still found."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from data_paths import GROUND_TRUTHS
from sre_agent.analysis.unversioned import active_flags, off_variant, unversioned_changes
from sre_agent.eval.scoring import load_ground_truth, score
from sre_agent.models import K8sObject
from sre_agent.runner import run_triage
from sre_agent.simulator import simulate

CHAOS_MECHANISMS = {"chaos", "jvm_heap_stress", "memory_stress", "network_partition"}


def _change_kind(path: Path) -> bool:
    """A fault made by changing an object (a flag, a spec, a port, a policy), not by chaos or a pod."""
    fault = (yaml.safe_load(path.read_text()).get("fault") or [{}])[0]
    mech = str(fault.get("fault_mechanism", ""))
    kind = str((fault.get("entity") or {}).get("kind", ""))
    return mech not in CHAOS_MECHANISMS and (mech != "custom" or kind in ("Deployment", "HorizontalPodAutoscaler"))


CHANGE_KIND = sorted(p.stem for p in GROUND_TRUTHS.glob("Scenario-*.yaml") if _change_kind(p))


def test_the_change_kind_scenarios_are_the_expected_ones() -> None:
    assert len(CHANGE_KIND) >= 15 and {"Scenario-2", "Scenario-24", "Scenario-30", "Scenario-31", "Scenario-38"} <= set(CHANGE_KIND)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("unversioned")


@pytest.mark.parametrize("name", CHANGE_KIND)
def test_a_change_is_found_without_its_previous_version(name: str, base: Path) -> None:
    folder = simulate(GROUND_TRUTHS / f"{name}.yaml", base / "sim", seed=0, scale=0.12, variant="no-prefault-dump,late-event-watch")
    result = run_triage(alert=folder / "alerts", output_dir=base / "run" / name)
    s = score(result.agent_output, load_ground_truth(GROUND_TRUTHS / f"{name}.yaml"))
    assert s.recall == 1.0, (name, [e["id"] for e in result.agent_output["entities"] if e["contributing_factor"]])


def _obj(kind: str, name: str = "x", **meta: object) -> K8sObject:
    body = {"kind": kind, "metadata": {"name": name, "namespace": "ns", **meta}, "spec": {}}
    return K8sObject(observed=5000.0, kind=kind, namespace="ns", name=name, body=body)


def test_managed_fields_date_a_change_and_controllers_do_not_count() -> None:
    dep = _obj("Deployment", managedFields=[
        {"manager": "kube-controller-manager", "operation": "Update", "time": "2025-01-01T01:20:00Z", "fieldsV1": {"f:spec": {}}},
        {"manager": "kubectl-edit", "operation": "Update", "time": "2025-01-01T01:10:00Z", "fieldsV1": {"f:spec": {}}}])
    changes = unversioned_changes(dep, window_start=1735693200.0)  # 2025-01-01T01:00:00Z
    assert [(c.what, c.time) for c in changes] == [("spec_changed", 1735693800.0)] and "kubectl-edit" in changes[0].detail
    assert unversioned_changes(dep, window_start=1735694000.0) == []  # the write came before the window


def test_generation_ahead_and_a_new_replicaset_are_changes() -> None:
    dep = _obj("Deployment", generation=3)
    dep.body["status"] = {"observedGeneration": 2}
    assert unversioned_changes(dep, 0.0)[0].detail.startswith("generation 3 ahead")
    dep = _obj("Deployment", name="web")
    old = _obj("ReplicaSet", "web-a", creationTimestamp="2025-01-01T00:00:00Z", annotations={"deployment.kubernetes.io/revision": "1"})
    new = _obj("ReplicaSet", "web-b", creationTimestamp="2025-01-01T01:30:00Z", annotations={"deployment.kubernetes.io/revision": "2"})
    changes = unversioned_changes(dep, 1735693200.0, [old, new])
    assert [(c.what, c.time) for c in changes] == [("spec_changed", 1735695000.0)] and "web-b" in changes[0].detail


def test_off_variant_and_active_flags() -> None:
    assert off_variant({"variants": {"10sec": 10000, "off": 0}}) == "off"
    assert off_variant({"variants": {"enabled": True, "disabled": False}}) == "disabled"
    assert off_variant({"variants": {"a": 1, "b": 2}}) is None
    data = {"f.json": '{"flags": {"slow": {"state": "ENABLED", "defaultVariant": "10sec", "variants": {"10sec": 1, "off": 0}},'
                      ' "quiet": {"state": "DISABLED", "defaultVariant": "on", "variants": {"on": 1, "off": 0}}}}'}
    assert active_flags(data) == ["slow: defaultVariant '10sec' (off variant 'off')"]
