"""Firing alerts from a live Alertmanager (v2 API).

``GET /api/v2/alerts?active=true&silenced=false&inhibited=false`` returns gettable alerts
(``labels``, ``annotations``, ``startsAt``, ``fingerprint``, ``status.state`` ...); each becomes an
:class:`~sre_agent.models.Alert` with ``state="firing"``.  :func:`alerts_from_webhook` does the
same for a webhook payload (version 4), which ``serve`` receives.

Example::

    firing = AlertmanagerBackend("http://127.0.0.1:9093").alerts()
"""

from __future__ import annotations

import threading
from typing import Any

from ..models import Alert, SourceProblem
from ._redact import one_line
from ._retry import BackendRequestError, RetryPolicy, get_json, plain_session
from .base import BackendUnavailable
from .kubernetes import parse_k8s_time


def _str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def alert_from_json(item: dict[str, Any]) -> Alert | None:
    """An Alertmanager alert object (v2 API or webhook) -> :class:`Alert`; ``None`` without a name."""
    labels = _str_map(item.get("labels"))
    name = labels.get("alertname", "")
    if not name:
        return None
    status = item.get("status")
    state = "firing"
    if isinstance(status, dict) and status.get("state") not in (None, "active", "unprocessed"):
        state = str(status.get("state"))
    elif isinstance(status, str) and status != "firing":
        state = status
    return Alert(name=name, labels=labels, annotations=_str_map(item.get("annotations")), state=state,
                 active_at=parse_k8s_time(item.get("startsAt")), fingerprint=str(item.get("fingerprint") or ""))


def alerts_from_webhook(payload: dict[str, Any]) -> list[Alert]:
    """The firing alerts of an Alertmanager webhook payload."""
    out = [alert_from_json(a) for a in payload.get("alerts") or [] if isinstance(a, dict)]
    return [a for a in out if a is not None and a.state == "firing"]


class AlertmanagerBackend:
    """Read-only client of Alertmanager's ``/api/v2/alerts``."""

    name = "alertmanager"

    def __init__(self, url: str, *, headers: dict[str, str] | None = None, verify_tls: bool = True,
                 policy: RetryPolicy | None = None) -> None:
        self.url = url.rstrip("/")
        self._headers = dict(headers or {})
        self._policy = policy or RetryPolicy()
        self._session = plain_session()
        self._session.verify = verify_tls
        self._problems: dict[str, SourceProblem] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AlertmanagerBackend({self.url!r})"

    @classmethod
    def from_config(cls, cfg: Any, policy: RetryPolicy | None = None) -> "AlertmanagerBackend":
        return cls(cfg.url, headers=cfg.auth_headers(), verify_tls=cfg.verify_tls, policy=policy)

    def fetch(self) -> list[Alert]:
        """The active, unsilenced, uninhibited alerts; raises ``BackendUnavailable`` / ``BackendRequestError``."""
        data = self._policy.call(
            f"alertmanager {self.url}", get_json, self._session, self.url + "/api/v2/alerts",
            params={"active": "true", "silenced": "false", "inhibited": "false"},
            headers=self._headers, timeout=self._policy.timeout)
        if not isinstance(data, list):
            raise BackendRequestError(f"alertmanager {self.url}: /api/v2/alerts did not return a list")
        alerts = [alert_from_json(a) for a in data if isinstance(a, dict)]
        return sorted((a for a in alerts if a is not None), key=lambda a: (a.active_at or 0.0, a.name, a.key))

    def check(self) -> None:
        self.fetch()

    def alerts(self) -> list[Alert]:
        try:
            return self.fetch()
        except (BackendUnavailable, BackendRequestError) as exc:
            with self._lock:
                self._problems["alerts"] = SourceProblem(source=self.name, problem=one_line(f"alerts: {exc}"))
            return []

    def problems(self) -> list[SourceProblem]:
        with self._lock:
            return list(self._problems.values())

    def close(self) -> None:
        self._session.close()
