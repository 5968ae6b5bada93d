"""The gold-set label files: one JSON object per line, one line per trace id.

A line of ``labels/pass-a.jsonl``, ``labels/pass-b.jsonl``, ``labels/pass-c.jsonl`` (the independent passes),
``labels/adjudicated.jsonl`` (the gold) or ``labels/judge.jsonl`` (an LLM judge)::

    {"id": "3f2a9c01b7e4", "labeller": "A", "labels": {"1.1": 0, ..., "3.3": 1},
     "task_completion": false, "reasons": {"3.3": "confirms cart although its log check failed (#23)"},
     "adjudication": ""}

Every one of the 14 ids is 0 or 1 (``null`` only in a judge's file: the judge gave no usable
answer), every positive has a one-line reason, and in ``adjudicated.jsonl`` a trace on which
the passes disagreed has a written ``adjudication``.

Example:
    >>> row = GoldLabels.model_validate({"id": "t1", "labeller": "A", "labels": {m: 0 for m in MODE_IDS},
    ...                                  "task_completion": True})
    >>> row.positives()
    []
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator

from sre_agent.errors import InputError

from ..definitions import MODE_IDS

PASS_A, PASS_B, ADJUDICATED, JUDGE = "pass-a.jsonl", "pass-b.jsonl", "adjudicated.jsonl", "judge.jsonl"
#: the third pass (issue 24): every trace relabelled blind under CONVENTIONS.md
PASS_C = "pass-c.jsonl"


class GoldLabels(BaseModel):
    """The labels one labeller gave one trace."""

    id: str
    labeller: str = ""
    labels: dict[str, int | None]
    task_completion: bool | None = None
    reasons: dict[str, str] = Field(default_factory=dict)
    adjudication: str = ""

    @model_validator(mode="after")
    def _complete(self) -> "GoldLabels":
        if set(self.labels) != set(MODE_IDS):
            raise ValueError(f"labels must hold exactly the 14 ids, missing {sorted(set(MODE_IDS) - set(self.labels))}")
        bad = {k: v for k, v in self.labels.items() if v not in (0, 1, None)}
        if bad:
            raise ValueError(f"labels are 0 or 1, got {bad}")
        return self

    def positives(self) -> list[str]:
        """The ids labelled 1, in taxonomy order."""
        return [m for m in MODE_IDS if self.labels.get(m) == 1]


def read_labels(path: Path, human: bool = True) -> dict[str, GoldLabels]:
    """trace id -> labels, from one ``.jsonl`` label file.  ``human`` labels must be complete
    (no ``null``) with a reason for every positive; :class:`InputError` names the bad line."""
    out: dict[str, GoldLabels] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = GoldLabels.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            first = str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else exc.errors()[0]["msg"]
            raise InputError(f"{path}:{n}: not a label line ({first})") from None
        if human:
            if any(v is None for v in row.labels.values()):
                raise InputError(f"{path}:{n}: {row.id}: a human pass labels every mode 0 or 1")
            missing = [m for m in row.positives() if not row.reasons.get(m, "").strip()]
            if missing:
                raise InputError(f"{path}:{n}: {row.id}: no reason for positive mode(s) {', '.join(missing)}")
        if row.id in out:
            raise InputError(f"{path}:{n}: trace id {row.id} labelled twice")
        out[row.id] = row
    return out


def write_labels(path: Path, rows: list[GoldLabels] | list[dict[str, Any]]) -> None:
    """Write label rows as ``.jsonl`` (sorted by id)."""
    models = [r if isinstance(r, GoldLabels) else GoldLabels.model_validate(r) for r in rows]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("".join(json.dumps(r.model_dump(), sort_keys=False) + "\n"
                                  for r in sorted(models, key=lambda r: r.id)), encoding="utf-8")


def check_adjudication(a: dict[str, GoldLabels], b: dict[str, GoldLabels], gold: dict[str, GoldLabels]) -> list[str]:
    """Problems: a trace labelled by the passes but not adjudicated, or one where the passes
    disagree and the adjudicated line has no written ``adjudication``."""
    problems = []
    for tid in sorted(set(a) & set(b)):
        if tid not in gold:
            problems.append(f"{tid}: labelled by both passes but not adjudicated")
        elif a[tid].labels != b[tid].labels and not gold[tid].adjudication.strip():
            problems.append(f"{tid}: the passes disagree on {', '.join(m for m in MODE_IDS if a[tid].labels[m] != b[tid].labels[m])}"
                            " but the adjudication gives no reason")
    return problems
