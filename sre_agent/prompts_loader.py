"""Loads the role prompts shipped in ``prompts/`` (installed as ``sre_agent.prompts``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

ROLES = ("planner", "investigator", "verifier", "summarizer")


@lru_cache(maxsize=None)
def load_prompt(role: str) -> str:
    """The system prompt of one role; its first line is ``ROLE: <role>``.

    >>> load_prompt("planner").splitlines()[0]
    'ROLE: planner'
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; known: {', '.join(ROLES)}")
    return resources.files("sre_agent.prompts").joinpath(f"{role}.md").read_text(encoding="utf-8")
