"""Bad input at every CLI entry: one clear line on stderr, exit code 2, never a traceback.

Most cases call ``sre_agent.cli.main`` in this process (:func:`run_main`: the whole CLI but the
interpreter start-up); ``test_subprocess_*`` run ``python -m sre_agent`` for one case of each
command, so the process-level contract (exit status, stderr) is checked end to end too.

Huge inputs are sparse files (>= 100 MiB on disk in size, no blocks written); the readers must
refuse them by size before reading (each case finishes well under a second).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from robust_helpers import assert_input_error, run_cli, run_main, simulated
from data_paths import GROUND_TRUTHS

HUGE = 120 * 1024 * 1024


def _huge(path: Path, size: int = HUGE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)  # sparse: instant, and reading it would take seconds and 120 MiB
    return path


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    files = {
        "empty": b"",
        "truncated": b'[{"labels": {"alertname": "X"',
        "latin1": "[{\"labels\": {\"alertname\": \"caf\xe9\"}}]".encode("latin-1"),
        "utf16": json.dumps([{"labels": {"alertname": "X"}}]).encode("utf-16"),
        "binary": bytes(range(256)) * 4,
        "string": b'"an alert"',
        "number": b"42",
        "null": b"null",
        "list_of_numbers": b"[1, 2, 3]",
        "labels_not_object": b'[{"labels": "alertname=X"}]',
        "deep": b"[" * 100000 + b"]" * 100000,
        "bigint": b"[" + b"9" * 50000 + b"]",
        "error_api": b'{"status": "error", "errorType": "bad_data", "error": "boom", "data": null}',
        "wrong_object": b'{"kind": "Pod", "metadata": {}}',
    }
    out = {}
    for name, data in files.items():
        p = d / f"{name}.json"
        p.write_bytes(data)
        out[name] = p
    out["huge"] = _huge(d / "huge.json")
    out["folder"] = d / "empty_folder"
    out["folder"].mkdir()
    for name, text in {"yaml_broken": "model: [clean\n", "yaml_list": "- 1\n- 2\n", "yaml_wrong_type": "budgets:\n  max_turns: many\n",
                       "yaml_unknown_key": "budgets:\n  max_turnz: 3\n", "yaml_negative": "budgets:\n  max_tool_calls: -1\n",
                       "yaml_model_missing": "model: no-such-profile\n", "yaml_model_kind": "model: {kind: quantum}\n"}.items():
        p = d / f"{name}.yaml"
        p.write_text(text, encoding="utf-8")
        out[name] = p
    p = d / "yaml_binary.yaml"
    p.write_bytes(b"\xff\xfe\x00\x01garbage")
    out["yaml_binary"] = p
    out["yaml_huge"] = _huge(d / "huge.yaml")
    out["token"] = d / "token"
    out["token"].write_text("a-long-enough-token\n", encoding="utf-8")
    return out


ALERT_CASES = ["empty", "truncated", "latin1", "utf16", "binary", "string", "number", "null", "list_of_numbers",
               "labels_not_object", "deep", "bigint", "error_api", "wrong_object", "huge", "folder"]


@pytest.mark.parametrize("case", ALERT_CASES)
def test_triage_bad_alert(bad: dict[str, Path], case: str, tmp_path: Path) -> None:
    started = time.monotonic()
    proc = run_main("triage", "--alert", bad[case], "--output-dir", tmp_path / "out")
    line = assert_input_error(proc, "triage")
    assert str(bad[case].name) in line or case == "folder"
    if case == "huge":
        assert "larger than" in line
        assert time.monotonic() - started < 20


CONFIG_CASES = ["yaml_broken", "yaml_list", "yaml_wrong_type", "yaml_unknown_key", "yaml_negative",
                "yaml_model_missing", "yaml_model_kind", "yaml_binary", "yaml_huge", "empty_folder_as_config"]


@pytest.mark.parametrize("case", CONFIG_CASES)
def test_triage_bad_config(bad: dict[str, Path], case: str, tmp_path: Path) -> None:
    cfg = bad["folder"] if case == "empty_folder_as_config" else bad[case]
    proc = run_main("triage", "--alert", simulated() / "alerts", "--config", cfg, "--output-dir", tmp_path / "out")
    line = assert_input_error(proc)
    if case == "yaml_huge":
        assert "larger than" in line


@pytest.mark.parametrize("argv", [
    ["--model", "../../etc/passwd"], ["--model", ""], ["--fix", "gate"], ["--fix", "loop_breaker=maybe"],
    ["--fix", "nonsense=on"], ["--seed", "x"], ["--format", "xml"], ["--snapshot", "/nonexistent/folder"],
    ["--output-dir", "/dev/null/out"],
])
def test_triage_bad_options(argv: list[str], tmp_path: Path) -> None:
    args = ["triage", "--alert", simulated() / "alerts", *argv]
    if "--output-dir" not in argv:
        args += ["--output-dir", tmp_path / "out"]
    assert_input_error(run_main(*args))


def test_triage_snapshot_that_is_no_scenario(bad: dict[str, Path], tmp_path: Path) -> None:
    alert = tmp_path / "a.json"
    alert.write_text(json.dumps([{"labels": {"alertname": "X"}, "state": "firing"}]), encoding="utf-8")
    assert_input_error(run_main("triage", "--alert", alert, "--output-dir", tmp_path / "o"), "no snapshot")
    assert_input_error(run_main("triage", "--alert", alert, "--snapshot", bad["folder"], "--output-dir", tmp_path / "o"),
                       "not an ITBench-Lite scenario")
    assert_input_error(run_main("triage", "--alert", alert, "--snapshot", bad["empty"], "--output-dir", tmp_path / "o"),
                       "not a folder")


def test_eval_bad_input(bad: dict[str, Path], tmp_path: Path) -> None:
    assert_input_error(run_main("eval", "--scenarios", tmp_path / "none"), "no such folder")
    assert_input_error(run_main("eval", "--scenarios", bad["huge"]), "not a folder")
    assert_input_error(run_main("eval", "--scenarios", bad["folder"]), "no scenario folder")
    scen = simulated().parent
    assert_input_error(run_main("eval", "--scenarios", scen, "--jobs", "0"), "--jobs")
    assert_input_error(run_main("eval", "--scenarios", scen, "--seeds", "0"), "--seeds")
    assert_input_error(run_main("eval", "--scenarios", scen, "--seeds", "many"))
    assert_input_error(run_main("eval", "--scenarios", scen, "--config", bad["yaml_huge"]), "larger than")
    assert_input_error(run_main("eval", "--scenarios", scen, "--config", bad["yaml_wrong_type"]))
    assert_input_error(run_main("eval", "--scenarios", scen, "--model", "nope"), "not found")
    assert_input_error(run_main("eval", "--scenarios", scen, "--json", tmp_path / "no" / "dir" / "x.json"), "--json")


def test_ablate_bad_input(bad: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert "larger than" in assert_input_error(run_main("ablate", bad["yaml_huge"], "--out", out))
    for case in ("yaml_broken", "yaml_list", "yaml_binary", "yaml_wrong_type", "empty", "binary", "folder"):
        assert_input_error(run_main("ablate", bad[case], "--out", out), "ablation file")
    spec = tmp_path / "weird.yaml"
    spec.write_text("scenarios: 5\nprofiles: {a: 1}\nseeds: x\n", encoding="utf-8")
    assert_input_error(run_main("ablate", spec, "--out", out), "ablation file")
    assert_input_error(run_main("ablate", tmp_path / "missing.yaml", "--out", out), "no such file")
    assert_input_error(run_main("ablate", "smoke", "--out", out, "--jobs", "0"), "--jobs")
    assert_input_error(run_main("ablate", "smoke"))  # --out is required


def _run_dir(tmp: Path, name: str, data: bytes | None, huge: bool = False) -> Path:
    d = tmp / name
    d.mkdir()
    if huge:
        _huge(d / "trace.jsonl")
    elif data is not None:
        (d / "trace.jsonl").write_bytes(data)
    return d


@pytest.mark.parametrize("name,data", [
    ("empty", b""), ("truncated", b'{"seq": 0, "type": "run_start"}\n{"seq": 1, "ty'), ("binary", b"\xff\xfe\x00garbage\n"),
    ("not_event", b"[1, 2]\n"), ("no_seq", b'{"type": "run_start"}\n'), ("bool_seq", b'{"seq": true, "type": "run_start"}\n'),
    ("deep", b"[" * 100000 + b"\n"), ("huge", None), ("missing", None),
])
def test_mast_bad_trace(name: str, data: bytes | None, tmp_path: Path) -> None:
    d = _run_dir(tmp_path, name, data, huge=name == "huge")
    target = d if name != "missing" else d
    if name == "missing":
        (d / "sub").mkdir()
    line = assert_input_error(run_main("mast", target), "mast")
    if name == "huge":
        assert "larger than" in line


def test_mast_bad_options(tmp_path: Path) -> None:
    assert_input_error(run_main("mast", tmp_path / "nope"), "not a folder")
    assert_input_error(run_main("mast", "--judge", "oracle", tmp_path))
    d = _run_dir(tmp_path, "ok", b'{"seq": 0, "type": "run_start", "config": {}}\n')
    assert_input_error(run_main("mast", d, "--judge", "llm"), "openai")


def test_simulate_bad_input(bad: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    gt = tmp_path / "gt"
    gt.mkdir()
    cases = {
        "wrong_types.yaml": "groups: [{id: a, kind: Service}]\npropagations: 5\nfault: [{entity: 3}]\n",
        "filter_int.yaml": "groups: [{id: a, kind: Service, filter: 5}]\n",
        "no_groups.yaml": "spec: {groups: []}\n",
        "group_without_kind.yaml": "groups: [{id: a}]\n",
        "scalar.yaml": "42\n",
    }
    for name, text in cases.items():
        (gt / name).write_text(text, encoding="utf-8")
        assert_input_error(run_main("simulate", gt / name, "--out", out), name)
    for case in ("yaml_broken", "yaml_binary", "empty", "binary"):
        assert_input_error(run_main("simulate", bad[case], "--out", out))
    assert "larger than" in assert_input_error(run_main("simulate", bad["yaml_huge"], "--out", out))
    assert_input_error(run_main("simulate", tmp_path / "nope.yaml", "--out", out), "no such file")
    assert_input_error(run_main("simulate", "--out", out), "exactly one")
    assert_input_error(run_main("simulate", "--all", bad["empty"], "--out", out), "not a folder")
    assert_input_error(run_main("simulate", "--all", bad["folder"], "--out", out), "no *.yaml")
    real = GROUND_TRUTHS / "Scenario-2.yaml"
    assert_input_error(run_main("simulate", real, "--out", bad["empty"]), "not a folder")
    assert_input_error(run_main("simulate", real, "--out", out, "--scale", "-1"), "--scale")
    assert_input_error(run_main("simulate", real, "--out", out, "--seed", "x"))


def _live_yaml(tmp_path: Path) -> Path:
    (tmp_path / "live.yaml").write_text("prometheus: {url: 'http://127.0.0.1:1'}\n")
    return tmp_path / "live.yaml"


def _run_yaml(tmp_path: Path) -> Path:
    (tmp_path / "run.yaml").write_text("model: clean\nseed: 1\n")
    return tmp_path / "run.yaml"


@pytest.mark.parametrize("argv,expect", [
    (["--port", "70000"], "--port"), (["--port", "-5"], "--port"), (["--port", "http"], "--port"), ([], "--port"),
    (["--port", "0", "--live-config", "HUGE"], "larger than"), (["--port", "0", "--live-config", "BROKEN"], "live config"),
    (["--port", "0", "--live-config", "BINARY"], "live config"),
    (["--port", "0", "--live-config", "MISSING"], "no such file"),
    (["--port", "0", "--snapshot", "MISSING"], "not a folder"),
    (["--port", "0", "--snapshot", "SCENARIO", "--config", "WRONG"], "config"),
    (["--port", "0", "--snapshot", "SCENARIO", "--config", "LIVE"], "give it with --live-config"),
    (["--port", "0", "--live-config", "RUN", "--no-auth"], "give it with --config"),
    (["--port", "0", "--snapshot", "SCENARIO", "--config", "RUN", "--run-config", "RUN"], "give only --config"),
    (["--port", "0", "--snapshot", "SCENARIO", "--out", "FILE/sub"], "--out"),
    (["--port", "0", "--host", "256.1.1.1", "--snapshot", "SCENARIO", "--auth-token-file", "TOKEN"], "cannot listen"),
])
def test_serve_bad_port_or_config(bad: dict[str, Path], argv: list[str], expect: str, tmp_path: Path) -> None:
    subst = {"HUGE": str(bad["yaml_huge"]), "BROKEN": str(bad["yaml_broken"]), "BINARY": str(bad["yaml_binary"]),
             "MISSING": str(tmp_path / "missing"), "SCENARIO": str(simulated()), "WRONG": str(bad["yaml_wrong_type"]),
             "LIVE": str(_live_yaml(tmp_path)), "RUN": str(_run_yaml(tmp_path)),
             "FILE/sub": str(bad["empty"]) + "/sub", "TOKEN": str(bad["token"])}
    args = [subst.get(a, a) for a in argv]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "runs")]
    proc = run_main("serve", *args, )
    assert_input_error(proc, expect)


def test_serve_run_config_is_a_deprecated_alias_of_config(tmp_path: Path, capsys) -> None:
    from sre_agent.cli import build_parser
    from sre_agent.serve._options import check_settings

    args = build_parser().parse_args(["serve", "--port", "0", "--snapshot", str(simulated()), "--no-auth",
                                      "--out", str(tmp_path / "runs"), "--run-config", str(_run_yaml(tmp_path))])
    settings = check_settings(args)
    assert settings.run_config.seed == 1  # the file was read as the run configuration
    assert "--run-config is deprecated; use --config" in capsys.readouterr().err


def test_serve_port_in_use(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        proc = run_main("serve", "--port", port, "--snapshot", simulated(), "--out", tmp_path / "runs", "--no-auth")
    assert_input_error(proc, "cannot listen")


# -- the same contract through a real process, one case per command ----------------------------
def test_subprocess_every_command(bad: dict[str, Path], tmp_path: Path) -> None:
    started = time.monotonic()
    cases = [
        (["triage", "--alert", bad["huge"], "--output-dir", tmp_path / "o"], "larger than"),
        (["triage", "--alert", bad["latin1"], "--output-dir", tmp_path / "o"], "not UTF-8"),
        (["eval", "--scenarios", bad["folder"]], "no scenario folder"),
        (["mast", _run_dir(tmp_path, "huge", None, huge=True)], "larger than"),
        (["simulate", bad["yaml_huge"], "--out", tmp_path / "o"], "larger than"),
        (["serve", "--port", "70000"], "--port"),
        (["ablate", bad["yaml_huge"], "--out", tmp_path / "o"], "larger than"),
        (["serve", "--port", "0", "--live-config", bad["yaml_binary"], "--out", tmp_path / "runs"], "live config"),
    ]
    for argv, expect in cases:
        assert_input_error(run_cli(*argv, timeout=60), expect)
    assert time.monotonic() - started < 60  # refused by size: nothing near 120 MiB was read


def test_version_and_top_level_help() -> None:
    import tomllib

    from data_paths import PROJECT_ROOT

    declared = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    proc = run_cli("--version", timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"sre-agent {declared}", proc.stdout + proc.stderr
    helped = run_cli("--help", timeout=60)
    assert helped.returncode == 0
    assert "``" not in helped.stdout and "<command>" not in helped.stdout  # prose, not a raw docstring
    assert "root cause" in helped.stdout and "--version" in helped.stdout and "serve" in helped.stdout
