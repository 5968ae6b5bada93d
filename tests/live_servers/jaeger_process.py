"""The Jaeger stand-in in a process of its own, as a real query service is: a client timed
against it (the live benchmark, the equivalence tests) pays for its own reads only, not for the
server's work under the same interpreter lock.

Run by :class:`JaegerProcess`; by hand: ``python -m live_servers.jaeger_process TRACES.json PORT``
(from ``tests/``).  ``GET /_stats`` answers ``{"requests": n}``, the requests served so far.

Example::

    with JaegerProcess(snapshot.spans(), workdir) as jaeger:
        JaegerBackend(jaeger.url).spans("quote"); jaeger.requests()
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import requests

from ._process import free_port, stop, wait_http
from .jaeger import spans_to_jaeger, trace_routes
from .stub_http import StubHTTPServer

TESTS = Path(__file__).resolve().parents[1]


class JaegerProcess:
    """The Jaeger query-API stand-in for ``spans``, served by a child Python process on 127.0.0.1."""

    def __init__(self, spans: Iterable[Any], workdir: Path) -> None:
        self.spans = spans
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self._log: Any = None

    def __enter__(self) -> "JaegerProcess":
        self.workdir.mkdir(parents=True, exist_ok=True)
        traces = self.workdir / "traces.json"
        traces.write_text(json.dumps(spans_to_jaeger(self.spans)), encoding="utf-8")
        log = self.workdir / "jaeger.log"
        self._log = open(log, "wb")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        self.proc = subprocess.Popen([sys.executable, "-m", "live_servers.jaeger_process", str(traces), str(self.port)],
                                     stdout=self._log, stderr=subprocess.STDOUT, cwd=TESTS, env=env)
        try:
            wait_http(f"{self.url}/_stats", 60, self.proc, log)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def requests(self) -> int:
        """How many requests the server answered (``/_stats`` itself not counted)."""
        session = requests.Session()
        session.trust_env = False
        return int(session.get(f"{self.url}/_stats", timeout=10).json()["requests"])

    def __exit__(self, *exc: Any) -> None:
        stop(self.proc)
        if self._log:
            self._log.close()


def main(argv: list[str]) -> int:
    traces_file, port = argv
    routes: dict[str, Any] = dict(trace_routes(json.loads(Path(traces_file).read_text(encoding="utf-8"))))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with StubHTTPServer(routes, port=int(port)) as stub:
        routes["/_stats"] = lambda req: (200, {"requests": sum(r.path != "/_stats" for r in stub.seen)})
        stub.routes = routes
        done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
