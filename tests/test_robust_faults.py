"""Faults mid-run: a backend that times out, answers 500s, or returns garbage for part of the run.

The run completes, the report and agent_output name the evidence that is missing, and retries
are bounded.  Missing or corrupt snapshot files are reported per file (``problems()``); the
per-file cases are in ``test_robust_fuzz.py::test_missing_and_corrupt_files_reported_per_file``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from robust_helpers import FaultyBackend, copy_scenario, simulated
from sre_agent.config import load_config
from sre_agent.runner import run_triage
from sre_agent.snapshot import SnapshotBackend


def _triage(backend: Any, out: Path, **budgets: Any) -> Any:
    config = load_config()
    if budgets:
        config = config.model_copy(update={"budgets": config.budgets.model_copy(update=budgets)})
    folder = simulated()
    from sre_agent.alerts import load_alert_input
    alerts = list(load_alert_input(folder / "alerts").alerts)
    return run_triage(alerts=alerts, backend=backend, output_dir=out, config=config)


@pytest.mark.parametrize("mode", ["timeout", "http500", "garbage"])
@pytest.mark.parametrize("every,start", [(3, 0), (2, 10), (1, 25)])
def test_backend_faults_for_part_of_the_run(mode: str, every: int, start: int, tmp_path: Path) -> None:
    backend = FaultyBackend(SnapshotBackend(simulated()), mode, every=every, start=start)
    result = _triage(backend, tmp_path / "out")
    out = result.agent_output
    assert backend.faults > 0, "no fault was injected"
    events = [json.loads(x) for x in (tmp_path / "out" / "trace.jsonl").read_text().splitlines()]
    assert events[-1]["type"] == "run_end"
    failed = [e for e in events if e["type"] == "tool_result" and not e["ok"] and "BLOCKED" not in (e.get("error") or "")]
    if failed:  # a tool met the fault: its source is named as missing evidence
        assert out["missing_sources"], out
        assert "Missing evidence" in result.report_md
        for e in failed:
            assert "\n" not in e["error"] and len(e["error"]) < 400
    if not out["entities"] or not any(e["contributing_factor"] for e in out["entities"]):
        assert out["incomplete"] is True and out["incomplete_reason"]
    for name in ("agent_output.json", "report.md", "trace.jsonl", "stats.json"):
        assert (tmp_path / "out" / name).is_file()


def test_backend_dead_from_the_start(tmp_path: Path) -> None:
    """Every data call fails: an incomplete diagnosis naming every source, not a crash."""
    backend = FaultyBackend(SnapshotBackend(simulated()), "http500", every=1)
    result = _triage(backend, tmp_path / "out")
    out = result.agent_output
    assert out["incomplete"] is True
    assert not any(e["contributing_factor"] for e in out["entities"])
    assert {"traces", "kubernetes"} <= set(out["missing_sources"]), out["missing_sources"]


def test_slow_backend_ends_at_the_wall_clock_budget(tmp_path: Path) -> None:
    backend = FaultyBackend(SnapshotBackend(simulated()), "timeout", every=1, delay=0.3)
    started = time.monotonic()
    result = _triage(backend, tmp_path / "out", max_wall_seconds=1.0)
    assert time.monotonic() - started < 30
    assert result.agent_output["incomplete"] is True


def test_snapshot_missing_and_corrupt_files_in_a_run(tmp_path: Path) -> None:
    folder = copy_scenario(simulated(), tmp_path / "s")
    (folder / "otel_traces_raw.tsv").unlink()
    (folder / "otel_logs_raw.tsv").write_bytes(b"\x00\xff not a tsv\n\"\n")
    metric = sorted((folder / "metrics").glob("service_*"))[0]
    metric.write_text("metric_name\ttimestamp\tvalue\nx\tnot-a-time\tNaN?\n", encoding="utf-8")
    backend = SnapshotBackend(folder)
    result = run_triage(alert=folder / "alerts", backend=backend, output_dir=tmp_path / "out", config=load_config())
    backend.logs()
    backend.metric_names()  # sources the run did not need are still reported once read
    problems = {p.source: p.problem for p in backend.problems()}
    assert problems["otel_traces_raw.tsv"] == "file missing"
    assert "malformed" in problems["otel_logs_raw.tsv"] or "missing required" in problems["otel_logs_raw.tsv"]
    assert str(metric.relative_to(folder)) in problems
    assert result.agent_output["incomplete"] is True or result.agent_output["entities"]
    assert "otel_traces_raw.tsv" in result.agent_output["missing_sources"]
    assert "Missing evidence" in result.report_md


# -- live sources: bounded retries against a server that fails -----------------------------------
class _Flaky(BaseHTTPRequestHandler):
    hits = 0
    mode = "500"

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits += 1
        if self.mode == "slow":
            time.sleep(1.0)
        if self.mode == "garbage":
            body = b"<html>not json"
            self.send_response(200)
        else:
            body = b"internal error"
            self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize("mode", ["500", "slow", "garbage"])
def test_retries_are_bounded(mode: str) -> None:
    from sre_agent.backends._retry import BackendRequestError, RetryPolicy, get_json, plain_session
    from sre_agent.backends.base import BackendUnavailable

    handler = type("H", (_Flaky,), {"hits": 0, "mode": mode})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        policy = RetryPolicy(timeout=0.3, attempts=3, backoff_initial=0.01, backoff_max=0.02, jitter=0.0, deadline=5.0)
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/query"
        started = time.monotonic()
        with pytest.raises((BackendUnavailable, BackendRequestError)) as info:
            policy.call("prometheus", get_json, plain_session(), url, timeout=policy.timeout)
        assert time.monotonic() - started < 5
        assert "\n" not in str(info.value)
        assert handler.hits <= 3
        if mode == "garbage":
            assert handler.hits == 1  # a non-JSON answer is not retried
    finally:
        server.shutdown()
        server.server_close()
