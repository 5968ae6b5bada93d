"""Shared helpers of the ``test_serve_*`` files: webhooks, a real ``serve`` subprocess, an
in-process service behind a real HTTP server on 127.0.0.1, and a recording triage step."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from data_paths import PROJECT_ROOT
from sre_agent.localhttp import free_port
from sre_agent.serve import WebhookService, make_server

SERVICES = ("cart", "frontend", "frontend-proxy", "checkout")


def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # never a proxy for 127.0.0.1
    return s


#: inside the incident window of the simulated Scenario-2 (robust_helpers.simulated())
STARTS_AT = "2025-10-29T00:31:20Z"


def alert(service: str, status: str = "firing") -> dict[str, Any]:
    body = {"status": status, "fingerprint": f"fp-{service}",
            "labels": {"alertname": "RequestErrorRate", "namespace": "otel-demo", "service_name": service,
                       "severity": "critical"},
            "annotations": {"description": f"error rate of {service} above 5%"}, "startsAt": STARTS_AT}
    if status == "resolved":
        body["endsAt"] = "2025-10-29T00:45:00Z"
    return body


def webhook(firing: Sequence[str] = ("cart",), resolved: Sequence[str] = (), group: str = "g1") -> dict[str, Any]:
    """An Alertmanager version-4 webhook of group ``group`` (the alertname grouping)."""
    alerts = [alert(s) for s in firing] + [alert(s, "resolved") for s in resolved]
    return {"version": "4", "groupKey": f'{{}}:{{alertname="RequestErrorRate", group="{group}"}}', "receiver": "sre-agent",
            "status": "firing" if firing else "resolved", "groupLabels": {"alertname": "RequestErrorRate"},
            "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am", "truncatedAlerts": 0,
            "alerts": alerts}


class Recorder:
    """A triage step that records its calls and writes what the runner would (stats.json)."""

    def __init__(self, delay: float = 0.0, fail: bool = False, incomplete: bool = False) -> None:
        self.calls: list[dict[str, Any]] = []
        self.delay = delay
        self.fail = fail
        self.incomplete = incomplete
        self.lock = threading.Lock()

    def __call__(self, alerts: Path, backend: Any, output_dir: Path) -> None:
        payload = json.loads(alerts.read_text(encoding="utf-8"))
        with self.lock:
            self.calls.append(payload)
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("runner exploded")
        (output_dir / "stats.json").write_text(json.dumps({"model_calls": 5, "tool_calls": 7,
                                                           "incomplete": self.incomplete}))

    def services(self) -> list[list[str]]:
        return [sorted(a["labels"]["service_name"] for a in p["alerts"]) for p in self.calls]


@contextmanager
def running(service: WebhookService, **server_kwargs: Any) -> Iterator[str]:
    """``service`` behind a real HTTP server on 127.0.0.1; yields its URL; stops both."""
    server = make_server("127.0.0.1", 0, service, **server_kwargs)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        service.stop()
        thread.join(5)


class ServeProcess:
    """``python -m sre_agent serve`` in a real subprocess on a free loopback port."""

    def __init__(self, *args: str | Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        full_env = {k: v for k, v in os.environ.items() if k != "SRE_AGENT_DEBUG"}
        full_env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env["PYTHONUNBUFFERED"] = "1"
        full_env.update(env or {})
        self._err = open(log, "ab")  # noqa: SIM115 - closed in wait()
        self.proc = subprocess.Popen([sys.executable, "-m", "sre_agent", "serve", "--port", str(self.port),
                                      *map(str, args)], stdout=self._err, stderr=self._err, env=full_env)

    def wait_up(self, timeout: float = 60) -> "ServeProcess":
        deadline = time.monotonic() + timeout
        with session() as s:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"serve exited with {self.proc.returncode}: {self.log.read_text(errors='replace')}")
                try:
                    if s.get(self.url + "/healthz", timeout=1).status_code == 200:
                        return self
                except requests.RequestException:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"serve did not come up within {timeout} s: {self.log.read_text(errors='replace')}")

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._err.close()

    def stop(self) -> None:
        """Make sure the process is gone (test teardown)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.wait(10)
