"""Our own ground truths (eval/data/ours/ground_truths) and the simulator mechanisms behind them."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from sre_agent.eval.scoring import filter_matches  # the project's answer-key matcher
from sre_agent.simulator.faults import OWN_MECHANISMS
from sre_agent.simulator.hard import SWITCHES
from sre_agent.simulator.scenario import run

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data_paths import GROUND_TRUTHS, OUR_GROUND_TRUTHS  # noqa: E402

OURS = sorted(OUR_GROUND_TRUTHS.glob("*.yaml"))
SMALL = 0.08
HEADER = "# sre-agent's own ground truth (not ITBench's), schema of ITBench SRE ground truths"
csv.field_size_limit(1 << 30)


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def spec_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module", params=["normal", "hard"])
def built(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    hard = tuple(SWITCHES) if request.param == "hard" else ()
    return request.param, {p.stem: run(p, out, seed=5, scale=SMALL, hard=hard) for p in OURS}


def test_at_least_ten_own_ground_truths_labelled_as_ours():
    assert len(OURS) >= 10
    itbench = {p.name for p in GROUND_TRUTHS.glob("*.yaml")}
    mechanisms = set()
    for p in OURS:
        assert p.read_text().startswith(HEADER), p.name
        assert p.name not in itbench
        spec = spec_of(p)
        assert {"alerts", "groups", "propagations", "fault", "id"} <= set(spec), p.name
        assert sum(1 for g in spec["groups"] if g.get("root_cause")) == 1
        mechanisms |= {f["fault_mechanism"] for f in spec["fault"]}
    assert mechanisms <= set(OWN_MECHANISMS) and len(mechanisms) >= 10
    for p in GROUND_TRUTHS.glob("*.yaml"):  # ITBench's 29 never select one of our mechanisms
        assert not {f.get("fault_mechanism") for f in spec_of(p).get("fault", [])} & set(OWN_MECHANISMS)


def test_every_own_ground_truth_builds_and_names_its_root_cause(built):
    variant, reps = built
    for name, rep in reps.items():
        spec = spec_of(OUR_GROUND_TRUTHS / f"{name}.yaml")
        root = next(g for g in spec["groups"] if g.get("root_cause"))
        ns, kind, obj = rep.root_objects[root["id"]]
        assert (ns, kind) == (root["namespace"], root["kind"])
        assert obj == root.get("name", obj) and any(filter_matches(f, obj) for f in root["filter"]), (name, obj)
        seen = {(o["kind"], o["metadata"]["name"]) for o in
                (json.loads(r["Body"]) for r in read_tsv(rep.folder / "k8s_objects_raw.tsv"))}
        assert (kind, obj) in seen, (variant, name)
        fired = set()
        for p in (rep.folder / "alerts").iterdir():
            fired |= {a["labels"]["alertname"] for a in json.loads(p.read_text()) if a["state"] == "firing"}
        if variant == "normal":
            assert {a["id"] for a in spec["alerts"]} <= fired, name
        assert fired, (variant, name)


def _objects(rep) -> list[dict]:
    return [json.loads(r["Body"]) for r in read_tsv(rep.folder / "k8s_objects_raw.tsv")]


def _events(rep) -> list[tuple[str, str, str, str]]:
    out = []
    for r in read_tsv(rep.folder / "k8s_events_raw.tsv"):
        o = json.loads(r["Body"])["object"]
        ref = o.get("involvedObject") or o.get("regarding")
        out.append((ref["kind"], ref["name"], o["reason"], o.get("message") or o.get("note") or ""))
    return out


def _last_pod(objects: list[dict], svc: str) -> dict:
    pods = [o for o in objects if o["kind"] == "Pod" and re.fullmatch(rf"{svc}-[a-z0-9]+-[a-z0-9]{{5}}", o["metadata"]["name"])]
    return max(pods, key=lambda o: (o["metadata"]["creationTimestamp"], int(o["metadata"]["resourceVersion"])))


def _has_event(rep, reason: str, text: str) -> bool:
    return any(r == reason and text in m for _, _, r, m in _events(rep))


def _waiting(rep, svc: str) -> str:
    cs = _last_pod(_objects(rep), svc)["status"]["containerStatuses"][0]
    return cs["state"].get("waiting", {}).get("reason", "")


def _last_terminated(rep, svc: str) -> dict:
    return _last_pod(_objects(rep), svc)["status"]["containerStatuses"][0]["lastState"].get("terminated", {})


EVIDENCE = {
    "Scenario-501": lambda rep: _has_event(rep, "FailedCreate", "failed quota: otel-demo-compute-quota: must specify limits.cpu"),
    "Scenario-502": lambda rep: _has_event(rep, "FailedScheduling", "didn't match Pod's node affinity/selector")
                                and _last_pod(_objects(rep), "quote")["status"]["phase"] == "Pending",
    "Scenario-503": lambda rep: _has_event(rep, "Unhealthy", "Readiness probe failed")
                                and any(o["kind"] == "Endpoints" and o["metadata"]["name"] == "recommendation"
                                        and o["subsets"] and "notReadyAddresses" in o["subsets"][0] for o in _objects(rep)),
    "Scenario-504": lambda rep: _has_event(rep, "Killing", "failed liveness probe, will be restarted"),
    "Scenario-505": lambda rep: _waiting(rep, "payment") == "CreateContainerConfigError"
                                and _has_event(rep, "Failed", 'Error: secret "payment-provider-credentials" not found'),
    "Scenario-506": lambda rep: _waiting(rep, "shipping") == "ContainerCreating" and _has_event(rep, "FailedMount", "not found"),
    "Scenario-507": lambda rep: _has_event(rep, "ProvisioningFailed", "gp3-encrypted")
                                and _has_event(rep, "FailedScheduling", "unbound immediate PersistentVolumeClaims")
                                and any(o["kind"] == "PersistentVolumeClaim" and o["status"]["phase"] == "Pending" for o in _objects(rep)),
    "Scenario-508": lambda rep: any(o["kind"] == "Endpoints" and o["metadata"]["name"] == "cart" and o["subsets"] == []
                                    for o in _objects(rep))
                                and not set(_selector(rep, "cart").items()) <= set(_last_pod(_objects(rep), "cart")["metadata"]["labels"].items()),
    "Scenario-509": lambda rep: any(read_tsv(p) and any(r["metric_name"] == "container_cpu_cfs_throttled_seconds_total" for r in read_tsv(p))
                                    for p in (rep.folder / "metrics").glob("pod_product-catalog-*")),
    "Scenario-510": lambda rep: any("lookup" in r["Body"] and "i/o timeout" in r["Body"] and r["ServiceName"] == "checkout"
                                    for r in read_tsv(rep.folder / "otel_logs_raw.tsv")),
    "Scenario-511": lambda rep: _last_pod(_objects(rep), "image-provider")["status"]["initContainerStatuses"][0]["state"]
                                ["waiting"]["reason"] == "CrashLoopBackOff",
    "Scenario-512": lambda rep: _last_terminated(rep, "accounting").get("exitCode") == 1,
    "Scenario-513": lambda rep: _last_terminated(rep, "fraud-detection").get("reason") == "OOMKilled",
    "Scenario-514": lambda rep: _last_terminated(rep, "kafka").get("exitCode") == 1
                                and any("No space left on device" in r["Body"] and r["ServiceName"] == "kafka"
                                        for r in read_tsv(rep.folder / "otel_logs_raw.tsv")),
    "Scenario-515": lambda rep: any(o["kind"] == "HorizontalPodAutoscaler" and o["metadata"]["name"] == "frontend"
                                    and o["spec"]["maxReplicas"] == o["spec"]["minReplicas"] == o["status"]["currentReplicas"]
                                    and any(c["reason"] == "TooManyReplicas" and c["status"] == "True"
                                            for c in o["status"].get("conditions", []))
                                    for o in _objects(rep)),
}


def _selector(rep, svc: str) -> dict:
    return [o for o in _objects(rep) if o["kind"] == "Service" and o["metadata"]["name"] == svc][-1]["spec"]["selector"]


def test_each_mechanism_leaves_the_evidence_kubernetes_writes(built):
    variant, reps = built
    assert set(EVIDENCE) == set(reps)
    for name, check in EVIDENCE.items():
        assert check(reps[name]), (variant, name)


def test_no_own_ground_truth_text_leaks(built):
    _, reps = built
    for name, rep in reps.items():
        spec = spec_of(OUR_GROUND_TRUTHS / f"{name}.yaml")
        needles = {"root_cause", "sre-agent's own"}
        for p in spec["propagations"]:
            needles |= {p["condition"], p["effect"]}
        needles |= {a["metadata"]["description"] for a in spec["alerts"]} | {f["condition"] for f in spec["fault"]}
        needles |= {a for r in spec.get("recommended_actions", []) for a in r["solution"]["actions"]}
        needles |= {g["id"] for g in spec["groups"] if g["id"] not in {o for _, _, o in rep.root_objects.values()}}
        needles = {n for n in needles if len(n) >= 12}
        for p in rep.folder.rglob("*"):
            if p.is_file() and p.name != "ground_truth.yaml":
                text = p.read_text()
                for n in needles:
                    assert n not in text or not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text), (name, n, p.name)


def test_own_ground_truths_are_deterministic_per_seed(tmp_path):
    gt = OUR_GROUND_TRUTHS / "Scenario-507.yaml"
    a = run(gt, tmp_path / "a", seed=7, scale=0.05, hard=tuple(SWITCHES)).folder
    b = run(gt, tmp_path / "b", seed=7, scale=0.05, hard=tuple(SWITCHES)).folder
    c = run(gt, tmp_path / "c", seed=8, scale=0.05, hard=tuple(SWITCHES)).folder
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert (a / "k8s_objects_raw.tsv").read_bytes() != (c / "k8s_objects_raw.tsv").read_bytes()
