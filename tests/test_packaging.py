"""Everything the CLI needs after `pip install .` is declared: packages and package data."""

from __future__ import annotations

import tomllib
from importlib import resources

from data_paths import PROJECT_ROOT


def _pyproject() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_python_package_folder_is_declared():
    declared = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(PROJECT_ROOT).parts) for p in (PROJECT_ROOT / "sre_agent").rglob("__init__.py")}
    mapped = _pyproject()["tool"]["setuptools"]["package-dir"]
    found |= {name for name, folder in mapped.items() if (PROJECT_ROOT / folder / "__init__.py").exists()}
    assert found <= declared, f"undeclared packages: {sorted(found - declared)}"


def test_prompts_configs_and_data_are_package_resources():
    prompts = {p.name for p in resources.files("sre_agent.prompts").iterdir()}
    assert {"planner.md", "investigator.md", "verifier.md", "summarizer.md"} <= prompts
    models = {p.name for p in resources.files("sre_agent.configs").joinpath("models").iterdir()}
    assert {"clean.yaml", "forgets.yaml", "loses-exit.yaml", "verifies-poorly.yaml", "openai.yaml"} <= models
    assert resources.files("sre_agent.configs").joinpath("apps", "otel-demo.yaml").is_file()
    assert resources.files("sre_agent.configs").joinpath("ablations", "smoke.yaml").is_file()


# -- dependencies: what serve and triage import, the extras, the hashed locks ------------------
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

#: packages triage and serve never import: they live in the research / ray extras (numpy is core:
#: the snapshot's column reader and the confidence map use it)
RESEARCH_ONLY = ("scipy", "scikit-learn", "matplotlib", "krippendorff", "huggingface-hub", "ray")


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _lock(name: str) -> dict[str, tuple[str, int]]:
    """``{package: (version, number of hashes)}`` of a requirements/ lock file."""
    text = (PROJECT_ROOT / "requirements" / name).read_text(encoding="utf-8")
    out = {}
    for block in re.split(r"\n(?=\S)", text):
        m = re.match(r"([A-Za-z0-9_.\-]+)==(\S+)", block)
        if m:
            out[m.group(1).lower().replace("_", "-")] = (m.group(2), block.count("--hash=sha256:"))
    return out


def test_research_packages_are_extras_not_core_dependencies():
    project = _pyproject()["project"]
    core = {_name(r) for r in project["dependencies"]}
    assert not core & set(RESEARCH_ONLY), core & set(RESEARCH_ONLY)
    extras = project["optional-dependencies"]
    assert {_name(r) for r in extras["research"]} == set(RESEARCH_ONLY) - {"ray"}
    dev = {_name(r) for r in extras["dev"]}
    assert {_name(r) for r in extras["research"]} <= dev and "ray" in dev  # the tests get every command


def test_each_lock_pins_what_pyproject_pins_with_hashes():
    project = _pyproject()["project"]
    extras = project["optional-dependencies"]
    for lock_name, requirements in (("serve.lock", project["dependencies"]),
                                    ("ci.lock", project["dependencies"] + extras["dev"] + extras["ray"] + extras["llm"])):
        lock = _lock(lock_name)
        assert lock and all(hashes >= 1 for _, hashes in lock.values()), lock_name
        for req in requirements:
            pinned = re.search(r"==([^\s;,]+)", req)
            assert _name(req) in lock, (lock_name, req, "run .ci/lock")
            if pinned:
                assert lock[_name(req)][0] == pinned.group(1), (lock_name, req, lock[_name(req)], "run .ci/lock")
    serve = _lock("serve.lock")
    assert not set(serve) & set(RESEARCH_ONLY), set(serve) & set(RESEARCH_ONLY)


def test_ci_installs_the_hashed_lock_then_the_project_without_dependencies():
    text = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if "pip install" in ln and not ln.lstrip().startswith("#")]
    locked = [i for i, ln in enumerate(lines) if "--require-hashes -r requirements/ci.lock" in ln]
    project = [i for i, ln in enumerate(lines) if re.search(r"--no-deps -e \.(\s|$)", ln)]
    assert locked and project and locked[0] < project[0], lines
    assert not [ln for ln in lines if re.search(r"-e \"?\.\[", ln)]  # no unlocked install of the extras
    assert "UV_VERSION=" in (PROJECT_ROOT / ".ci" / "lock").read_text(encoding="utf-8")  # the tool is pinned


_TRIAGE_AND_SERVE = r"""
import json, sys, tempfile
from pathlib import Path
from sre_agent.cli import main
folder, out = Path(sys.argv[1]), Path(tempfile.mkdtemp())
assert main(["triage", "--alert", str(folder / "alerts"), "--output-dir", str(out / "t"), "--format", "json"]) == 0
from sre_agent.commands.serve import _default_triage
from sre_agent.config import load_config
from sre_agent.serve import WebhookService
from sre_agent.snapshot import SnapshotBackend
service = WebhookService(out / "s", _default_triage(load_config(), snapshot=True), lambda: SnapshotBackend(folder))
service.submit({"version": "4", "groupKey": "g", "alerts": [{"labels": {"alertname": "RequestErrorRate",
                "service_name": "cart"}, "startsAt": "2030-01-01T00:00:00Z"}]})
assert service.wait_idle(120) and service.stats()["done"] == 1
service.stop()
mods = sorted({m.split(".")[0] for m in sys.modules} & {"scipy", "sklearn", "matplotlib", "huggingface_hub", "ray"})
sys.stderr.write("IMPORTED " + json.dumps(mods) + "\n")
"""


def test_triage_and_serve_never_import_a_research_package():
    from robust_helpers import simulated

    proc = subprocess.run([sys.executable, "-c", _TRIAGE_AND_SERVE, str(simulated())], capture_output=True, text=True,
                          timeout=300, cwd=PROJECT_ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "IMPORTED []" in proc.stderr, proc.stderr[-3000:]


_WITHOUT = r"""
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # as if not installed
from sre_agent.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_a_research_command_without_its_extra_names_the_extra(tmp_path):
    from robust_helpers import simulated

    cases = [("scipy", ["eval", "--scenarios", str(simulated().parent), "--out", str(tmp_path / "e")]),
             ("huggingface_hub", ["dataset", "fetch", "itbench-lite", "--dest", str(tmp_path / "d")]),
             ("matplotlib", ["ablate", "smoke", "--out", str(tmp_path / "a")])]
    for blocked, argv in cases:
        proc = subprocess.run([sys.executable, "-c", _WITHOUT, blocked, *argv], capture_output=True, text=True,
                              timeout=120, cwd=PROJECT_ROOT)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert proc.returncode == 2 and len(lines) == 1, (argv, proc.stderr[-2000:])
        assert "from the 'research' extra: pip install 'sre-agent[research]'" in lines[0], lines[0]
        assert blocked.split(",")[0] in lines[0]


def test_the_licence_the_project_declares_is_in_the_repository():
    assert _pyproject()["project"]["license"] == "Apache-2.0"
    text = (PROJECT_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text and "END OF TERMS AND CONDITIONS" in text
