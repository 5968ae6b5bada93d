"""annotate_run / mast.json shape, the `mast` command, and validate() numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mast_traces import build
from sre_agent.cli import main
from sre_agent.errors import InputError
from sre_agent.mast import MODE_IDS, annotate_run
from sre_agent.mast import validate as validate_mod
from sre_agent.mast.validate import validate


def write_run(folder: Path, events: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trace.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return folder


def test_mast_json_shape(tmp_path: Path) -> None:
    run = write_run(tmp_path / "r1", build("3.3"))
    ann = annotate_run(run)
    doc = json.loads((run / "mast.json").read_text())
    assert [k for k in doc if k in MODE_IDS] == list(MODE_IDS)
    assert set(doc) == set(MODE_IDS) | {"evidence", "notes", "task_completion", "taxonomy", "annotator"}
    assert doc["3.3"] == 1 and doc["1.3"] == 0 and doc["2.2"] is None
    assert doc["taxonomy"] == "mast-v3-paper-names" and doc["annotator"] == "structural"
    assert doc["evidence"] == {"3.3": ann.evidence["3.3"]} and doc["task_completion"] is True


def test_annotate_run_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="trace.jsonl: no such file"):
        annotate_run(tmp_path)
    (tmp_path / "trace.jsonl").write_text('{"seq": 0, "type": "run_start"}\n{oops\n')
    with pytest.raises(InputError, match=r"trace.jsonl: line 2 is not JSON"):
        annotate_run(tmp_path)


def test_cli_table_and_nested_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_run(tmp_path / "batch" / "a", build("1.3"))
    write_run(tmp_path / "batch" / "b", build(None))
    assert main(["mast", str(tmp_path / "batch")]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert [r.split("│")[1].strip() for r in rows] == ["a", "b", "runs with mode"]
    assert rows[0].split("│")[4].strip() == "1" and rows[1].split("│")[4].strip() == "0"  # column 1.3
    assert (tmp_path / "batch" / "a" / "mast.json").is_file() and (tmp_path / "batch" / "b" / "mast.json").is_file()
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    assert [h.strip() for h in header.strip("┃").split("┃")] == ["run", *MODE_IDS, "done"]  # no header cut short
    assert "…" not in header


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "r", build("2.6"))
    assert main(["mast", str(run), "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert len(docs) == 1 and docs[0]["2.6"] == 1 and docs[0]["run"] == str(run)


@pytest.mark.parametrize("content, message", [
    (None, "no trace.jsonl"),
    ('{"seq": 0, "type": "run_start"}\nnot json\n', "line 2 is not JSON"),
])
def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          content: str | None, message: str) -> None:
    run = tmp_path / "r"
    run.mkdir()
    if content is not None:
        (run / "trace.jsonl").write_text(content)
    assert main(["mast", str(run)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and str(run) in err


def test_cli_llm_judge_needs_an_endpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "r", build(None))
    assert main(["mast", str(run), "--judge", "llm"]) == 2
    assert "kind 'openai'" in capsys.readouterr().err


def _with_truth(events: list[dict], *modes: str, fixed: tuple[str, ...] = ()) -> list[dict]:
    extra = [{"seq": 1000 + i, "type": "injected_failure", "mast": m, "profile": "p", "what": "w"}
             for i, m in enumerate(modes)]
    extra += [{"seq": 2000, "type": "fix", "fix": "loop_breaker", "mast": list(fixed), "target": "t", "action": "a"}] if fixed else []
    return events + extra


def test_validate_numbers() -> None:
    runs = [
        _with_truth(build("1.3", inject=False), "1.3"),  # TP for 1.3
        build("1.3", inject=False),                      # FP for 1.3
        _with_truth(build(None), "1.3"),                 # FN for 1.3
        build(None),                                     # TN
        _with_truth(build(None), "1.3", fixed=("1.3",)), # FN, but prevented by a fix
        _with_truth(build("2.3", inject=False), "2.3"),  # TP for 2.3, TN for 1.3
    ]
    table = validate(runs)
    r = table.row("1.3")
    assert (r.tp, r.fp, r.fn, r.tn, r.prevented) == (1, 1, 2, 2, 1)
    assert r.precision == 0.5 and r.recall == pytest.approx(1 / 3) and r.f1 == pytest.approx(0.4)
    assert table.row("2.3").f1 == 1.0 and table.row("2.3").fp == 0
    assert table.row("2.2").undetermined == 6 and table.row("2.2").precision is None
    skipped = validate(runs, skip_prevented=True).row("1.3")
    assert (skipped.tp, skipped.fn, skipped.prevented) == (1, 1, 1)
    text = table.render()
    assert "1.3" in text and "Step Repetition" in text and "0.500" in text


def test_validate_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_run(tmp_path / "x" / "r1", _with_truth(build("3.2", inject=False), "3.2"))
    assert validate_mod.main([str(tmp_path / "x")]) == 0
    assert "over 1 run" in capsys.readouterr().out
    assert validate_mod.main([str(tmp_path / "nothing")]) == 2


def test_llm_judge_from_openai_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sre_agent.commands.mast import make_annotator
    from sre_agent.mast import LLMJudgeAnnotator

    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("model:\n  kind: openai\n  openai:\n    model: gpt-4o-mini\n"
                   "    base_url: http://127.0.0.1:9/v1\n    api_key_env: MAST_TEST_KEY\n")
    monkeypatch.delenv("MAST_TEST_KEY", raising=False)
    with pytest.raises(InputError, match="MAST_TEST_KEY"):
        make_annotator("llm", cfg)
    monkeypatch.setenv("MAST_TEST_KEY", "not-a-real-key")
    assert isinstance(make_annotator("llm", cfg), LLMJudgeAnnotator)


def test_event_without_seq_is_input_error(tmp_path: Path) -> None:
    (tmp_path / "trace.jsonl").write_text('{"type": "run_start"}\n')
    with pytest.raises(InputError, match="event 1 .run_start. has no integer seq"):
        annotate_run(tmp_path)
