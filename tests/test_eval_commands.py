"""``sre-agent eval`` and ``sre-agent bench``: input errors, and one real offline run end to end."""

from __future__ import annotations

import json

import pytest

from fixtures_itbench import write_scenario
from sre_agent.cli import main

GT = "groups:\n- {id: co, kind: Deployment, namespace: otel-demo, filter: ['checkout-.*'], root_cause: true}\n"


@pytest.mark.parametrize("command", ["eval", "bench"])
def test_missing_and_empty_folders_are_input_errors(command, tmp_path, capsys):
    assert main([command, "--scenarios", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main([command, "--scenarios", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no scenario folder found" in err and len(err.strip().splitlines()) == 1
    assert main([command, "--scenarios", str(tmp_path), "--jobs", "0"]) == 2


def test_eval_bad_seeds_and_model(tmp_path, capsys):
    write_scenario(tmp_path / "sc")
    assert main(["eval", "--scenarios", str(tmp_path / "sc"), "--seeds", "0"]) == 2
    assert main(["eval", "--scenarios", str(tmp_path / "sc"), "--model", "no-such-profile"]) == 2
    assert "no-such-profile" in capsys.readouterr().err


def test_eval_and_bench_run_the_offline_agent(tmp_path, capsys):
    d = write_scenario(tmp_path / "sc")
    (d / "ground_truth.yaml").write_text(GT)
    out_json = tmp_path / "eval.json"
    rc = main(["eval", "--scenarios", str(tmp_path / "sc"), "--jobs", "1", "--out", str(tmp_path / "runs"),
               "--json", str(out_json), "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    data = json.loads(out_json.read_text())
    (run,) = data["runs"]
    assert run["ok"], run["error"]
    assert run["scored"] and 0.0 <= run["score"]["recall"] <= 1.0
    assert (tmp_path / "runs" / "Scenario-1" / "seed-0" / "agent_output.json").is_file()
    assert "recall" in capsys.readouterr().out

    bench_json = tmp_path / "bench.json"
    assert main(["bench", "--scenarios", str(tmp_path / "sc"), "--jobs", "1", "--out", str(tmp_path / "b"),
                 "--json", str(bench_json), "--no-progress"]) == 0
    b = json.loads(bench_json.read_text())
    assert b["runs"] == 1 and b["failed"] == 0
    assert b["median_triage_s"] > 0 and b["peak_rss_mib"] > 0 and b["max_context_tokens"] > 0
    assert set(b["pass"]) == {"median_triage_s", "suite_s", "max_context_tokens"}
    assert "median wall time per triage" in capsys.readouterr().out


def _bench_stderr(tmp_path, name: str, terminal: bool) -> str:
    """``sre-agent bench`` in a real process, its stderr a terminal (a pty) or a file."""
    import os
    import pty
    import subprocess
    import sys

    from data_paths import PROJECT_ROOT

    argv = [sys.executable, "-m", "sre_agent", "bench", "--scenarios", str(tmp_path / "sc"), "--jobs", "1",
            "--out", str(tmp_path / name)]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "COLUMNS": "120"}
    if not terminal:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
        assert proc.returncode == 0, proc.stderr
        return proc.stderr
    import fcntl
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # a 120-column terminal
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the pty closed: the process is done
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(300) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_bench_labels_its_progress_bar_bench_and_draws_none_into_a_log(tmp_path):
    d = write_scenario(tmp_path / "sc")
    (d / "ground_truth.yaml").write_text(GT)
    on_terminal = _bench_stderr(tmp_path, "t", terminal=True)
    assert "bench: 100%" in on_terminal and "eval:" not in on_terminal
    in_a_log = _bench_stderr(tmp_path, "f", terminal=False)
    assert "bench:" not in in_a_log and "%|" not in in_a_log  # stderr is a file: no progress bar at all
