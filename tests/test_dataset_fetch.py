"""``sre-agent dataset fetch itbench-lite`` against a real HTTP server on 127.0.0.1 that answers the
Hub endpoints ``snapshot_download`` calls (tests/hub_server.py), run as a subprocess with
``HF_ENDPOINT`` pointing at it: only the SRE snapshot folders are downloaded, each scenario is
checked and named in the table, a second fetch requests nothing, a broken download resumes, the
offline cache works without a request, and every failure is one line with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from data_paths import PROJECT_ROOT
from hub_server import HubRepo, HubServer
from scenarios import simulated

from sre_agent.localhttp import free_port

REPO = "ibm-research/ITBench-Lite"
PINNED = "d0916b08ba421ce5e672e9ad68aa947d938dfef0"
SRE = "snapshots/sre/v0.2-B96DF826-4BB2-4B62-97AB-6D84254C53D7"
SCENARIOS = ("Scenario-2", "Scenario-5", "Scenario-27")
#: larger than huggingface_hub's 10 MiB download chunk, so a broken transfer resumes with Range
BIG = f"{SRE}/Scenario-5/extra/recording.bin"
#: files of the repository that are not SRE snapshots of v0.2: never downloaded
OTHER = {
    "README.md": b"# ITBench-Lite\n",
    ".gitattributes": b"*.tsv filter=lfs diff=lfs merge=lfs -text\n",
    "snapshots/finops/v0.1-0000/Scenario-1/ground_truth.yaml": b"groups: []\n",
    "snapshots/sre/v0.1-OLD/Scenario-2/alerts/alerts_at_2025-01-01T00-00-00.000000.json": b"[]",
}


@pytest.fixture(scope="module")
def repo_files(tmp_path_factory) -> dict[str, bytes]:
    """Three simulated scenarios under the dataset's layout (Scenario-27 without logs and answer
    key), plus files outside the SRE snapshots."""
    base = tmp_path_factory.mktemp("hub-sim")
    files: dict[str, bytes] = dict(OTHER)
    for name in SCENARIOS:
        folder = simulated(base, name, seed=0, scale=0.05)
        for p in sorted(folder.rglob("*")):
            rel = p.relative_to(folder).as_posix()
            if p.is_file() and not (name == "Scenario-27" and rel in ("otel_logs_raw.tsv", "ground_truth.yaml")):
                files[f"{SRE}/{name}/{rel}"] = p.read_bytes()
    files[BIG] = os.urandom(24 * 1024 * 1024)
    return files


def _sre(files: dict[str, bytes], scenario: str = "") -> dict[str, bytes]:
    return {k: v for k, v in files.items() if k.startswith(f"{SRE}/{scenario}")}


def _hub(files: dict[str, bytes], **kw) -> HubServer:
    return HubServer([HubRepo(REPO, files)], lfs_threshold=300_000, page_size=40, **kw)


def fetch(*args: str | Path, endpoint: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m sre_agent dataset fetch itbench-lite ARGS`` with a clean Hugging Face environment."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and k != "SRE_AGENT_DEBUG"}
    full.update(PYTHONPATH=str(PROJECT_ROOT), HF_ENDPOINT=endpoint, HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1",
                NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", COLUMNS="200", **env)
    return subprocess.run([sys.executable, "-m", "sre_agent", "dataset", "fetch", "itbench-lite", *map(str, args)],
                          env=full, capture_output=True, text=True, timeout=300)


def one_line_exit_2(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def closed_port() -> int:
    """A port nothing listens on (free a moment ago)."""
    return free_port()


def on_disk(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".cache" not in p.relative_to(root).parts}


def table_row(stdout: str, scenario: str) -> str:
    rows = [ln for ln in stdout.splitlines() if f" {scenario} " in ln]
    assert len(rows) == 1, stdout
    return rows[0]


# -- tests ----------------------------------------------------------------------------------------

def test_fetch_gets_only_the_sre_snapshots_checks_each_scenario_and_a_second_fetch_requests_nothing(
        repo_files, tmp_path):
    dest, home = tmp_path / "itbench", tmp_path / "hf"
    with _hub(repo_files) as hub:
        hub.truncate_once.add(BIG)  # an LFS file from the "CDN": the connection drops after 12 of 24 MiB
        proc = fetch("--dest", dest, "--jobs", "4", endpoint=hub.url, home=home)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert on_disk(dest) == _sre(repo_files)  # every SRE file, byte for byte, and nothing else
        requested = hub.paths()
        assert not [p for p in requested if "finops" in p or "v0.1-OLD" in p or p.endswith(("README.md", ".gitattributes"))]
        assert len([p for p in requested if "/tree/" in p]) > 1  # the paginated listing was followed
        ranges = [rng for o, _m, _p, rng in hub.requests if o == "cdn" and rng]
        assert ranges == [f"bytes={10 * 1024 * 1024}-"]  # resumed after the first 10 MiB chunk on disk
        for name in SCENARIOS:
            table_row(proc.stdout, name)
        assert "complete" in table_row(proc.stdout, "Scenario-2")
        assert "lacks logs, ground truth" in table_row(proc.stdout, "Scenario-27")
        assert "3 scenario folder(s)" in proc.stderr and "1 lacking something" in proc.stderr

        hub.clear()
        again = fetch("--dest", dest, "--no-progress", endpoint=hub.url, home=home)
        assert again.returncode == 0, again.stderr
        assert hub.paths() == ["/"]  # only the reachability probe: no listing, no HEAD, no GET
        table_row(again.stdout, "Scenario-5")

    # The Hub is gone: offline mode and a refused connection both use the complete local copy.
    for env in ({"HF_HUB_OFFLINE": "1"}, {}):
        proc = fetch("--dest", dest, "--no-progress", endpoint=f"http://127.0.0.1:{closed_port()}", home=home, **env)
        assert proc.returncode == 0, (env, proc.stderr)
        table_row(proc.stdout, "Scenario-27")


def test_an_interrupted_fetch_downloads_only_what_is_missing(repo_files, tmp_path):
    dest, home = tmp_path / "itbench", tmp_path / "hf"
    broken = f"{SRE}/Scenario-2/k8s_events_raw.tsv"
    assert len(repo_files[broken]) < 300_000  # a small file, served by the Hub itself
    with _hub(repo_files) as hub:
        hub.fail_once.add(broken)
        one_line_exit_2(fetch("--dest", dest, "--no-progress", endpoint=hub.url, home=home),
                        "HTTP 500", "run the same command again to resume")
        assert not (dest / broken).exists()
        present = set(on_disk(dest))
        assert present and present < set(_sre(repo_files))
        refused = f"http://127.0.0.1:{closed_port()}"
        one_line_exit_2(fetch("--dest", dest, "--no-progress", endpoint=refused, home=home),
                        "cannot reach", f"is incomplete ({len(_sre(repo_files)) - len(present)} file(s) missing)")
        hub.clear()
        proc = fetch("--dest", dest, "--no-progress", endpoint=hub.url, home=home)
        assert proc.returncode == 0, proc.stderr
        resolved = {p.split(f"/resolve/{PINNED}/", 1)[1] for p in hub.paths() if "/resolve/" in p}
        assert broken in resolved and resolved == set(_sre(repo_files)) - present  # nothing twice
        assert on_disk(dest) == _sre(repo_files)


def test_fetch_into_the_cache_then_offline_without_any_request(repo_files, tmp_path):
    home = tmp_path / "hf"
    with _hub(repo_files) as hub:
        proc = fetch("--scenario", "5", "--no-progress", endpoint=hub.url, home=home)
        assert proc.returncode == 0, proc.stderr
        snapshot = home / "hub" / "datasets--ibm-research--ITBench-Lite" / "snapshots" / PINNED
        assert on_disk(snapshot) == _sre(repo_files, "Scenario-5/")  # only the scenario asked for
        table_row(proc.stdout, "Scenario-5")
        assert " Scenario-2 " not in proc.stdout

        hub.clear()
        offline = fetch("--scenario", "5", "--no-progress", endpoint=hub.url, home=home, HF_HUB_OFFLINE="1")
        assert offline.returncode == 0, offline.stderr
        assert hub.requests == []
        table_row(offline.stdout, "Scenario-5")
        assert str(snapshot) in offline.stderr


def test_refused_network_and_offline_without_a_copy_are_one_line(tmp_path):
    refused = f"http://127.0.0.1:{closed_port()}"
    one_line_exit_2(fetch("--dest", tmp_path / "d", endpoint=refused, home=tmp_path / "hf"),
                    "cannot reach", "127.0.0.1", "no local copy")
    assert not (tmp_path / "d").exists()  # the failed first download left no empty folder behind
    line = one_line_exit_2(fetch(endpoint=refused, home=tmp_path / "hf", HF_HUB_OFFLINE="1"),
                           "the Hub is set offline (HF_HUB_OFFLINE=1)", "no complete local copy", "unset HF_HUB_OFFLINE")
    assert "connect to the network" not in line
    one_line_exit_2(fetch("--dest", tmp_path / "e", endpoint=refused, home=tmp_path / "hf", HF_HUB_OFFLINE="1"),
                    "the Hub is set offline")
    assert not (tmp_path / "e").exists()


def test_unknown_revision_missing_token_and_bad_options_are_one_line(repo_files, tmp_path):
    home = tmp_path / "hf"
    with _hub(_sre(repo_files, "Scenario-2/"), token="hf_test_token") as hub:
        one_line_exit_2(fetch(endpoint=hub.url, home=home), "not found or not accessible", "HF_TOKEN")
        with_token = {"HF_TOKEN": "hf_test_token"}
        one_line_exit_2(fetch("--revision", "0" * 40, endpoint=hub.url, home=home, **with_token),
                        "revision '" + "0" * 40 + "' not found")
        one_line_exit_2(fetch("--revision", "no-such-branch", endpoint=hub.url, home=home, **with_token),
                        "revision 'no-such-branch' not found")
        one_line_exit_2(fetch("--jobs", "0", endpoint=hub.url, home=home), "--jobs 0")
        one_line_exit_2(fetch("--scenario", "../x", endpoint=hub.url, home=home), "--scenario")
        proc = fetch("--revision", "main", "--dest", tmp_path / "d", "--no-progress", endpoint=hub.url, home=home,
                     **with_token)
        assert proc.returncode == 0, proc.stderr
        table_row(proc.stdout, "Scenario-2")
    assert "hf_test_token" not in proc.stderr + proc.stdout
