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
