"""Model clients: the deterministic offline reasoner, failure-injecting profiles, replay, and any
OpenAI-compatible endpoint through autogen-ext."""

from __future__ import annotations

import os

from autogen_core.models import ChatCompletionClient

from ..config import ModelProfile
from ..errors import ConfigError
from .offline import OfflineReasoner


def make_client(profile: ModelProfile, seed: int = 0) -> ChatCompletionClient:
    """The chat-completion client a model profile describes."""
    if profile.kind == "offline":
        if profile.failure_rates:
            from .profiles import FaultyReasoner
            return FaultyReasoner(profile.name, profile.failure_rates, seed)
        return OfflineReasoner()
    if profile.kind == "replay":
        from .replay import load_replay_client
        if not profile.replay_file:
            raise ConfigError(f"model profile {profile.name!r}: kind replay needs replay_file")
        return load_replay_client(profile.replay_file)
    if profile.kind == "openai":
        cfg = profile.openai
        if cfg is None:
            raise ConfigError(f"model profile {profile.name!r}: kind openai needs an 'openai:' section")
        key = os.environ.get(cfg.api_key_env) if cfg.api_key_env else "not-needed"
        if not key:
            raise ConfigError(f"model profile {profile.name!r}: environment variable {cfg.api_key_env} is not set")
        if cfg.api_key_env:
            from ..backends._redact import register_secret
            register_secret(key)  # masked in every error line, log record and trace text from now on
        from .endpoint import build_endpoint_client
        return build_endpoint_client(cfg, key)
    raise ConfigError(f"model profile {profile.name!r}: unknown kind {profile.kind!r}")


__all__ = ["OfflineReasoner", "make_client"]
