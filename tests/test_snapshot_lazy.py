"""Laziness, caching, speed, and the guarantee that the answer key is never opened."""

from __future__ import annotations

import builtins
import io
import os
import pathlib
import shutil

import pytest

from fixtures_itbench import write_many_spans, write_scenario
from sre_agent.alerts import load_alert_input
from sre_agent.snapshot import SnapshotBackend, is_scenario_dir


@pytest.fixture()
def scenario(tmp_path):
    return write_scenario(tmp_path)


def _call_everything(b: SnapshotBackend) -> None:
    b.now(), b.window(), b.alerts(), b.alert_dumps()
    b.list_objects(), b.list_objects("Pod"), b.object_history("Deployment", "otel-demo", "checkout")
    b.events(), b.events("otel-demo")
    list(b.logs()), list(b.logs(service="checkout", since=0, until=2e9))
    list(b.spans()), list(b.spans(service="checkout"))
    for name in b.metric_names():
        b.metric_series(name)
    b.metric_names({"pod": "cart-1"}), b.metric_series("x", {"service": "checkout"})
    b.problems()


def test_opening_reads_nothing(scenario, monkeypatch):
    opened = []
    real_open = builtins.open

    def spy(file, *a, **k):
        opened.append(str(file))
        return real_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", spy)
    b = SnapshotBackend(scenario)
    assert opened == [] and b.files_read == []


def test_each_source_is_read_on_first_use_only(scenario):
    b = SnapshotBackend(scenario)
    b.spans()
    assert b.files_read == ["otel_traces_raw.tsv"]
    (scenario / "otel_traces_raw.tsv").unlink()  # cached: gone from disk, still answered
    assert len(b.spans()) == 5 and b.files_read == ["otel_traces_raw.tsv"]
    (scenario / "otel_logs_raw.tsv").unlink()  # never read so far: now reported missing
    assert b.logs() == []
    assert "otel_logs_raw.tsv" in {p.source for p in b.problems()}
    assert b.files_read == ["otel_traces_raw.tsv", "otel_logs_raw.tsv"]


def test_alerts_read_only_the_dumps_needed(scenario):
    b = SnapshotBackend(scenario)
    b.now()
    assert b.files_read == []  # the snapshot time comes from file names
    b.alerts()
    assert all(f.startswith("alerts/") for f in b.files_read) and len(b.files_read) == 2  # newest is empty


def test_ground_truth_is_never_opened(scenario, monkeypatch):
    attempts: list[str] = []

    def guard(real):
        def wrapper(file, *a, **k):
            if isinstance(file, (str, os.PathLike)) and os.path.basename(os.fspath(file)).startswith("ground_truth"):
                attempts.append(str(file))
                raise AssertionError(f"answer key opened: {file}")
            return real(file, *a, **k)
        return wrapper

    monkeypatch.setattr(builtins, "open", guard(builtins.open))
    monkeypatch.setattr(io, "open", guard(io.open))
    monkeypatch.setattr(os, "open", guard(os.open))
    real_path_open = pathlib.Path.open
    monkeypatch.setattr(pathlib.Path, "open", lambda self, *a, **k: guard(lambda f, *a2, **k2: real_path_open(f, *a2, **k2))(self, *a, **k))
    for name in ("read_text", "read_bytes"):
        real = getattr(pathlib.Path, name)
        monkeypatch.setattr(pathlib.Path, name, lambda self, *a, _r=real, **k: guard(lambda f, *a2, **k2: _r(f, *a2, **k2))(self, *a, **k))
    os.chmod(scenario / "ground_truth.yaml", 0)  # and unreadable anyway (for non-root runs)

    assert is_scenario_dir(scenario)
    b = SnapshotBackend(scenario)
    _call_everything(b)
    load_alert_input(scenario / "alerts")
    load_alert_input(scenario)
    load_alert_input(next((scenario / "alerts").iterdir()))
    assert attempts == []
    assert not any("ground_truth" in f for f in b.files_read)
    assert not any("ground_truth" in p.source for p in b.problems())
    assert b.files_read  # it did read the scenario


def test_guard_itself_catches_a_read(scenario, monkeypatch):
    """The guard above would notice: reading the answer key through it fails."""
    real_open = builtins.open

    def guarded(file, *a, **k):
        if os.path.basename(os.fspath(file)).startswith("ground_truth"):
            raise AssertionError("answer key opened")
        return real_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", guarded)
    with pytest.raises(AssertionError):
        open(scenario / "ground_truth.yaml")


def test_backend_survives_a_folder_vanishing(scenario):
    b = SnapshotBackend(scenario)
    shutil.rmtree(scenario)
    _call_everything(b)
    assert b.now() == 0.0
    assert {p.source for p in b.problems()} >= {"k8s_objects_raw.tsv", "otel_traces_raw.tsv", "alerts/", "metrics/"}


def test_fifty_thousand_spans_read_once(tmp_path):
    """50k spans parse completely, and a filtered read reuses them instead of re-reading the file
    (the speed itself is a benchmark figure: ``python -m sre_agent bench``, not a timed test)."""
    folder = tmp_path / "big"
    folder.mkdir()
    path = folder / "otel_traces_raw.tsv"
    write_many_spans(path, 50_000)
    b = SnapshotBackend(folder)
    spans = b.spans()
    assert len(spans) == 50_000
    assert sum(s.is_error for s in spans) == len(range(0, 50_000, 97))
    path.write_text("")  # a second read of the file would now find no span
    assert len(b.spans(service="cart")) == 6_250
