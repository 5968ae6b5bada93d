"""The bigger-model recipe (benchmarks/real_model_ablation.py, issue 23) against the project's
offline-backed OpenAI-compatible server at concurrency 4: six scenarios (normal and hard), all
fixes off and on, one table row per setting; a second sweep is answered from the disk cache."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from data_paths import PROJECT_ROOT
from sre_agent.modelserver import ModelServer

pytestmark = [pytest.mark.slow]


def _script():
    spec = importlib.util.spec_from_file_location("real_model_ablation", PROJECT_ROOT / "benchmarks" / "real_model_ablation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_recipe_runs_the_ablation_against_an_endpoint_and_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    script = _script()
    monkeypatch.setenv("SRE_AGENT_LOCK_DIR", str(tmp_path / "locks"))
    args = ["--model", "offline", "--name", "served", "--jobs", "4", "--max-wall", "120", "--cache", str(tmp_path / "cache")]
    with ModelServer() as server:
        assert script.main(["--base-url", server.base_url, *args, "--out", str(tmp_path / "big")]) == 0
        first = server.requests
        rows = script.run_rows(tmp_path / "big" / "ablation")
        # a fresh folder (no runs to reuse), the same response cache
        assert script.main(["--base-url", server.base_url, *args, "--out", str(tmp_path / "again")]) == 0
        again = server.requests - first
    assert first > 0 and again == 0  # the second sweep asked the endpoint nothing
    assert [(r["scenario"], r["setting"], r["recall"]) for r in script.run_rows(tmp_path / "again" / "ablation")] \
        == [(r["scenario"], r["setting"], r["recall"]) for r in rows]
    assert sorted({(r["profile"], r["setting"]) for r in rows}) == [("served", "all-off"), ("served", "all-on")]
    assert len(rows) == 12 and len({r["scenario"] for r in rows}) == 6
    assert all(r["tool_calls"] > 0 for r in rows)  # the offline reasoner always acts
    assert any(r["recall"] for r in rows if r["setting"] == "all-on") and any(r["verified"] for r in rows)
    out = capsys.readouterr().out
    assert "| served | all-off | 6 |" in out and "| served | all-on | 6 |" in out
    key = (tmp_path / "big" / "models" / "served.yaml").read_text()
    assert "max_concurrency: 4" in key and "cache:" in key
