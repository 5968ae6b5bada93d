"""Live-mode configuration (``configs/live.yaml``): where the real sources are, how to reach them.

Credentials never live in the file: a source names the environment variable holding its bearer
token (``token_env: PROMETHEUS_TOKEN``); :meth:`SourceConfig.token` reads it and registers the
value with :func:`redact` so it can never show up in an error message, a log line or a trace.

Example:
    >>> cfg = LiveConfig.model_validate({"prometheus": {"url": "http://127.0.0.1:9090"}})
    >>> cfg.prometheus.url, cfg.jaeger is None, cfg.policy_for(cfg.prometheus).attempts
    ('http://127.0.0.1:9090', True, 3)
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..config import read_yaml_mapping
from ..errors import ConfigError
from ._redact import MASK, one_line, redact, register_secret
from ._retry import RetryPolicy

__all__ = [
    "AlertmanagerConfig", "JaegerConfig", "KubernetesConfig", "LiveConfig", "PrometheusConfig",
    "TimeoutsConfig", "load_live_config", "redact", "MASK",
]

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TimeoutsConfig(_Strict):
    timeout_s: float = Field(5.0, gt=0, le=600)
    attempts: int = Field(3, ge=1, le=20)
    backoff_initial_s: float = Field(0.2, ge=0, le=60)
    backoff_max_s: float = Field(2.0, ge=0, le=600)
    jitter_s: float = Field(0.2, ge=0, le=60)
    deadline_s: float | None = Field(30.0, gt=0)

    def policy(self) -> RetryPolicy:
        return RetryPolicy(timeout=self.timeout_s, attempts=self.attempts, backoff_initial=self.backoff_initial_s,
                           backoff_max=self.backoff_max_s, jitter=self.jitter_s, deadline=self.deadline_s)


class SourceConfig(_Strict):
    enabled: bool = True
    token_env: str | None = None
    verify_tls: bool = True
    timeouts: TimeoutsConfig | None = None

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            # never echo the value: someone may have pasted the token itself here
            raise ValueError("must be the NAME of an environment variable (letters, digits, _), not a token")
        return value

    def token(self) -> str | None:
        """The bearer token from ``token_env`` (registered for redaction), or ``None``."""
        if not self.token_env:
            return None
        value = os.environ.get(self.token_env) or None
        register_secret(value)
        return value

    def auth_headers(self) -> dict[str, str]:
        token = self.token()
        return {"Authorization": f"Bearer {token}"} if token else {}


class _HTTPSource(SourceConfig):
    #: required unless the source is disabled (``enabled: false``)
    url: str | None = None

    @model_validator(mode="after")
    def _url_when_enabled(self) -> "_HTTPSource":
        if self.enabled and not self.url:
            raise ValueError("url is required (or enabled: false)")
        return self

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        if re.match(r"^https?://[^/\s]*@", value):
            raise ValueError("must not carry credentials (user:password@); use token_env")
        return value


class PrometheusConfig(_HTTPSource):
    pass


class JaegerConfig(_HTTPSource):
    max_traces: int = Field(200, ge=1, le=5000)


class AlertmanagerConfig(_HTTPSource):
    pass


class KubernetesConfig(SourceConfig):
    kubeconfig: str | None = None
    context: str | None = None
    namespaces: list[str] = Field(default_factory=list)
    log_tail_lines: int = Field(500, ge=1, le=100000)
    max_log_pods: int = Field(20, ge=1, le=1000)
    #: list Namespaces and Nodes (cluster-scoped); false under a namespaced Role (deploy/namespaced/)
    cluster_reads: bool = True


class LiveConfig(_Strict):
    kubernetes: KubernetesConfig | None = None
    prometheus: PrometheusConfig | None = None
    jaeger: JaegerConfig | None = None
    alertmanager: AlertmanagerConfig | None = None
    timeouts: TimeoutsConfig = Field(default_factory=TimeoutsConfig)
    lookback_s: float = Field(3600.0, gt=0)

    def policy_for(self, source: SourceConfig | None) -> RetryPolicy:
        """The retry policy of a source: its own ``timeouts`` block, else the global one."""
        own = source.timeouts if source is not None else None
        return (own or self.timeouts).policy()

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary for traces and reports: URLs and env var names, never a value."""
        out: dict[str, Any] = {"lookback_s": self.lookback_s}
        for name in ("kubernetes", "prometheus", "jaeger", "alertmanager"):
            src = getattr(self, name)
            if src is None or not src.enabled:
                out[name] = None
                continue
            item = {"token_env": src.token_env}
            if hasattr(src, "url"):
                item["url"] = redact(src.url)
            if isinstance(src, KubernetesConfig):
                item.update(context=src.context, namespaces=list(src.namespaces))
            out[name] = item
        return out


#: Largest live config file read (real ones are a few kilobytes).


def packaged_live_config() -> Any:
    return resources.files("sre_agent.configs").joinpath("live.yaml")


def load_live_config(path: Path | str | None = None) -> LiveConfig:
    """Read a live config file (default: the packaged ``configs/live.yaml``); :class:`ConfigError` if bad."""
    source: Any = Path(path) if path is not None else packaged_live_config()
    data = read_yaml_mapping(source, "live config")  # size-limited, one-line errors
    run_keys = sorted(set(data) - set(LiveConfig.model_fields))
    if run_keys and not set(data) & set(LiveConfig.model_fields):
        raise ConfigError(f"live config {source}: a run configuration ({', '.join(run_keys)}), not a live-mode "
                          "config: give it with --config (--live-config names the live sources, configs/live.yaml)")
    try:
        return LiveConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()))
        # pydantic's message never includes the input value with include_input=False semantics,
        # but be safe: redact and keep it to one line
        raise ConfigError(f"live config {source}: {loc}: {one_line(err.get('msg', 'invalid'), 160)}") from None
