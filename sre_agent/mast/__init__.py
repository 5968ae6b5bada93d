"""MAST self-evaluation: label a run's ``trace.jsonl`` with the 14 MAST failure modes.

Two annotators share one interface (:class:`Annotator`): :class:`StructuralAnnotator` (rules
over the trace, no model) and :class:`LLMJudgeAnnotator` (a chat model answers one line per
mode).  :func:`annotate_run` labels a run folder and writes its ``mast.json``.
"""

from __future__ import annotations

from ._llm_judge import LLMJudgeAnnotator, parse_verdicts, render_trace
from ._structural import StructuralAnnotator
from .base import Annotation, Annotator, observable_events
from .definitions import MODE_IDS, MODES, TAXONOMY, FailureMode
from .run import annotate_run, load_events

__all__ = [
    "Annotation", "Annotator", "FailureMode", "LLMJudgeAnnotator", "MODES", "MODE_IDS",
    "StructuralAnnotator", "TAXONOMY", "annotate_run", "load_events", "observable_events",
    "parse_verdicts", "render_trace",
]
