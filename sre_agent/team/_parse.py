"""Reading an agent's answer: the JSON object after its marker line (``PLAN``, ``VERDICTS``, ``SUMMARY``).

Example:
    >>> parse_block('PLAN\\n{"action": "investigate", "steps": []} trailing words', "PLAN")
    {'action': 'investigate', 'steps': []}
    >>> parse_block("no marker here", "PLAN") is None
    True
"""

from __future__ import annotations

import json
from typing import Any


def parse_block(text: str, marker: str) -> dict[str, Any] | None:
    """The first JSON object after ``marker`` in ``text``, or None when there is none."""
    text = (text or "").strip()
    idx = text.find(marker)
    if idx < 0:
        return None
    body = text[idx + len(marker):].strip()
    start = body.find("{")
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(body[start:])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


__all__ = ["parse_block"]
