"""Is a model's answer usable by its role?  The check behind "give up on an unusable model".

Every role has one answer shape: the planner a ``PLAN`` block, the verifier a ``VERDICTS``
block, the summarizer a ``SUMMARY`` block (each: the marker, then one JSON object), the
investigator tool calls (or ``NO STEPS``).  :func:`check_answer` returns ``None`` for a usable
answer, else an :class:`Unusable` with a one-line reason and its kind:

* ``format`` -- the answer is not in the role's shape (prose, broken JSON, cut off at
  ``max_tokens``, a call to a tool that does not exist, arguments that are not a JSON object).
  The MAST annotator reads it as FM-1.1 (disobey task specification: the task says how to answer).
* ``role`` -- the answer is another role's work: the planner, verifier or summarizer calling
  tools, the investigator writing a plan or verdicts, one role answering with another's marker.
  Read as FM-1.2 (disobey role specification).

Example:
    >>> check_answer("planner", 'PLAN\\n{"action": "investigate"}') is None
    True
    >>> check_answer("planner", "I think the cart service is down.").kind
    'format'
    >>> check_answer("investigator", 'PLAN\\n{"action": "verify"}').kind
    'role'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from autogen_core import FunctionCall

#: the marker each text-answering role starts its answer with
MARKERS = {"planner": "PLAN", "verifier": "VERDICTS", "summarizer": "SUMMARY"}
#: the MAST mode each kind of unusable answer is read as
MAST_OF_KIND = {"format": "1.1", "role": "1.2"}
#: what a re-asked role is reminded of
EXPECTED = {
    "planner": 'the word PLAN on the first line, then one JSON object {"action": ..., "hypotheses": [...], '
               '"steps": [...], "root_causes": [...]} and nothing else',
    "verifier": 'the word VERDICTS on the first line, then one JSON object {"verdicts": [{"entity": ..., '
                '"verdict": "confirmed" | "rejected", "checks": [...], "reason": ...}]} and nothing else',
    "summarizer": 'the word SUMMARY on the first line, then one JSON object {"evidence": [...], '
                  '"open_questions": [...]} and nothing else',
    "investigator": "one tool call per pending step (a tool from the list, arguments as a JSON object), "
                    "or the words NO STEPS when no step is pending",
}


@dataclass(frozen=True)
class Unusable:
    """Why an answer cannot be used: ``kind`` (format | role) and a one-line ``reason``."""

    kind: str
    reason: str

    @property
    def mast(self) -> str:
        return MAST_OF_KIND[self.kind]


def parse_block(text: str, marker: str) -> tuple[dict[str, Any] | None, str]:
    """The JSON object after ``marker`` in ``text`` and ``""``, or ``None`` and what is wrong.

    >>> parse_block('PLAN\\n{"a": 1} trailing', "PLAN")
    ({'a': 1}, '')
    >>> parse_block('PLAN {"a": ', "PLAN")[1]
    'the JSON object after PLAN does not parse (Expecting value)'
    """
    text = (text or "").strip()
    idx = text.find(marker)
    if idx < 0:
        return None, f"no {marker} marker"
    body = text[idx + len(marker):].strip()
    start = body.find("{")
    if start < 0:
        return None, f"no JSON object after {marker}"
    try:
        value, _ = json.JSONDecoder().raw_decode(body[start:])
    except json.JSONDecodeError as exc:
        return None, f"the JSON object after {marker} does not parse ({exc.msg})"
    if not isinstance(value, dict):
        return None, f"the JSON after {marker} is not an object"
    return value, ""


def _other_marker(role: str, text: str) -> str | None:
    head = text.lstrip()[:40]
    return next((m for r, m in MARKERS.items() if r != role and head.startswith(m)), None)


def check_answer(role: str, content: str | Sequence[FunctionCall], tools: Iterable[str] = (),
                 finish_reason: str = "") -> Unusable | None:
    """``None`` if ``content`` is a usable answer of ``role``, else why not (see the module doc).

    ``tools`` are the names the call offered (investigator); ``finish_reason`` ``length`` says
    the answer was cut at ``max_tokens``.  Roles without a shape (``None`` role) always pass.
    """
    cut = " (cut off at max_tokens)" if finish_reason == "length" else ""
    if role == "investigator":
        if isinstance(content, str):
            text = content.strip()
            if text.startswith("NO STEPS"):
                return None
            other = _other_marker(role, text)
            if other:
                return Unusable("role", f"the investigator answered with a {other} instead of tool calls")
            return Unusable("format", "no tool call: the investigator answered with text" + cut)
        if not content:
            return Unusable("format", "an empty list of tool calls")
        known = set(tools)
        for call in content:
            if known and call.name not in known:
                return Unusable("format", f"a call to {call.name!r}, which is not one of the tools")
            try:
                args = json.loads(call.arguments or "{}")
            except (json.JSONDecodeError, TypeError):
                return Unusable("format", f"the arguments of {call.name} are not JSON" + cut)
            if not isinstance(args, dict):
                return Unusable("format", f"the arguments of {call.name} are not a JSON object")
        return None
    marker = MARKERS.get(role)
    if marker is None:
        return None
    if not isinstance(content, str):
        names = ", ".join(sorted({c.name for c in content}))[:80]
        return Unusable("role", f"the {role} called tools ({names}) instead of answering {marker}")
    parsed, why = parse_block(content, marker)
    if parsed is not None:
        return None
    other = _other_marker(role, content)
    if other:
        return Unusable("role", f"the {role} answered with a {other} block instead of {marker}")
    return Unusable("format", why + cut)


def reask_text(role: str, problem: Unusable) -> str:
    """The message that re-asks a role once, with what was wrong with its answer."""
    return (f"ANSWER NOT USABLE: {problem.reason}. Answer again, with {EXPECTED.get(role, 'the expected format')}.")


def excerpt(content: str | Sequence[FunctionCall], limit: int = 200) -> str:
    """A short one-line excerpt of an answer for the trace."""
    if not isinstance(content, str):
        content = json.dumps([{"name": c.name, "arguments": c.arguments} for c in content])
    return " ".join(content.split())[:limit]


__all__ = ["EXPECTED", "MARKERS", "MAST_OF_KIND", "Unusable", "check_answer", "excerpt", "parse_block", "reask_text"]
