"""Check downloaded scenario folders with the project's loader and say what each holds and lacks.

Each scenario folder is opened with :class:`~sre_agent.snapshot.SnapshotBackend`: its alert dumps
are read (the alerts firing at snapshot time), missing sources are taken from
:meth:`~sre_agent.snapshot.SnapshotBackend.problems`, and with ``deep=True`` every source
(objects, events, logs, traces, each metrics file) is parsed so partly unreadable files show too.
The ground truth is only looked for and parsed by the scorer's loader (the reasoner never opens it).

>>> import tempfile
>>> d = Path(tempfile.mkdtemp()) / "Scenario-7"; (d / "alerts").mkdir(parents=True)
>>> _ = (d / "alerts" / "alerts_at_2025-01-01T00-00-00.000000.json").write_text("[]")
>>> c = check_scenario(d)
>>> c.alert_dumps, c.lacks
(1, ['objects', 'events', 'logs', 'traces', 'metrics', 'ground truth'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..models import SourceProblem
from ..snapshot import SnapshotBackend
from ..snapshot.layout import SOURCE_FILES, metric_files, source_path

__all__ = ["ScenarioCheck", "check_scenario", "check_tree", "print_checks"]

_MISSING = ("file missing", "folder missing", "no alert dumps")


@dataclass
class ScenarioCheck:
    """What one scenario folder holds (sizes in bytes, ``None`` when a source is missing)."""

    name: str
    path: Path
    alert_dumps: int = 0
    alerts_firing: int = 0
    metric_files: int = 0
    sources: dict[str, int | None] = field(default_factory=dict)
    ground_truth: str = "missing"
    problems: list[SourceProblem] = field(default_factory=list)

    @property
    def lacks(self) -> list[str]:
        """Missing parts: ``alerts``, a source name, ``metrics`` or ``ground truth``."""
        out = [s for s, size in self.sources.items() if size is None]
        if not self.metric_files:
            out.append("metrics")
        if not self.alert_dumps:
            out.insert(0, "alerts")
        if self.ground_truth != "yes":
            out.append("ground truth")
        return out

    @property
    def damaged(self) -> list[SourceProblem]:
        """Problems other than a missing file (unreadable rows or files)."""
        return [p for p in self.problems if not p.problem.startswith(_MISSING)]

    @property
    def complete(self) -> bool:
        return not self.lacks and not self.damaged


def _ground_truth(folder: Path) -> str:
    from ..eval.scoring import load_ground_truth
    from ..eval.suite import ground_truth_path

    path = ground_truth_path(folder)
    if path is None:
        return "missing"
    try:
        load_ground_truth(path)
    except Exception as exc:  # noqa: BLE001 - an unreadable answer key is reported, not raised
        return f"unreadable ({type(exc).__name__})"
    return "yes"


def check_scenario(folder: Path, name: str | None = None, *, deep: bool = False) -> ScenarioCheck:
    """Open ``folder`` with the loader and report what it holds (``deep``: parse every source)."""
    backend = SnapshotBackend(folder, name)
    check = ScenarioCheck(name=backend.name, path=Path(folder))
    check.alert_dumps = len(backend.alert_dumps())
    check.alerts_firing = len(backend.alerts())
    check.metric_files = sum(len(v) for v in metric_files(folder).values())
    for source in SOURCE_FILES:
        p = source_path(folder, source)
        check.sources[source] = p.stat().st_size if p.is_file() else None
    if deep:
        backend.list_objects()
        backend.events()
        backend.logs()
        backend.spans()
        backend.metric_names()
    check.problems = backend.problems()
    check.ground_truth = _ground_truth(folder)
    return check


def check_tree(root: Path, *, deep: bool = False) -> list[ScenarioCheck]:
    """Check every scenario folder at or below ``root`` (the eval's discovery, the eval's names)."""
    from ..eval.suite import find_scenarios, scenario_names

    found = find_scenarios(root)
    return [check_scenario(p, n, deep=deep) for n, p in zip(scenario_names(found), found)]


def _size(n: int | None) -> str:
    if n is None:
        return "[red]—[/red]"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


def print_checks(checks: Sequence[ScenarioCheck], *, title: str = "", console: Any = None) -> None:
    """A rich table: one row per scenario, what it holds and what it lacks."""
    from rich.console import Console
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal:  # a pipe or a file: wide enough that no column is cut
            console = Console(width=140)
    table = Table(title=title or None, caption="alerts: alert dump files, firing: alerts at snapshot time, "
                  "metrics: pod/service metric files, sources: file sizes (— missing)")
    table.add_column("scenario", no_wrap=True)
    for col in ("alerts", "firing", "metrics", *SOURCE_FILES):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("truth", no_wrap=True)
    table.add_column("status", overflow="fold")
    for c in checks:
        notes = [f"[red]lacks {', '.join(c.lacks)}[/red]"] if c.lacks else []
        notes += [f"[yellow]{p.source}: {p.problem}[/yellow]" for p in c.damaged]
        table.add_row(c.name, str(c.alert_dumps), str(c.alerts_firing), str(c.metric_files),
                      *(_size(c.sources.get(s)) for s in SOURCE_FILES),
                      c.ground_truth if c.ground_truth == "yes" else f"[red]{c.ground_truth.split()[0]}[/red]",
                      "; ".join(notes) or "[green]complete[/green]")
    console.print(table)
