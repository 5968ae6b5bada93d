"""Local HTTP plumbing for servers the project starts on 127.0.0.1 (a model server, benchmarks,
test servers): a free port, and waiting until a URL answers.

Example:
    >>> 1024 <= free_port() < 65536
    True
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import requests

__all__ = ["free_port", "wait_http"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    """Poll ``url`` until it answers 200; raise with the server's log tail otherwise (also when
    ``proc`` has exited)."""
    deadline = time.monotonic() + timeout
    session = requests.Session()
    session.trust_env = False
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            if session.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise RuntimeError(f"{url} did not come up within {timeout}s\n{tail}")
