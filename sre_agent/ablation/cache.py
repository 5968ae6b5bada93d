"""Run folders keyed by what determines a run, so a sweep resumes and a repeated one is instant.

A run's folder is ``<out>/runs/<key>/`` where ``key`` is the first 20 hex digits of a SHA-256
over a canonical JSON document of:

* ``scenario``: the scenario folder's name and :func:`scenario_digest` (the bytes of its
  alerts and ground truth, the path and size of its other files);
* ``config``: :meth:`sre_agent.config.RunConfig.describe` of the run's configuration (model
  profile and its failure rates, seed, fixes, budgets, context and tool limits);
* ``seed``;
* ``code``: :func:`code_version` (``sre_agent.__version__`` + a hash of the package sources).

The folder is complete when its marker file :data:`DONE` exists; it is written last, after
``result.json``.  An unmarked folder (an interrupted run) is deleted and run again.

Example:
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> is_done(d), mark_done(d), is_done(d)
    (False, None, True)
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
from pathlib import Path
from typing import Any

#: The marker written last into a finished run folder.
DONE = "DONE"

#: Packages whose sources make up the code version (tools/ and eval/ are installed under sre_agent).
CODE_PACKAGES = ("sre_agent", "sre_agent.tools", "sre_agent.eval", "sre_agent.prompts")

#: Source files (relative to ``sre_agent``) that never change a run's outcome -- the ablation
#: runner itself (spec, plan, report, plots ...) but for :mod:`.execute`, which writes the run's
#: result, and its command -- so editing them keeps the cache valid.
CODE_EXCLUDED_PREFIX = "ablation/"
CODE_INCLUDED = ("ablation/execute.py",)
CODE_EXCLUDED = ("commands/ablate.py",)


def _excluded(rel: str) -> bool:
    if rel in CODE_INCLUDED:
        return False
    return rel.startswith(CODE_EXCLUDED_PREFIX) or rel in CODE_EXCLUDED

_GROUND_TRUTHS = ("ground_truth.yaml", "ground_truth.yml", "ground_truth.json")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``<__version__>+<12 hex digits>``: the hash covers every ``.py`` file (and the prompt
    ``.md`` files) of :data:`CODE_PACKAGES`, by path relative to its package, in sorted order,
    but the ablation runner's own modules that cannot change a run (see :func:`_excluded`).

    Computed once per process: the sweep's driver computes it and passes the key to workers.
    """
    import sre_agent

    h = hashlib.sha256()
    for pkg in CODE_PACKAGES:
        root = Path(importlib.import_module(pkg).__file__).parent
        files = sorted(p for p in root.rglob("*") if p.suffix in (".py", ".md") and p.is_file()
                       and "__pycache__" not in p.parts)
        for p in files:
            rel = p.relative_to(root).as_posix()
            if pkg == "sre_agent" and _excluded(rel):
                continue
            h.update(f"{pkg}:{rel}\0".encode())
            h.update(_sha(p.read_bytes()).encode())
    return f"{sre_agent.__version__}+{h.hexdigest()[:12]}"


def scenario_digest(scenario: Path) -> str:
    """A content digest of a scenario: every file of ``alerts/`` (path and bytes), the ground
    truth (bytes) and the path and size of every other file (``metrics/`` included).  Cheap (the
    big TSVs are not read) and independent of where the folder lives or when it was written."""
    scenario = Path(scenario)
    h = hashlib.sha256()
    files = sorted(p for p in scenario.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and "__pycache__" not in p.parts)
    for p in files:
        rel = p.relative_to(scenario).as_posix()
        if rel.startswith("alerts/") or p.name in _GROUND_TRUTHS or p.name.startswith("alerts_"):
            h.update(f"{rel}\0{_sha(p.read_bytes())}\n".encode())
        else:
            h.update(f"{rel}\0{p.stat().st_size}\n".encode())
    return h.hexdigest()


def key_document(scenario: Path, config: dict[str, Any], seed: int, code: str, digest: str | None = None) -> dict[str, Any]:
    """The JSON document a run key hashes (also stored as ``key.json`` in the run folder)."""
    return {"scenario": {"name": Path(scenario).name, "digest": digest or scenario_digest(scenario)},
            "config": config, "seed": int(seed), "code": code}


def run_key(document: dict[str, Any]) -> str:
    """The run folder name for a :func:`key_document`."""
    return _sha(json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode())[:20]


def is_done(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a finished run (its marker exists)."""
    return (Path(run_dir) / DONE).is_file()


def mark_done(run_dir: Path) -> None:
    """Write the marker: the last thing a finished run does."""
    (Path(run_dir) / DONE).write_text("", encoding="utf-8")
