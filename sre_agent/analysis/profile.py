"""Application profiles: an optional, user-written description of an application (its call
graph, message consumers, which services evaluate which feature flag, which services emit no
traces).  A profile is a hint the reasoner adds to what telemetry shows, never an assumption:
without one, the call graph comes from traces, ownership from objects and flag targets from
the flag definitions and the services seen evaluating them.

Profiles are YAML files: packaged ones in ``configs/apps/<name>.yaml`` (``otel-demo``), or any
file given by path.  The run configuration selects one with ``app_profile:``.  The format is
documented in ``configs/apps/otel-demo.yaml`` and ``docs/app-profiles.md``.

Example:
    >>> p = AppProfile(calls={"web": ["api"], "api": ["db"]}, flags={"slowApi": ["api"]})
    >>> p.callees("web"), p.callers("db"), p.flag_targets("slowApi"), p.flag_targets("other")
    (['api'], ['api'], ['api'], [])
    >>> load_app_profile("otel-demo").namespace
    'otel-demo'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ConfigError

__all__ = ["AppProfile", "load_app_profile", "packaged_app_profiles"]


class AppProfile(BaseModel):
    """What a user knows about an application (every part optional)."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    namespace: str | None = None
    #: caller service -> services it calls synchronously
    calls: dict[str, list[str]] = Field(default_factory=dict)
    #: broker / topic service -> services consuming its messages
    consumers: dict[str, list[str]] = Field(default_factory=dict)
    #: feature-flag key -> services that evaluate it
    flags: dict[str, list[str]] = Field(default_factory=dict)
    #: services expected to emit no traces of their own (datastores, brokers, flag providers)
    backing: list[str] = Field(default_factory=list)

    @property
    def services(self) -> set[str]:
        """Every service the profile names."""
        out = set(self.calls) | set(self.consumers) | set(self.backing)
        for group in (self.calls, self.consumers, self.flags):
            for names in group.values():
                out |= set(names)
        return out

    def callees(self, service: str) -> list[str]:
        return sorted(set(self.calls.get(service, [])))

    def callers(self, service: str) -> list[str]:
        return sorted(a for a, cs in self.calls.items() if service in cs)

    def flag_targets(self, flag: str) -> list[str]:
        return sorted(set(self.flags.get(flag, [])))


def packaged_app_profiles() -> list[str]:
    """Names of the profiles shipped in ``configs/apps/``."""
    folder = resources.files("sre_agent.configs").joinpath("apps")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _locate(ref: str, base_dir: Path | None) -> Any:
    looks_like_path = "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml"))
    if looks_like_path:
        path = Path(ref).expanduser()
        if not path.is_absolute() and base_dir is not None and (base_dir / path).is_file():
            path = base_dir / path
        return path
    for cand in ([base_dir / "apps" / f"{ref}.yaml"] if base_dir is not None else []) + \
            [resources.files("sre_agent.configs").joinpath("apps", f"{ref}.yaml")]:
        if cand.is_file():
            return cand
    raise ConfigError(f"app profile {ref!r} not found; packaged profiles: {', '.join(packaged_app_profiles())}"
                      " (or give a path to a YAML file)")


def load_app_profile(ref: str, base_dir: Path | None = None) -> AppProfile:
    """The profile ``ref`` names: a packaged name (``otel-demo``), a user ``apps/<name>.yaml``
    beside the run configuration (``base_dir``), or a path.  Bad input -> one-line ConfigError."""
    from ..config import read_yaml_mapping  # late: config imports this module

    if not isinstance(ref, str) or not ref.strip():
        raise ConfigError("app_profile: expected a profile name such as 'otel-demo' or a path to a YAML file")
    where = _locate(ref.strip(), base_dir)
    data = read_yaml_mapping(where, "app profile")
    try:
        profile = AppProfile(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()))
        raise ConfigError(f"app profile {where}: {loc + ': ' if loc else ''}{err.get('msg', 'invalid')}") from None
    if not profile.name:
        profile.name = Path(str(where)).stem
    return profile
