"""Structural MAST detectors: deterministic rules over the trace events, no model involved.

:class:`StructuralAnnotator` indexes the observable events of one run once (a
:class:`~sre_agent.mast.detectors.TraceIndex`) and runs the 14 detectors of
:mod:`sre_agent.mast.detectors` (one module per family; the exact rule of each detector is in
its docstring).  ``injected_failure`` and ``fix`` events are removed before any detector runs.

Example:
    >>> ev = [{"seq": 0, "type": "run_start", "config": {}, "alerts": ["a"], "neighbourhood": ["cart"]},
    ...       {"seq": 1, "type": "tool_call", "agent": "investigator", "call_id": "c1", "tool": "logs", "args": {"service": "cart"}},
    ...       {"seq": 2, "type": "tool_result", "call_id": "c1", "tool": "logs", "ok": True, "entities": []},
    ...       {"seq": 3, "type": "tool_call", "agent": "investigator", "call_id": "c2", "tool": "logs", "args": {"service": "cart"}},
    ...       {"seq": 4, "type": "tool_result", "call_id": "c2", "tool": "logs", "ok": True, "entities": []}]
    >>> a = StructuralAnnotator().annotate(ev)
    >>> a.labels["1.3"], a.evidence["1.3"]
    (1, [1, 3])
"""

from __future__ import annotations

from typing import Any

from .base import Annotation, Annotator
from .detectors import DETECTORS, Detection, TraceIndex, canonical_call, is_entity_id, task_completion
from .detectors._index import _emptied

__all__ = ["DETECTORS", "Detection", "StructuralAnnotator", "TraceIndex", "_emptied", "canonical_call",
           "is_entity_id", "task_completion"]


class StructuralAnnotator(Annotator):
    """Rule-based labels from the trace structure (see each ``detect_*`` for its rule)."""

    name = "structural"

    def annotate(self, events: list[dict[str, Any]]) -> Annotation:
        index = TraceIndex(events)
        labels: dict[str, int | None] = {}
        evidence: dict[str, list[int]] = {}
        notes: dict[str, str] = {}
        for mode, detect in DETECTORS.items():
            found = detect(index)
            labels[mode] = found.label
            if found.evidence:
                evidence[mode] = found.evidence
            if found.note:
                notes[mode] = found.note
        return Annotation(labels=labels, evidence=evidence, notes=notes,
                          task_completion=task_completion(index), annotator=self.name)
