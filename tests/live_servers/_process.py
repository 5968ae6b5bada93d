"""Process plumbing shared by the test servers: free ports, readiness polling, stopping, binaries.

Binaries come from the Debian packages ``prometheus`` and ``prometheus-alertmanager``
(``.ci/install-servers.sh``); the ``SRE_AGENT_*_BIN`` variables point elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sre_agent.localhttp import free_port, wait_http  # noqa: F401  (re-exported)

PROMETHEUS = os.environ.get("SRE_AGENT_PROMETHEUS_BIN", "/usr/bin/prometheus")
PROMTOOL = os.environ.get("SRE_AGENT_PROMTOOL_BIN", "/usr/bin/promtool")
ALERTMANAGER = os.environ.get("SRE_AGENT_ALERTMANAGER_BIN", "/usr/bin/prometheus-alertmanager")


def stop(proc: subprocess.Popen | None) -> None:
    """Terminate a server process (kill it if it does not stop within 10 s)."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def binaries_present(*names: str) -> bool:
    """True when every named binary is on PATH or exists as a path."""
    return all(shutil.which(n) or os.path.exists(n) for n in names)


def rfc3339(t: float | None) -> str | None:
    """Epoch seconds -> RFC 3339 UTC (microseconds only when the time has a fraction)."""
    if t is None:
        return None
    dt = datetime.fromtimestamp(t, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{dt.microsecond:06d}Z" if dt.microsecond else "Z")
