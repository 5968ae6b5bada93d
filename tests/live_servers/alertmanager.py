"""A real ``prometheus-alertmanager`` routing every alert to one webhook.

Example::

    with AlertmanagerServer(f"{hook.url}/hook", workdir) as am:
        am.post_alerts(alerts_to_alertmanager(snapshot.alerts()))
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import requests

from ._process import ALERTMANAGER, free_port, rfc3339, stop, wait_http


class AlertmanagerServer:
    """``prometheus-alertmanager`` on a free port, every alert routed to ``webhook_url``."""

    def __init__(self, webhook_url: str, workdir: Path, port: int | None = None, group_wait: str = "1s") -> None:
        self.webhook_url = webhook_url
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.group_wait = group_wait
        self.proc: subprocess.Popen | None = None
        self._log_file: Any = None

    def __enter__(self) -> "AlertmanagerServer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        cfg = self.workdir / "alertmanager.yml"
        cfg.write_text(
            "route:\n"
            "  receiver: sre-agent\n"
            "  group_by: ['alertname', 'namespace']\n"
            f"  group_wait: {self.group_wait}\n"
            "  group_interval: 5s\n"
            "  repeat_interval: 1h\n"
            "receivers:\n"
            "  - name: sre-agent\n"
            "    webhook_configs:\n"
            f"      - url: '{self.webhook_url}'\n"
            "        send_resolved: false\n")
        log = self.workdir / "alertmanager.log"
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={cfg}", f"--storage.path={self.workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address=", "--log.level=warn"],
            stdout=self._log_file, stderr=subprocess.STDOUT, cwd=self.workdir)
        try:
            wait_http(f"{self.url}/-/ready", 30, self.proc, log)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """POST alerts (``[{labels, annotations, startsAt?}]``) to ``/api/v2/alerts``."""
        session = requests.Session()
        session.trust_env = False
        r = session.post(f"{self.url}/api/v2/alerts", json=alerts, timeout=5)
        r.raise_for_status()

    def __exit__(self, *exc: Any) -> None:
        stop(self.proc)
        if self._log_file:
            self._log_file.close()


def alerts_to_alertmanager(alerts: Iterable[Any]) -> list[dict[str, Any]]:
    """:class:`~sre_agent.models.Alert` records -> ``POST /api/v2/alerts`` bodies (still firing)."""
    out = []
    for a in alerts:
        item: dict[str, Any] = {"labels": {"alertname": a.name, **a.labels}, "annotations": dict(a.annotations)}
        if a.active_at:
            item["startsAt"] = rfc3339(a.active_at)
        out.append(item)
    return out
