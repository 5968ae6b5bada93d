"""Tests of the ITBench-Lite incident simulator (sre_agent.simulator)."""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sre_agent.simulator import simulate
from sre_agent.eval.scoring import filter_matches  # the project's answer-key matcher
from sre_agent.simulator.scenario import run
from sre_agent.simulator.writer import write_tsv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data_paths import GROUND_TRUTHS as GT_DIR  # noqa: E402

GROUND_TRUTHS = sorted(GT_DIR.glob("*.yaml"))
SMALL = 0.12  # request-rate scale that keeps the whole file fast
MAP_COLUMNS = ("ResourceAttributes", "LogAttributes", "ScopeAttributes", "SpanAttributes", "tags")
LIST_COLUMNS = ("Events.Timestamp", "Events.Name", "Events.Attributes", "Links.TraceId", "Links.SpanId",
                "Links.TraceState", "Links.Attributes")
CHAOS = {"networkchaos", "podchaos", "stresschaos", "httpchaos", "jvmchaos", "schedule"}

csv.field_size_limit(1 << 30)
pytestmark = pytest.mark.skipif(not GROUND_TRUTHS, reason="ground truths not available")


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def spec_of(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    return data.get("spec", data)


@pytest.fixture(scope="module")
def all_scenarios(tmp_path_factory):
    """Every ground truth simulated once (small scale), with its report."""
    out = tmp_path_factory.mktemp("all")
    return {p.stem: run(p, out, seed=0, scale=SMALL) for p in GROUND_TRUTHS}


def test_every_ground_truth_simulates(all_scenarios):
    assert len(all_scenarios) == len(GROUND_TRUTHS) == 29
    for name, rep in all_scenarios.items():
        folder = rep.folder
        assert folder.name == name
        for f in ("k8s_objects_raw.tsv", "k8s_events_raw.tsv", "otel_logs_raw.tsv", "otel_traces_raw.tsv", "ground_truth.yaml"):
            assert (folder / f).is_file(), (name, f)
        assert list((folder / "alerts").glob("alerts_at_*.json")), name
        assert list((folder / "metrics").glob("pod_*_raw.tsv")) and list((folder / "metrics").glob("service_*_raw.tsv"))
        assert (folder / "ground_truth.yaml").read_bytes() == (GT_DIR / f"{name}.yaml").read_bytes()
        assert rep.rows["spans"] > 1000 and rep.rows["logs"] > 300, (name, rep.rows)
        assert len(rep.noise) >= 4, rep.noise  # untraced + sparse + at least two anomalies


def test_root_cause_names_match_filters_and_are_visible(all_scenarios):
    for name, rep in all_scenarios.items():
        spec = spec_of(GT_DIR / f"{name}.yaml")
        objects = (rep.folder / "k8s_objects_raw.tsv").read_text()
        events = (rep.folder / "k8s_events_raw.tsv").read_text()
        for g in spec["groups"]:
            if not g.get("root_cause"):
                continue
            ns, kind, obj = rep.root_objects[g["id"]]
            assert ns == g["namespace"] and kind == g["kind"]
            if g.get("name"):
                assert obj == g["name"]
            else:
                assert any(filter_matches(f, obj) for f in g["filter"]), (name, obj, g["filter"])
            where = events if kind.lower() in CHAOS else objects
            assert f'""name"":""{obj}""' in where, (name, kind, obj)


def test_chaos_objects_only_dumped_on_request(tmp_path):
    gt = GT_DIR / "Scenario-27.yaml"
    plain = simulate(gt, tmp_path / "plain", seed=3, scale=SMALL)
    dumped = simulate(gt, tmp_path / "dumped", seed=3, dump_chaos_objects=True, scale=SMALL)
    kinds_plain = {json.loads(r["Body"])["kind"] for r in read_tsv(plain / "k8s_objects_raw.tsv")}
    kinds_dumped = {json.loads(r["Body"])["kind"] for r in read_tsv(dumped / "k8s_objects_raw.tsv")}
    assert not kinds_plain & {"Schedule", "HTTPChaos"}
    assert {"Schedule", "HTTPChaos"} <= kinds_dumped
    involved = {json.loads(r["Body"])["object"].get("involvedObject", json.loads(r["Body"])["object"].get("regarding", {})).get("kind")
                for r in read_tsv(plain / "k8s_events_raw.tsv")}
    assert {"Schedule", "HTTPChaos"} <= involved


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_incident(tmp_path):
    gt = GT_DIR / "Scenario-21.yaml"
    a = _digest(simulate(gt, tmp_path / "a", seed=7, scale=SMALL))
    b = _digest(simulate(gt, tmp_path / "b", seed=7, scale=SMALL))
    c = _digest(simulate(gt, tmp_path / "c", seed=8, scale=SMALL))
    assert a == b
    assert set(a) != set(c)  # other pod hashes, other alert times
    assert a["otel_traces_raw.tsv"] != c["otel_traces_raw.tsv"]


def test_files_parse_as_the_recorder_writes_them(all_scenarios):
    for name in ("Scenario-2", "Scenario-18", "Scenario-24", "Scenario-38"):
        folder = all_scenarios[name].folder
        for tsv in ("k8s_objects_raw.tsv", "k8s_events_raw.tsv", "otel_logs_raw.tsv", "otel_traces_raw.tsv"):
            rows = read_tsv(folder / tsv)
            assert rows, (name, tsv)
            for r in rows:
                assert None not in r, (name, tsv)  # no row has more fields than the header
                assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}", r["Timestamp"])
                for col in MAP_COLUMNS:
                    if col in r:
                        assert isinstance(ast.literal_eval(r[col]), dict), (tsv, col)
                for col in LIST_COLUMNS:
                    if col in r:
                        assert isinstance(ast.literal_eval(r[col]), list), (tsv, col)
                if tsv == "k8s_objects_raw.tsv":
                    body = json.loads(r["Body"])
                    assert {"apiVersion", "kind", "metadata"} <= set(body)
                    assert {"name", "uid", "resourceVersion", "creationTimestamp"} <= set(body["metadata"])
                    assert ast.literal_eval(r["LogAttributes"])["k8s.resource.name"].endswith("s")
                elif tsv == "k8s_events_raw.tsv":
                    body = json.loads(r["Body"])
                    assert body["type"] in ("ADDED", "MODIFIED") and body["object"]["kind"] == "Event"
                elif tsv == "otel_traces_raw.tsv":
                    assert int(r["Duration"]) > 0 and r["StatusCode"] in ("Unset", "Ok", "Error")
                    assert r["SpanKind"] in ("Server", "Client", "Internal", "Producer", "Consumer")
        assert any("\n" in r["Body"] for r in read_tsv(folder / "otel_logs_raw.tsv")) or name == "Scenario-38"
        for p in (folder / "metrics").iterdir():
            rows = read_tsv(p)
            assert rows, p
            for r in rows[:50]:
                float(r["value"])
                assert isinstance(ast.literal_eval(r["tags"]), dict)
            if p.name.startswith("service_"):
                assert {r["metric_type"] for r in rows} == {"duration_p95", "error_rate"}
        for p in (folder / "alerts").iterdir():
            alerts = json.loads(p.read_text())
            assert isinstance(alerts, list)
            for a in alerts:
                assert {"alertname", "severity"} <= set(a["labels"]) and a["state"] in ("pending", "firing")
                assert isinstance(a["value"], str) and a["activeAt"].endswith("Z")


def test_ground_truth_alerts_fire_on_their_entities(all_scenarios):
    for name, rep in all_scenarios.items():
        spec = spec_of(GT_DIR / f"{name}.yaml")
        fired = set()
        for p in (rep.folder / "alerts").iterdir():
            fired |= {a["labels"]["alertname"] for a in json.loads(p.read_text()) if a["state"] == "firing"}
        assert {a["id"] for a in spec.get("alerts", [])} <= fired, name
        first = json.loads(sorted((rep.folder / "alerts").iterdir())[0].read_text())
        assert all(a["labels"]["alertname"] == "RequestLatency" for a in first), name  # only noise before the fault


def _error_spans(folder: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in read_tsv(folder / "otel_traces_raw.tsv"):
        if r["StatusCode"] == "Error":
            counts[r["ServiceName"]] = counts.get(r["ServiceName"], 0) + 1
    return counts


@pytest.mark.parametrize("name,root,symptom", [("Scenario-30", "ad", "frontend"), ("Scenario-32", "ad", "frontend"),
                                               ("Scenario-20", "product-catalog", "frontend"),
                                               ("Scenario-34", "valkey-cart", "cart"), ("Scenario-7", "payment", "checkout")])
def test_symptoms_show_more_error_spans_than_the_root_cause(all_scenarios, name, root, symptom):
    counts = _error_spans(all_scenarios[name].folder)
    assert counts.get(symptom, 0) > counts.get(root, 0)
    assert max(counts.values()) > counts.get(root, 0)


def test_no_ground_truth_text_leaks(all_scenarios):
    for name, rep in all_scenarios.items():
        spec = spec_of(GT_DIR / f"{name}.yaml")
        made = {obj for _, _, obj in rep.root_objects.values()}
        needles = {"root_cause"}
        for g in spec["groups"]:
            if g["id"] not in made and re.search(r"-(\d+|service|pod|deployment|endpoint)(-\d+)?$", g["id"]):
                needles.add(g["id"])
        for p in spec.get("propagations", []):
            needles |= {p["condition"], p["effect"]}
        for a in spec.get("alerts", []):
            needles.add(a.get("metadata", {}).get("description", ""))
        for f in spec.get("fault", []):
            needles.add(f["condition"])
        needles = {n for n in needles if len(n) >= 12}
        for p in rep.folder.rglob("*"):
            if p.is_file() and p.name != "ground_truth.yaml":
                text = p.read_text()
                for n in needles:
                    if n in text and re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text):
                        pytest.fail(f"{name}: {n!r} leaks into {p.name}")


def test_flagd_configmap_changes_between_dumps(all_scenarios):
    rows = [json.loads(r["Body"]) for r in read_tsv(all_scenarios["Scenario-7"].folder / "k8s_objects_raw.tsv")]
    cms = [b for b in rows if b["kind"] == "ConfigMap" and b["metadata"]["name"] == "flagd-config"]
    variants = [json.loads(b["data"]["demo.flagd.json"])["flags"]["paymentFailure"]["defaultVariant"] for b in cms]
    assert variants[0] == "off" and variants[-1] == "on"
    assert len({b["metadata"]["resourceVersion"] for b in cms}) == 2


def test_simulator_imports_no_other_sre_agent_module():
    pkg = Path(__file__).resolve().parents[1] / "sre_agent" / "simulator"
    for py in pkg.rglob("*.py"):
        depth = len(py.relative_to(pkg).parts) - 1  # a sub-package may go up to the simulator, not beyond
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                if node.level > 1 + depth or (node.level == 0 and mod.startswith("sre_agent") and not mod.startswith("sre_agent.simulator")):
                    assert py.name == "cli.py" and mod == "sre_agent.errors", f"{py.name} imports {mod}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("sre_agent") or alias.name.startswith("sre_agent.simulator"), py.name
    code = ("import sys, sre_agent.simulator as s; s.simulate; "
            "print(sorted(m for m in sys.modules if m.startswith('sre_agent') and not m.startswith('sre_agent.simulator')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['sre_agent']"


def test_writer_quotes_like_pandas(tmp_path):
    p = tmp_path / "x.tsv"
    write_tsv(p, ("a", "b", "c"), [["plain", 'say "hi"', "line1\nline2\tx"], [1, None, "{'k': 'v'}"]])
    assert p.read_text() == 'a\tb\tc\nplain\t"say ""hi"""\t"line1\nline2\tx"\n1\t\t{\'k\': \'v\'}\n'


def test_cli_rejects_bad_input_with_exit_code_2(tmp_path, capsys):
    from sre_agent.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("just: a mapping\n")
    assert main(["simulate", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert main(["simulate", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "missing.yaml" in err
    assert main(["simulate", str(GT_DIR / "Scenario-5.yaml"), "--out", str(tmp_path / "o"), "--scale", "0.05"]) == 0
    assert (tmp_path / "o" / "Scenario-5" / "otel_traces_raw.tsv").is_file()


def folder_digest(folder: Path) -> str:
    """sha256 over every file of a scenario folder (relative path and bytes)."""
    h = hashlib.sha256()
    for p in sorted(x for x in folder.rglob("*") if x.is_file()):
        h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_normal_variant_of_the_29_is_byte_identical_to_the_recorded_digests(all_scenarios):
    """The normal variant never changes by accident (hard switches and new mechanisms must leave it alone).

    After an intended change of the simulator, regenerate tests/simulator_golden.json and say why in the commit.
    """
    golden = json.loads((Path(__file__).resolve().parent / "simulator_golden.json").read_text())
    assert golden["seed"] == 0 and golden["scale"] == SMALL
    assert {name: folder_digest(rep.folder) for name, rep in all_scenarios.items()} == golden["sha256"]
