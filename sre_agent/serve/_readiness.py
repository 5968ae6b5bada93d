"""``/readyz``: can this process take an alert and triage it?  About the service only.

Ready means the configuration was loaded (a service exists only after its options were
checked), the queue database takes a write, the job folder is writable and the worker thread is
alive.  None of these waits on the network, so the answer comes in milliseconds.  The sources'
health is not part of it: a triage copes with a missing source, and a pod pulled out of its
Service during a monitoring outage could not receive the alerts of that outage.  Their last
background check (:mod:`._probes`) is shown in the body for information and in ``/metrics``.

Example:
    >>> judge({"config": "loaded", "queue": "ok", "worker": "alive"}, {"prometheus": "timed out"})
    (True, {'checks': {'config': 'loaded', 'queue': 'ok', 'worker': 'alive'}, 'sources': {'prometheus': 'timed out'}})
    >>> judge({"config": "loaded", "queue": "ok", "worker": "dead"})[0]
    False
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: the answers that mean a check passed
FINE = frozenset({"loaded", "ok", "alive"})


def judge(checks: Mapping[str, str], sources: Mapping[str, str] | None = None) -> tuple[bool, dict[str, Any]]:
    """``(ready, body)``: ready when every check of ``checks`` passed; ``sources`` is only shown."""
    ready = all(answer in FINE for answer in checks.values())
    body: dict[str, Any] = {"checks": dict(checks)}
    if sources is not None:
        body["sources"] = dict(sources)
    return ready, body


def folder_writable(folder: Path) -> str:
    """``"ok"`` when ``folder`` is a folder this process may create files in, else why not."""
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"{folder} is not writable"
    return "ok"
