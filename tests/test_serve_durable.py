"""The durable queue through a real ``python -m sre_agent serve`` process: a webhook answered 202
is on disk first, so SIGKILL loses nothing; SIGTERM finishes or re-queues the running triage."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from robust_helpers import simulated
from serve_helpers import ServeProcess, session, webhook


def _states(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as c:
        return dict(c.execute("SELECT id, state FROM jobs"))


def _wait_done(url: str, n: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    with session() as s:
        while time.monotonic() < deadline:
            health = s.get(url + "/healthz", timeout=5).json()
            if health["done"] + health["failed"] >= n and not health["running"] and not health["queued"]:
                return health
            time.sleep(0.2)
    raise AssertionError(f"{n} jobs not finished within {timeout} s: {health}")


@pytest.fixture
def serve_args(tmp_path: Path) -> list:
    return ["--snapshot", simulated(), "--out", tmp_path / "runs", "--queue-db", tmp_path / "q" / "queue.sqlite3",
            "--no-auth"]


def test_sigkill_right_after_three_202s_loses_nothing(tmp_path: Path, serve_args: list) -> None:
    db = tmp_path / "q" / "queue.sqlite3"
    first = ServeProcess(*serve_args, log=tmp_path / "first.log")
    try:
        first.wait_up()
        with session() as s:
            answers = [s.post(first.url + "/", json=webhook(["cart", "frontend"], group=f"g{i}"), timeout=10)
                       for i in range(3)]
        first.signal(signal.SIGKILL)
        assert first.wait() == -signal.SIGKILL
    finally:
        first.stop()
    assert [a.status_code for a in answers] == [202, 202, 202]
    ids = [a.json()["id"] for a in answers]
    left = _states(db)
    assert set(left) == set(ids)  # every 202 was on disk before it was sent
    assert sum(state == "done" for state in left.values()) < 3, left  # the kill came before the work was done

    second = ServeProcess(*serve_args, log=tmp_path / "second.log")
    try:
        second.wait_up()
        health = _wait_done(second.url, 3)
        second.signal(signal.SIGTERM)
        assert second.wait() == 0
    finally:
        second.stop()
    assert health["done"] == 3 and health["failed"] == 0
    assert set(_states(db).values()) == {"done"}
    for job_id in ids:
        folder = tmp_path / "runs" / job_id
        assert json.loads((folder / "status.json").read_text())["state"] == "done"
        assert json.loads((folder / "agent_output.json").read_text())["entities"]
    assert "resumed" in (tmp_path / "second.log").read_text()


@pytest.mark.parametrize("grace, expect", [("0", "queued"), ("60", "done")])
def test_sigterm_finishes_or_requeues_the_running_triage(tmp_path: Path, serve_args: list, grace: str,
                                                         expect: str) -> None:
    db = tmp_path / "q" / "queue.sqlite3"
    proc = ServeProcess(*serve_args, "--shutdown-grace", grace, log=tmp_path / "serve.log")
    try:
        proc.wait_up()
        with session() as s:
            job = s.post(proc.url + "/", json=webhook(["cart"]), timeout=10).json()["id"]
            deadline = time.monotonic() + 30
            while not s.get(proc.url + "/healthz", timeout=5).json()["running"]:
                assert time.monotonic() < deadline, "the triage never started"
                time.sleep(0.02)
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0
    finally:
        proc.stop()
    assert _states(db) == {job: expect}
    log = (tmp_path / "serve.log").read_text()
    assert ("put back in the queue" in log) == (expect == "queued"), log
    if expect == "queued":  # the next start finishes it
        again = ServeProcess(*serve_args, log=tmp_path / "again.log")
        try:
            again.wait_up()
            _wait_done(again.url, 1)
        finally:
            again.signal(signal.SIGTERM)
            again.stop()
        assert _states(db) == {job: "done"}


def test_a_second_serve_on_the_same_queue_is_refused(tmp_path: Path, serve_args: list) -> None:
    first = ServeProcess(*serve_args, log=tmp_path / "first.log")
    try:
        first.wait_up()
        second = ServeProcess(*serve_args, log=tmp_path / "second.log")
        assert second.wait(60) == 2
        lines = (tmp_path / "second.log").read_text().strip().splitlines()
        assert len(lines) == 1 and "in use by another serve process" in lines[0]
    finally:
        first.signal(signal.SIGTERM)
        first.stop()


@pytest.mark.slow
def test_the_load_benchmark_runs_and_loses_nothing() -> None:
    """A small run of eval/bench_serve.py (the full one: 1,000 webhooks, see the README)."""
    import subprocess
    import sys

    from data_paths import PROJECT_ROOT

    proc = subprocess.run([sys.executable, "-m", "sre_agent.eval.bench_serve", "--webhooks", "60", "--senders", "6",
                           "--groups", "2"], capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines()[1:] if line.strip()}
    assert (lines["answered"], lines["accepted"], lines["triaged"], lines["lost"]) == ("60", "4", "4", "0")
    assert int(lines["deduplicated"]) == 56
