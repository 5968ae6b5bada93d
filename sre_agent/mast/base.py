"""The annotator interface and the annotation record.

An :class:`Annotator` reads the events of one run's ``trace.jsonl`` and returns an
:class:`Annotation`: a label for every one of the 14 MAST modes (1 present, 0 absent, ``None``
when this annotator cannot tell), the trace ``seq`` numbers that show each present mode, and
notes.  ``injected_failure`` and ``fix`` events are the ground truth and the record of the
structural fixes; no annotator may look at them (:func:`observable_events` removes them).

Example:
    >>> a = Annotation.empty("demo")
    >>> a.labels["1.3"] is None, a.taxonomy
    (True, 'mast-v3-paper-names')
    >>> sorted(a.to_mast_json())[:3]
    ['1.1', '1.2', '1.3']
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from .definitions import MODE_IDS, TAXONOMY

#: event types an annotator must never read to decide a label
HIDDEN_EVENT_TYPES = frozenset({"injected_failure", "fix"})


def observable_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events an annotator may read: everything but ``injected_failure`` and ``fix``."""
    return [e for e in events if e.get("type") not in HIDDEN_EVENT_TYPES]


class Annotation(BaseModel):
    """The MAST labels of one run."""

    labels: dict[str, int | None]
    evidence: dict[str, list[int]] = Field(default_factory=dict)
    notes: dict[str, str] = Field(default_factory=dict)
    task_completion: bool | None = None
    taxonomy: Literal["mast-v3-paper-names"] = TAXONOMY
    annotator: str

    @field_validator("labels")
    @classmethod
    def _all_modes(cls, labels: dict[str, int | None]) -> dict[str, int | None]:
        if set(labels) != set(MODE_IDS):
            missing = sorted(set(MODE_IDS) - set(labels))
            extra = sorted(set(labels) - set(MODE_IDS))
            raise ValueError(f"labels must have exactly the 14 MAST ids (missing {missing}, extra {extra})")
        bad = {k: v for k, v in labels.items() if v not in (0, 1, None)}
        if bad:
            raise ValueError(f"labels must be 0, 1 or None, got {bad}")
        return {k: labels[k] for k in MODE_IDS}

    @classmethod
    def empty(cls, annotator: str) -> "Annotation":
        """An annotation with every mode undetermined (``None``)."""
        return cls(labels={m: None for m in MODE_IDS}, annotator=annotator)

    def present(self) -> list[str]:
        """The ids labelled 1, in taxonomy order."""
        return [m for m in MODE_IDS if self.labels[m] == 1]

    def to_mast_json(self) -> dict[str, Any]:
        """The ``mast.json`` document: the 14 ids at top level (as MAST-Data) plus the metadata."""
        doc: dict[str, Any] = {m: self.labels[m] for m in MODE_IDS}
        doc.update(evidence={k: v for k, v in self.evidence.items() if v}, notes=dict(self.notes),
                   task_completion=self.task_completion, taxonomy=self.taxonomy, annotator=self.annotator)
        return doc


class Annotator(ABC):
    """Labels one run's trace with the 14 MAST failure modes."""

    #: a short name recorded in every annotation
    name: str = "annotator"

    @abstractmethod
    def annotate(self, events: list[dict[str, Any]]) -> Annotation:
        """Label the events of one trace (in ``seq`` order). Must ignore hidden event types."""
