"""Tests of the simulator's hard switches (sre_agent.simulator.hard): each does what it says."""

from __future__ import annotations

import csv
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sre_agent.simulator.hard import SWITCHES, parse_switches
from sre_agent.simulator.scenario import run

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data_paths import GROUND_TRUTHS as GT_DIR  # noqa: E402

SMALL = 0.08
csv.field_size_limit(1 << 30)


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def ns_of(stamp: str) -> int:
    """``YYYY-MM-DD HH:MM:SS.fffffffff`` -> ns since the epoch."""
    day, frac = (stamp.split(".") + ["0"])[:2]
    sec = int(datetime.strptime(day, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp())
    return sec * 1_000_000_000 + int(frac.ljust(9, "0"))


def test_parse_switches_rejects_unknown_names():
    assert parse_switches("hard") == tuple(SWITCHES)
    with pytest.raises(ValueError, match="no-such"):
        parse_switches("no-prefault-dump,no-such")


@pytest.mark.parametrize("name", ["Scenario-7", "Scenario-27"])
def test_no_prefault_dump_has_no_object_version_before_the_fault(tmp_path, name):
    rep = run(GT_DIR / f"{name}.yaml", tmp_path / "late", seed=3, scale=SMALL, hard=("no-prefault-dump", "late-event-watch"))
    rows = read_tsv(rep.folder / "k8s_objects_raw.tsv")
    assert rows and min(ns_of(r["Timestamp"]) for r in rows) > rep.fault_start
    events = read_tsv(rep.folder / "k8s_events_raw.tsv")
    assert all(ns_of(r["Timestamp"]) >= rep.record_start for r in events)
    # Without late-event-watch the same late dumps come with the event watch that ran all along.
    dumps_only = run(GT_DIR / f"{name}.yaml", tmp_path / "dumps", seed=3, scale=SMALL, hard=("no-prefault-dump",))
    early = [r for r in read_tsv(dumps_only.folder / "k8s_events_raw.tsv") if ns_of(r["Timestamp"]) < dumps_only.record_start]
    assert read_tsv(dumps_only.folder / "k8s_objects_raw.tsv") == rows
    assert len(read_tsv(dumps_only.folder / "k8s_events_raw.tsv")) == len(events) + len(early)
    if name == "Scenario-27":  # the Schedule's spawn and the experiment's start happen before the dumps
        assert {json.loads(r["Body"])["object"]["reason"] for r in early} >= {"Spawned", "Started"}
    ns, kind, obj = next(iter(rep.root_objects.values()))
    if kind == "ConfigMap":  # the changed ConfigMap is only ever seen changed
        bodies = [json.loads(r["Body"]) for r in rows]
        seen = [b for b in bodies if b["kind"] == kind and b["metadata"]["name"] == obj]
        assert seen and len({b["metadata"]["resourceVersion"] for b in seen}) == 1


def test_cli_variant_and_hard_flags(tmp_path, capsys):
    from sre_agent.cli import main

    gt = str(GT_DIR / "Scenario-5.yaml")
    assert main(["simulate", gt, "--out", str(tmp_path / "o"), "--hard", "bogus"]) == 2
    assert main(["simulate", gt, "--out", str(tmp_path / "o"), "--variant", "hard", "--hard", "old-chaos"]) == 2
    assert "bogus" in capsys.readouterr().err
    assert main(["simulate", gt, "--out", str(tmp_path / "o"), "--scale", "0.05", "--hard", "no-prefault-dump"]) == 0


def events_of(folder: Path) -> list[dict]:
    out = []
    for r in read_tsv(folder / "k8s_events_raw.tsv"):
        o = json.loads(r["Body"])["object"]
        ref = o.get("involvedObject") or o.get("regarding")
        out.append({"reason": o["reason"], "type": o["type"], "name": ref["name"], "kind": ref["kind"],
                    "last": o.get("lastTimestamp") or o.get("deprecatedLastTimestamp")})
    return out


def k8s_ns(stamp: str) -> int:
    return ns_of(stamp.replace("T", " ").replace("Z", ""))


@pytest.fixture(scope="module")
def hard27(tmp_path_factory):
    """Scenario-27 (HTTP chaos on quote, alerts up to the proxy) with every switch, objects of chaos kinds dumped."""
    out = tmp_path_factory.mktemp("hard27")
    return run(GT_DIR / "Scenario-27.yaml", out, seed=1, scale=SMALL, dump_chaos_objects=True, hard=tuple(SWITCHES))


def test_root_without_traces_and_edge_alerts_only(hard27):
    spans = read_tsv(hard27.folder / "otel_traces_raw.tsv")
    assert spans and not any(r["ServiceName"] == "quote" for r in spans)
    assert not list((hard27.folder / "metrics").glob("service_quote_*"))  # span metrics come from spans
    assert any(r["ServiceName"] == "shipping" for r in spans)
    services = set()
    for f in (hard27.folder / "alerts").glob("*.json"):
        services |= {a["labels"].get("service_name") for a in json.loads(f.read_text())}
    assert services == {"frontend", "frontend-proxy"}


def test_sparse_root_metrics(tmp_path):
    normal = run(GT_DIR / "Scenario-27.yaml", tmp_path / "n", seed=1, scale=SMALL)
    sparse = run(GT_DIR / "Scenario-27.yaml", tmp_path / "s", seed=1, scale=SMALL, hard=("sparse-root-metrics",))
    for f in (normal.folder / "metrics").glob("pod_quote-*"):
        assert len(read_tsv(sparse.folder / "metrics" / f.name)) < 0.6 * len(read_tsv(f))
    other = next((normal.folder / "metrics").glob("pod_email-*")).name
    assert len(read_tsv(sparse.folder / "metrics" / other)) == len(read_tsv(normal.folder / "metrics" / other))


def test_distractors_are_real_and_do_not_touch_the_root(hard27):
    tags = dict(t.split(":", 1) for t in hard27.noise)
    events = events_of(hard27.folder)
    objects = [json.loads(r["Body"]) for r in read_tsv(hard27.folder / "k8s_objects_raw.tsv")]
    involved = {"quote", "shipping", "checkout", "frontend", "frontend-proxy"}
    # an unrelated Deployment rolled out minutes before the fault: its new ReplicaSet is in the first dump
    svc = tags["benign-rollout"]
    assert svc not in involved
    created = [k8s_ns(o["metadata"]["creationTimestamp"]) for o in objects
               if o["kind"] == "ReplicaSet" and o["metadata"]["name"].startswith(svc + "-")]
    assert any(hard27.fault_start - 6 * 60 * 10**9 < c < hard27.fault_start for c in created)
    # finished chaos is listed as recovered, on a service outside the incident
    kind, name = tags["old-chaos"].split("/")
    chaos = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert chaos and all(c["status"]["experiment"]["desiredPhase"] == "Stop" for c in chaos)
    assert not any(name.startswith(s + "-") for s in involved)
    # the second anomaly crash-loops a leaf consumer during the incident
    leaf = tags["second-anomaly"]
    assert leaf in ("accounting", "fraud-detection")
    assert any(o["kind"] == "Pod" and o["metadata"]["name"].startswith(leaf + "-")
               and o["status"]["containerStatuses"][0]["restartCount"] > 0 for o in objects)
    # noisy warnings: many Warning rows, none about the root-cause service
    warnings = [e for e in events if e["type"] == "Warning"]
    assert len(warnings) >= 10 and not any(e["name"].startswith("quote-") for e in warnings if e["reason"] != "BackOff")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_resolved_failure_ends_before_the_fault(tmp_path, seed):
    rep = run(GT_DIR / "Scenario-7.yaml", tmp_path, seed=seed, scale=SMALL, hard=("resolved-failure",))
    tag = next(t for t in rep.noise if t.startswith("resolved-"))
    pod = tag.split(":", 1)[1]
    mine = [e for e in events_of(rep.folder) if e["name"] == pod and e["type"] == "Warning"]
    assert mine and {e["reason"] for e in mine} <= {"FailedScheduling", "BackOff"}
    assert all(k8s_ns(e["last"]) < rep.fault_start - 4 * 60 * 10**9 for e in mine)
    last = [json.loads(r["Body"]) for r in read_tsv(rep.folder / "k8s_objects_raw.tsv")]
    final = [o for o in last if o["kind"] == "Pod" and o["metadata"]["name"] == pod][-1]
    assert final["status"]["phase"] == "Running" and final["status"]["containerStatuses"][0]["ready"]


@pytest.mark.parametrize("name", ["Scenario-20", "Scenario-31", "Scenario-91"])
def test_hard_variant_is_deterministic_and_keeps_the_root_cause(tmp_path, name):
    import hashlib

    def digest(folder: Path) -> str:
        h = hashlib.sha256()
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                h.update(p.name.encode() + p.read_bytes())
        return h.hexdigest()

    a = run(GT_DIR / f"{name}.yaml", tmp_path / "a", seed=4, scale=SMALL, hard=tuple(SWITCHES))
    b = run(GT_DIR / f"{name}.yaml", tmp_path / "b", seed=4, scale=SMALL, hard=tuple(SWITCHES))
    assert digest(a.folder) == digest(b.folder)
    normal = run(GT_DIR / f"{name}.yaml", tmp_path / "n", seed=4, scale=SMALL)
    assert digest(a.folder) != digest(normal.folder)
    assert {k: v[:2] for k, v in a.root_objects.items()} == {k: v[:2] for k, v in normal.root_objects.items()}
    seen = {(o["kind"], o["metadata"]["name"]) for o in
            (json.loads(r["Body"]) for r in read_tsv(a.folder / "k8s_objects_raw.tsv"))}
    for ns, kind, obj in a.root_objects.values():
        if ns != "chaos-mesh":  # the recorder does not dump Chaos Mesh objects
            assert (kind, obj) in seen, (kind, obj)


def test_hard_variant_leaks_neither_ground_truth_text_nor_its_switches(hard27):
    import yaml

    spec = yaml.safe_load((GT_DIR / "Scenario-27.yaml").read_text())
    needles = {p["condition"] for p in spec["propagations"]} | {p["effect"] for p in spec["propagations"]}
    needles |= {a["metadata"]["description"] for a in spec["alerts"]} | {f["condition"] for f in spec["fault"]}
    needles |= set(SWITCHES) | {"hard", "distractor", "resolved-failure", "second-anomaly"}
    for p in hard27.folder.rglob("*"):
        if p.is_file() and p.name != "ground_truth.yaml":
            text = p.read_text()
            for n in needles:
                assert n not in text or not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text), (n, p.name)
