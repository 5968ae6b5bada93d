"""Run configuration: model profile, fix switches, budgets, context and tool limits.

Layers, later wins: the packaged ``configs/default.yaml``; a user file (``--config``); the
command-line overrides (``--fix NAME=on|off`` repeatable, ``--fix all=off``, ``--model``,
``--seed``).  Model profiles are files ``configs/models/<name>.yaml`` (packaged, or in a
``models/`` folder beside the user's config file).

Example:
    >>> cfg = load_config(fixes=["all=off", "loop_breaker=on"], model="clean", seed=3)
    >>> cfg.fixes.loop_breaker, cfg.fixes.verification_gate, cfg.seed
    (True, False, 3)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .analysis.profile import AppProfile, load_app_profile
from .errors import ConfigError

FIX_NAMES = (
    "summarized_state", "termination_fsm", "verification_gate",
    "action_consistency", "task_anchoring", "loop_breaker",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FixesConfig(_Strict):
    """One switch per structural fix (see ``sre_agent.fixes``)."""

    summarized_state: bool = True
    termination_fsm: bool = True
    verification_gate: bool = True
    action_consistency: bool = True
    task_anchoring: bool = True
    loop_breaker: bool = True

    def enabled(self) -> list[str]:
        return [n for n in FIX_NAMES if getattr(self, n)]


class BudgetsConfig(_Strict):
    max_turns: int = Field(40, ge=1)
    max_tool_calls: int = Field(60, ge=0)
    max_wall_seconds: float = Field(300, gt=0)
    max_tokens_per_call: int = Field(8000, ge=256)
    max_tokens_per_run: int = Field(400000, ge=256)
    #: consecutive unusable answers (no parseable plan / tool call / verdict, each re-asked once)
    #: after which the run ends with stop_reason ``model_unusable``
    max_unusable_answers: int = Field(3, ge=1)


class ContextConfig(_Strict):
    own_messages: int = Field(2, ge=0)
    max_state_tokens: int = Field(5000, ge=200)


class ToolsConfig(_Strict):
    max_items: int = Field(25, ge=1)
    max_chars: int = Field(6000, ge=200)


class OpenAIConfig(_Strict):
    """An OpenAI-compatible endpoint and how each call to it is made (see README, "Model profiles")."""

    model: str
    base_url: str | None = None
    #: read base_url from this environment variable instead (e.g. a local server's port)
    base_url_env: str | None = None
    #: environment variable holding the API key; empty for servers that need none (vLLM, Ollama ...)
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.0
    #: per call; clipped to what is left of the run's wall-clock budget
    timeout_seconds: float = Field(60, gt=0)
    #: retries on 429 / 5xx / connection errors (tenacity, honouring Retry-After)
    max_retries: int = Field(3, ge=0)
    #: completion cap of every call (a small model otherwise generates until its context is full)
    max_tokens: int | None = Field(512, ge=1)
    stop: list[str] = Field(default_factory=list, max_length=4)
    #: "json_schema": plans, verdicts and summaries are asked for with a JSON schema
    #: (constrained decoding where the server supports it); "json_object_schema": the same in the
    #: dialect {"type": "json_object", "schema": ...} (llama-cpp-python's server); "none": free text
    response_format: Literal["none", "json_schema", "json_object_schema"] = "none"
    #: "constrained": every role's answer schema is built from the turn's state (tool, entity and
    #: hypothesis enums, capped text and lists; sre_agent.llm.decisions), sent as
    #: {"type": "json_object", "schema": ...}; "free": as response_format says
    decision_mode: Literal["free", "constrained"] = "free"
    #: calls in flight to this endpoint at once, across the threads and processes of one machine
    max_concurrency: int = Field(4, ge=1)
    #: a folder for the disk response cache (keyed by the full request); none: no cache
    cache: str | None = None
    price_per_1k_prompt: float = Field(0.0, ge=0)
    price_per_1k_completion: float = Field(0.0, ge=0)
    model_info: dict[str, Any] | None = None

    def request_params(self) -> dict[str, Any]:
        """What, besides the messages and tools, decides an answer (run keys, cache keys)."""
        return {"model": self.model, "base_url": self.base_url, "temperature": self.temperature,
                "max_tokens": self.max_tokens, "stop": list(self.stop), "response_format": self.response_format} \
            | ({"decision_mode": self.decision_mode} if self.decision_mode != "free" else {})


class ModelProfile(_Strict):
    """A model profile: the offline reasoner (optionally with injected failures) or an endpoint."""

    name: str = "clean"
    kind: Literal["offline", "openai", "replay"] = "offline"
    description: str = ""
    # Failure injection (offline profiles): MAST code -> probability per opportunity.
    failure_rates: dict[str, float] = Field(default_factory=dict)
    openai: OpenAIConfig | None = None
    replay_file: str | None = None
    #: the profile ignores the seed (same input, same answers): an ablation runs it once per
    #: scenario × setting instead of once per seed
    deterministic: bool = False


class RunConfig(_Strict):
    model: ModelProfile = Field(default_factory=ModelProfile)
    seed: int = 0
    fixes: FixesConfig = Field(default_factory=FixesConfig)
    budgets: BudgetsConfig = Field(default_factory=BudgetsConfig)
    context: ContextConfig = Field(default_factory=ContextConfig)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    #: an optional application profile (configs/apps/<name>.yaml or a path): a hint, never an assumption
    app_profile: AppProfile | None = None

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary for traces and reports (never any credential)."""
        return {
            "model": self.model.name, "model_kind": self.model.kind, "seed": self.seed,
            "fixes": self.fixes.model_dump(), "budgets": self.budgets.model_dump(),
            "context": self.context.model_dump(), "tools": self.tools.model_dump(),
            "failure_rates": dict(sorted(self.model.failure_rates.items())),
            "app_profile": self.app_profile.name if self.app_profile else None,
        } | ({"endpoint": self.model.openai.request_params()} if self.model.openai else {})


#: the top-level keys of a live-mode config (``configs/live.yaml``), to name the mix-up of the two files
LIVE_CONFIG_KEYS = frozenset({"kubernetes", "prometheus", "jaeger", "alertmanager", "timeouts", "lookback_s"})

#: Largest configuration / model-profile file read (real ones are a few kilobytes).
MAX_CONFIG_BYTES = 4 * 1024 * 1024


def read_yaml_mapping(path: Path | Any, what: str) -> dict[str, Any]:
    """A YAML file whose top level is a mapping (``{}`` when empty); :class:`ConfigError` otherwise.

    Refuses files over :data:`MAX_CONFIG_BYTES` before reading; every error is one line naming
    the file (``what`` says which kind of file it is).
    """
    try:
        if isinstance(path, Path) and path.is_file() and path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{what} {path}: {path.stat().st_size / 2**20:.0f} MiB is larger than the "
                              f"{MAX_CONFIG_BYTES // 2**20} MiB a configuration file may be")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} {path}: cannot be read ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what} {path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {path}: expected a YAML mapping at the top level")
    return data


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def packaged_configs() -> Any:
    """The packaged ``configs/`` folder (a Traversable)."""
    return resources.files("sre_agent.configs")


def list_model_profiles(extra_dir: Path | None = None) -> list[str]:
    names = {p.name[:-5] for p in packaged_configs().joinpath("models").iterdir() if p.name.endswith(".yaml")}
    if extra_dir and extra_dir.is_dir():
        names |= {p.stem for p in extra_dir.glob("*.yaml")}
    return sorted(names)


def load_model_profile(name: str, extra_dir: Path | None = None) -> ModelProfile:
    """Load ``configs/models/<name>.yaml`` (a user ``models/`` folder first, then the package)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ConfigError(f"model profile {name!r}: expected a profile name such as 'clean'")
    candidates: list[Any] = []
    if extra_dir is not None:
        candidates.append(extra_dir / f"{name}.yaml")
    candidates.append(packaged_configs().joinpath("models", f"{name}.yaml"))
    for cand in candidates:
        if cand.is_file():
            data = read_yaml_mapping(cand, "model profile")
            try:
                return ModelProfile(name=name, **data)
            except ValidationError as exc:
                raise ConfigError(f"model profile {cand}: {_first_error(exc)}") from None
    raise ConfigError(f"model profile {name!r} not found; known profiles: {', '.join(list_model_profiles(extra_dir))}")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()))
    return f"{loc}: {err.get('msg', 'invalid')}" if loc else err.get("msg", "invalid")


def parse_fix_overrides(items: Sequence[str]) -> dict[str, bool]:
    """Parse ``NAME=on|off`` items (``all`` = every fix) into switch values, in order."""
    out: dict[str, bool] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip().lower()
        if not sep or value not in {"on", "off", "true", "false", "1", "0"}:
            raise ConfigError(f"--fix {item!r}: expected NAME=on|off")
        flag = value in {"on", "true", "1"}
        if name == "all":
            out.update({n: flag for n in FIX_NAMES})
        elif name in FIX_NAMES:
            out[name] = flag
        else:
            raise ConfigError(f"--fix {item!r}: unknown fix {name!r}; known: all, {', '.join(FIX_NAMES)}")
    return out


def load_config(
    path: Path | None = None,
    fixes: Sequence[str] = (),
    model: str | None = None,
    seed: int | None = None,
) -> RunConfig:
    """Build a :class:`RunConfig` from the packaged defaults, a user file and overrides."""
    data = read_yaml_mapping(packaged_configs().joinpath("default.yaml"), "default config")
    user_models_dir = None
    if path is not None:
        path = Path(path)
        user = read_yaml_mapping(path, "config file")
        live_keys = sorted(set(user) & LIVE_CONFIG_KEYS)
        if live_keys and not set(user) & set(RunConfig.model_fields):
            raise ConfigError(f"config file {path}: a live-mode config ({', '.join(live_keys)}), not a run "
                              "configuration: give it with --live-config (--config is the agent's run "
                              "configuration, configs/default.yaml, in triage and serve alike)")
        data = _deep_merge(data, user)
        user_models_dir = path.parent / "models"
    if fixes:
        data["fixes"] = {**(data.get("fixes") or {}), **parse_fix_overrides(fixes)}
    if model is not None:
        data["model"] = model
    if seed is not None:
        data["seed"] = seed
    profile = data.get("model", "clean")
    if isinstance(profile, str):
        data["model"] = load_model_profile(profile, user_models_dir).model_dump()
    elif isinstance(profile, dict):
        data["model"] = {"name": "custom", **profile}
    if isinstance(data.get("app_profile"), str):
        data["app_profile"] = load_app_profile(data["app_profile"], path.parent if path is not None else None).model_dump()
    try:
        return RunConfig(**data)
    except ValidationError as exc:
        raise ConfigError(f"config: {_first_error(exc)}") from None
