"""Reading a recorded ITBench-Lite scenario folder (format notes: ``eval/data/itbench-lite/FORMAT.md``).

:class:`SnapshotBackend` implements :class:`~sre_agent.backends.base.ObservabilityBackend` over
the folder, lazily; :func:`is_scenario_dir` recognises one by its file names.  Modules:
``columns`` (the compiled, column-wise TSV reader), ``tsv`` (the row-wise fallback), ``timefmt``
(timestamps), ``layout`` (file names), ``k8s`` (objects and events), ``logs``, ``traces``,
``metrics`` and ``scenario`` (the backend).
"""

from .layout import is_scenario_dir
from .scenario import SnapshotBackend

__all__ = ["SnapshotBackend", "is_scenario_dir"]
