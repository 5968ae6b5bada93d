"""Module boundaries that keep measurements honest and data flowing one way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sre_agent

PACKAGE = Path(sre_agent.__file__).resolve().parent
TOOLS = Path(__import__("sre_agent.tools", fromlist=["x"]).__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:  # relative: resolve against the file's package
                base = path.relative_to(PACKAGE.parent).with_suffix("").parts[: -node.level]
                mod = ".".join(base + ((mod,) if mod else ()))
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}
    return out


#: the reasoner: everything a triage runs (the harness — eval, ablation, commands — may simulate)
REASONER_PACKAGES = ("agents", "alerts", "analysis", "analyzers", "backends", "fixes", "llm", "mast", "snapshot", "team")
REASONER_MODULES = ("config.py", "errors.py", "models.py", "prompts_loader.py", "report.py", "runner.py", "state.py",
                    "trace.py", "telemetry.py", "answer.py", "confidence.py")


def _reasoner_files() -> list[Path]:
    files = [p for p in PACKAGE.rglob("*.py")
             if p.relative_to(PACKAGE).parts[0] in REASONER_PACKAGES or str(p.relative_to(PACKAGE)) in REASONER_MODULES]
    return files + list(TOOLS.rglob("*.py"))


def test_the_reasoner_never_imports_the_simulator():
    offenders = [str(p) for p in _reasoner_files() if any("simulator" in m for m in _imports(p))]
    assert offenders == []


def test_a_triage_never_loads_the_simulator_even_indirectly():
    code = ("import sys, sre_agent.runner, sre_agent.team, sre_agent.tools, sre_agent.snapshot, sre_agent.alerts; "
            "print([m for m in sys.modules if 'simulator' in m])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_no_reasoner_module_mentions_ground_truth_files():
    """The reasoner never opens ground_truth.yaml; only scoring (eval) may read it."""
    for p in _reasoner_files():
        if "eval" in p.relative_to(PACKAGE.parent).parts or p.parent.name == "commands":
            continue
        text = p.read_text(encoding="utf-8")
        assert "ground_truth.yaml" not in text or "never" in text.lower(), p


def test_tools_do_not_reach_up_to_agents_or_diagnosis():
    """Data flows alert -> state -> tool calls -> evidence -> diagnosis: tools never import the team."""
    for p in TOOLS.rglob("*.py"):
        mods = _imports(p)
        assert not any(m.startswith(("sre_agent.team", "sre_agent.report", "sre_agent.runner", "sre_agent.llm"))
                       for m in mods), p


def test_the_package_never_imports_the_test_servers():
    """The live test servers (tests/live_servers) are scaffolding: nothing installed imports them."""
    files = list(PACKAGE.rglob("*.py")) + list(TOOLS.rglob("*.py"))
    offenders = [str(p) for p in files if any(m.split(".")[0] in ("live_servers", "tests") or "live_testing" in m
                                              for m in _imports(p))]
    assert files and offenders == []


def _team_graph() -> dict[str, set[str]]:
    """team/ module -> the team/ modules it imports (TYPE_CHECKING imports included)."""
    team = PACKAGE / "team"
    names = {p.stem for p in team.glob("*.py")}
    graph = {}
    for p in team.glob("*.py"):
        mods = _imports(p)
        graph[p.stem] = {n for n in names if n != p.stem and any(m == f"sre_agent.team.{n}" or m.startswith(f"sre_agent.team.{n}.")
                                                                  for m in mods)}
    return graph


def test_no_import_cycle_in_the_team():
    graph = _team_graph()
    assert graph["_orchestrator"] and "__init__" in graph
    seen: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            assert seen.get(nxt) != 1, "import cycle: " + " -> ".join(path + [nxt])
            if nxt not in seen:
                visit(nxt, path + [nxt])
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [node])


def test_the_team_never_calls_a_fix_by_name_and_the_orchestrator_stays_small():
    """Fixes run through their hooks (sre_agent.fixes.base): no fix is looked up by name, no
    ``type: ignore`` is needed to reach one, and the orchestrator keeps turn order and budgets."""
    from sre_agent.fixes import KINDS

    for p in (PACKAGE / "team").glob("*.py"):
        text = p.read_text(encoding="utf-8")
        assert "fixes[" not in text and "attr-defined" not in text, p
        assert not [k.name for k in KINDS if f'"{k.name}"' in text], p
    assert len((PACKAGE / "team" / "_orchestrator.py").read_text(encoding="utf-8").splitlines()) <= 350
