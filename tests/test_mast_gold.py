"""The MAST gold-set tooling: rendering for labellers (nothing hidden leaks), build, and the κ /
F1 tables recomputed on a tiny hand-labelled gold set with known values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mast_traces import build as build_trace
from sre_agent.mast import MODE_IDS
from sre_agent.mast.gold.__main__ import main as gold_main
from sre_agent.mast.gold import build, gold_report, kappa, load_manifest, render_for_reading, render_markdown, wilson, write_labels

SECRETS = ("SECRET-INJECTION", "SECRET-FIX", "faulty-profile-x", "SECRET-DETECTOR")


def _events_with_secrets() -> list[dict]:
    events = build_trace("3.3")
    events[0]["config"].update(model="faulty-profile-x", failure_rates={"3.3": 0.8})
    events.insert(1, {"seq": 100, "type": "injected_failure", "mast": "3.3", "profile": "faulty-profile-x",
                      "what": "SECRET-INJECTION", "turn": 0})
    events.insert(2, {"seq": 101, "type": "fix", "fix": "verification_gate", "mast": ["3.3"], "action": "SECRET-FIX",
                      "target": "x", "turn": 0})
    return events


def test_rendering_shows_every_observable_step_and_nothing_hidden() -> None:
    text = render_for_reading(_events_with_secrets())
    for secret in SECRETS:
        assert secret not in text
    assert "injected_failure" not in text.lower() and "verification_gate" not in text
    for shown in ("planner PLAN action=", "investigator calls search_logs(service=cart)", "-> ok:",
                  "VERDICT by verifier: otel-demo/Deployment/cart -> confirmed", "check upstream_of_alerts: FAILED",
                  "STATE UPDATE", "FINAL DIAGNOSIS entities: otel-demo/Deployment/cart", "incomplete=False",
                  "RUN END: stop_reason=explained", "== turn 1 =="):
        assert shown in text, shown
    assert text.index("== turn 1 ==") < text.index("RUN END")


def test_a_mode_the_run_assigned_itself_is_shown_to_neither_labeller_nor_judge() -> None:
    """An unusable_answer event carries ``mast: "1.1"``: a label hint, never rendered."""
    from sre_agent.mast._llm_judge import render_trace

    events = _events_with_secrets()
    events.insert(3, {"seq": 102, "type": "unusable_answer", "agent": "planner", "mast": "1.1", "kind": "format",
                      "reason": "no PLAN marker", "excerpt": "I'm glad to help", "turn": 1})
    for text in (render_for_reading(events), render_trace(events)):
        assert "no PLAN marker" in text and "1.1" not in text and "mast" not in text.lower()


def _run_dir(root: Path, name: str, events: list[dict]) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "trace.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    (d / "mast.json").write_text(json.dumps({"3.3": 1, "notes": {"3.3": "SECRET-DETECTOR"}}))
    return d


def _row(tid: str, who: str, pos: dict[str, str], done: bool = True, why: str = "") -> dict:
    return {"id": tid, "labeller": who, "labels": {m: int(m in pos) for m in MODE_IDS}, "task_completion": done,
            "reasons": pos, "adjudication": why}


@pytest.fixture()
def gold(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    runs = tmp_path / "runs"
    for name, fault in (("t1", None), ("t2", "1.3"), ("t3", "3.2"), ("t4", "3.3")):
        _run_dir(runs, name, build_trace(fault) if name != "t4" else _events_with_secrets())
    out = tmp_path / "gold"
    build([runs], out, stratum="crafted")
    ids = {Path(e["source"]).name: tid for tid, e in load_manifest(out).items()}
    t1, t2, t3, t4 = (ids[n] for n in ("t1", "t2", "t3", "t4"))
    r = "reason"
    write_labels(out / "labels" / "pass-a.jsonl", [_row(t1, "A", {}), _row(t2, "A", {"1.3": r}),
                                                   _row(t3, "A", {"3.2": r}, False), _row(t4, "A", {"3.3": r}, False)])
    write_labels(out / "labels" / "pass-b.jsonl", [_row(t1, "B", {}), _row(t2, "B", {"1.3": r}),
                                                   _row(t3, "B", {}, False), _row(t4, "B", {"3.3": r, "3.2": r}, False)])
    write_labels(out / "labels" / "adjudicated.jsonl", [
        _row(t1, "gold", {}), _row(t2, "gold", {"1.3": r, "1.5": r}), _row(t3, "gold", {"3.2": r}, False, "3.2: R3 - A is right"),
        _row(t4, "gold", {"3.3": r}, False, "3.2: R4 - the check ran, it was wrong")])
    return out, ids


def test_build_writes_traces_rendered_text_and_a_manifest_with_strata(gold) -> None:
    out, ids = gold
    manifest = load_manifest(out)
    assert len(manifest) == 4 and {e["stratum"] for e in manifest.values()} == {"crafted"}
    assert manifest[ids["t4"]]["injected"] == ["3.3"] and manifest[ids["t4"]]["model"] == "faulty-profile-x"
    rendered = (out / "rendered" / f"{ids['t4']}.txt").read_text()
    assert not any(s in rendered for s in SECRETS)
    build([out.parent / "runs"], out, stratum="crafted")  # idempotent: same ids
    assert len(load_manifest(out)) == 4


def test_kappa_and_detector_tables_are_recomputed(gold) -> None:
    out, _ = gold
    rep = gold_report(out)
    ag = {r["mode"]: r for r in rep["agreement"]["rows"]}
    assert ag["1.3"]["kappa"] == pytest.approx(1.0) and ag["3.3"]["kappa"] == pytest.approx(1.0)
    # 3.2: A = [0,0,1,0], B = [0,0,0,1]: po 0.5, pe 0.625 -> κ = -1/3
    assert ag["3.2"]["kappa"] == pytest.approx(-1 / 3) and (ag["3.2"]["pos_a"], ag["3.2"]["pos_b"]) == (1, 1)
    assert ag["1.1"]["kappa"] is None and ag["task_completion"]["kappa"] == pytest.approx(1.0)
    assert rep["adjudication_problems"] == []
    det = {r["mode"]: r for r in rep["detector_vs_gold"]["rows"]}
    assert (det["1.3"]["tp"], det["1.3"]["f1"]) == (1, 1.0)
    assert det["1.3"]["recall_ci"] == pytest.approx(wilson(1, 1)) and det["1.3"]["recall_ci"][0] == pytest.approx(0.2065, abs=1e-3)
    assert (det["1.5"]["positives"], det["1.5"]["fn"], det["1.5"]["recall"], det["1.5"]["f1"]) == (1, 1, 0.0, 0.0)
    assert det["3.2"]["f1"] == 1.0 and det["3.3"]["f1"] == 1.0 and det["3.3"]["meets_target"] is None
    # task completion: gold completes t1, t2; the detector also completes t4 (its cart confirmation
    # carries a tool-backed check; the wrong verdict is 3.3, not an incomplete run)
    tc = det["task_completion"]
    assert (tc["positives"], tc["tp"], tc["fp"], tc["fn"], tc["tn"]) == (2, 2, 1, 0, 1)
    inj = {r["mode"]: r for r in rep["detector_vs_injections"]["rows"]}
    assert inj["3.3"]["tp"] == 1 and inj["3.3"]["prevented"] == 1
    md = render_markdown(rep)
    assert "| 3.2 | No or Incomplete Verification | 1 | 1 | 2/4 | -0.333 |" in md


def test_an_unexplained_disagreement_and_a_positive_without_reason_are_reported(gold, tmp_path: Path) -> None:
    out, ids = gold
    rows = [json.loads(x) for x in (out / "labels" / "adjudicated.jsonl").read_text().splitlines()]
    for row in rows:
        row["adjudication"] = ""
    write_labels(out / "labels" / "adjudicated.jsonl", rows)
    assert len(gold_report(out)["adjudication_problems"]) == 2
    next(r for r in rows if any(r["labels"].values()))["reasons"] = {}
    (out / "labels" / "adjudicated.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cli = subprocess.run([sys.executable, "-m", "sre_agent.mast.gold", "report", str(out)], capture_output=True, text=True)
    assert cli.returncode == 2 and "no reason for positive mode" in cli.stderr and "Traceback" not in cli.stderr
    empty = subprocess.run([sys.executable, "-m", "sre_agent.mast.gold", "report", str(tmp_path / "none")],
                           capture_output=True, text=True)
    assert empty.returncode == 2 and len(empty.stderr.strip().splitlines()) == 1


def test_kappa_matches_the_textbook_formula() -> None:
    assert kappa([1, 1, 0, 0, 0, 0], [1, 0, 0, 0, 0, 1]) == pytest.approx((4 / 6 - (2 / 6 * 2 / 6 + 4 / 6 * 4 / 6)) / (1 - 5 / 9))


def test_the_definitions_doc_restates_definitions_py() -> None:
    from data_paths import PROJECT_ROOT
    from sre_agent.mast import MODES

    doc = (PROJECT_ROOT / "docs" / "mast-definitions.md").read_text()
    for m in MODES.values():
        assert f"**{m.id} {m.name}.** {m.definition}" in doc, m.id
    protocol = (PROJECT_ROOT / "sre_agent" / "mast" / "gold" / "PROTOCOL.md").read_text()
    for must in ("docs/mast-definitions.md", "rendered/", "pass-a.jsonl", "pass-b.jsonl", "adjudicated.jsonl",
                 "never", "stratum"):
        assert must in protocol, must


def test_the_subsets_split_traces_by_the_first_hex_digit_of_their_id(gold) -> None:
    out, _ = gold
    ids = sorted(load_manifest(out))
    tune = [i for i in ids if i[0] in "01234567"]
    held = [i for i in ids if i[0] not in "01234567"]
    reps = {s: gold_report(out, s) for s in ("all", "tune", "held-out")}
    assert reps["all"]["traces"] == 4
    assert (reps["tune"]["traces"], reps["held-out"]["traces"]) == (len(tune), len(held))
    for s in ("tune", "held-out"):
        rows = reps[s]["detector_vs_gold"]
        assert rows is None or rows["traces"] == reps[s]["traces"]
    cli = subprocess.run([sys.executable, "-m", "sre_agent.mast.gold", "report", str(out), "--subset", "tune"],
                         capture_output=True, text=True)
    assert cli.returncode == 0 and f"{len(tune)} traces (tune half)" in cli.stdout
    bad = subprocess.run([sys.executable, "-m", "sre_agent.mast.gold", "report", str(out), "--subset", "half"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def _judge_config(folder: Path, base_url: str, key_env: str = "") -> Path:
    """A run config whose model profile points the LLM judge at ``base_url`` (no retries)."""
    cfg = folder / "judge.yaml"
    cfg.write_text(f"""model:
  kind: openai
  openai:
    model: judge
    base_url: {base_url}
    api_key_env: "{key_env}"
    timeout_seconds: 120
    max_retries: 0
    model_info: {{vision: false, function_calling: false, json_output: false, structured_output: false, family: unknown}}
""", encoding="utf-8")
    return cfg


def test_judge_over_a_failing_endpoint_leaves_traces_undetermined_and_goes_on(gold, tmp_path: Path, capsys,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Every judge call answered 5xx: exit 0, one judge line per trace, every mode undetermined
    (never defaulted to 0) with the error as the reason, and the report still prints."""
    from sre_agent.modelserver import FaultPlan, ModelServer

    out, ids = gold
    with ModelServer(faults=FaultPlan(rates={"5xx": 1.0})) as server:
        cfg = _judge_config(tmp_path, server.base_url, "SRE_AGENT_GOLD_TEST_KEY")
        monkeypatch.setenv("SRE_AGENT_GOLD_TEST_KEY", "x")
        code = gold_main(["judge", str(out), "--config", str(cfg), "--max-trace-chars", "4000"])
        served = server.served_faults.get("5xx", 0)
    assert code == 0
    assert 1 <= served <= len(ids)  # on a loaded machine a call may time out before the server answers
    rows = [json.loads(x) for x in (out / "labels" / "judge.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(ids.values())
    assert all(set(r["labels"].values()) == {None} and "judge call failed" in r["reasons"]["error"] for r in rows)
    rep = gold_report(out)
    assert rep["judge_vs_gold"] is not None
    capsys.readouterr()
    assert gold_main(["judge", str(out), "--config", str(cfg), "--max-trace-chars", "10"]) == 2
    ours = [x for x in capsys.readouterr().err.splitlines() if x.startswith("mast.gold:")]  # (not the stopped server's noise)
    assert len(ours) == 1 and "--max-trace-chars 10" in ours[0]


def test_judge_resume_keeps_what_is_judged_and_asks_only_for_the_rest(gold, tmp_path: Path) -> None:
    """--resume: rows already in labels/judge.jsonl stay as they are; only the missing traces are
    sent to the endpoint (every call 5xx here, so the new rows are undetermined)."""
    from sre_agent.modelserver import FaultPlan, ModelServer

    out, ids = gold
    keep = ids["t1"]
    write_labels(out / "labels" / "judge.jsonl", [_row(keep, "llm-judge", {"1.3": "kept"})])
    with ModelServer(faults=FaultPlan(rates={"5xx": 1.0})) as server:
        cfg = _judge_config(tmp_path, server.base_url)
        code = gold_main(["judge", str(out), "--config", str(cfg), "--resume"])
        served = server.served_faults.get("5xx", 0)
    assert code == 0
    assert served <= len(ids) - 1
    rows = {r["id"]: r for r in map(json.loads, (out / "labels" / "judge.jsonl").read_text().splitlines())}
    assert set(rows) == set(ids.values()) and rows[keep]["labels"]["1.3"] == 1 and rows[keep]["reasons"]["1.3"] == "kept"


def test_judge_subset_asks_only_for_that_half(gold, tmp_path: Path) -> None:
    from sre_agent.modelserver import FaultPlan, ModelServer

    out, ids = gold
    with ModelServer(faults=FaultPlan(rates={"5xx": 1.0})) as server:
        cfg = _judge_config(tmp_path, server.base_url)
        assert gold_main(["judge", str(out), "--config", str(cfg), "--subset", "held-out"]) == 0
    got = {r["id"] for r in map(json.loads, (out / "labels" / "judge.jsonl").read_text().splitlines())}
    assert got == {t for t in ids.values() if t[0] in "89abcdef"}
