"""The 14 MAST failure modes, under the paper's names (``taxonomy: mast-v3-paper-names``).

MAST (Cemri et al., arXiv 2503.13657) sorts failures of multi-agent LLM systems into three
categories.  The ids ``"1.1"`` ... ``"3.3"`` are the keys of MAST-Data and of every
``mast.json`` this package writes.  Names follow the paper and the MAST-Data card: 3.2 is *no or
incomplete verification*, 3.3 is *incorrect verification* (the MAST repository's judge prompt
swaps the two).  The definitions are this project's own paraphrase, phrased for an SRE
diagnosis run.

Example:
    >>> MODE_IDS[0], MODE_IDS[-1], len(MODE_IDS)
    ('1.1', '3.3', 14)
    >>> MODES["3.2"].name
    'No or Incomplete Verification'
"""

from __future__ import annotations

from dataclasses import dataclass

TAXONOMY = "mast-v3-paper-names"

CATEGORIES = {
    "1": "System design issues",
    "2": "Inter-agent misalignment",
    "3": "Task verification",
}


@dataclass(frozen=True)
class FailureMode:
    """One MAST failure mode: its id, the paper's name, its category and our paraphrase."""

    id: str
    name: str
    category: str
    definition: str


_MODES = (
    FailureMode("1.1", "Disobey Task Specification", CATEGORIES["1"],
                "The result breaks an explicit constraint of the task: the answer has the wrong "
                "shape (a root cause that is not a namespace/Kind/name id) or is about something "
                "the task did not ask for (a namespace other than the alert's, with no evidence "
                "leading there)."),
    FailureMode("1.2", "Disobey Role Specification", CATEGORIES["1"],
                "An agent does work assigned to a different role: the planner runs tools, the "
                "verifier starts its own investigation or plans, the investigator issues verdicts."),
    FailureMode("1.3", "Step Repetition", CATEGORIES["1"],
                "A step that already completed is carried out again without anything new to learn "
                "from it, typically the very same tool with the very same arguments."),
    FailureMode("1.4", "Loss of Conversation History", CATEGORIES["1"],
                "The team loses track of what it had established and falls back to an older state: "
                "a hypothesis it had already dropped as ruled out comes back with no new evidence."),
    FailureMode("1.5", "Unaware of Termination Conditions", CATEGORIES["1"],
                "The team does not recognise when to stop: it runs until a budget or step limit "
                "cuts it off, or keeps investigating after the incident is already explained."),
    FailureMode("2.1", "Conversation Reset", CATEGORIES["2"],
                "The shared dialogue or state starts over in the middle of the run for no reason, "
                "discarding the hypotheses or evidence gathered so far."),
    FailureMode("2.2", "Fail to Ask for Clarification", CATEGORIES["2"],
                "An agent carries on although the information it has is ambiguous or missing, "
                "instead of asking the party that could resolve it."),
    FailureMode("2.3", "Task Derailment", CATEGORIES["2"],
                "The work drifts away from the incident at hand toward unrelated objectives, such "
                "as services or components that have nothing to do with the alert."),
    FailureMode("2.4", "Information Withholding", CATEGORIES["2"],
                "An agent holds information that another agent needs (an anomaly it observed) and "
                "never passes it on to the shared state."),
    FailureMode("2.5", "Ignored Other Agent's Input", CATEGORIES["2"],
                "An agent disregards what another agent reported or recommended, for example it "
                "keeps pursuing a root cause that the verifier has just rejected."),
    FailureMode("2.6", "Reasoning-Action Mismatch", CATEGORIES["2"],
                "What an agent does differs from what it said it would do: the executed action is "
                "not the announced one."),
    FailureMode("3.1", "Premature Termination", CATEGORIES["3"],
                "The run ends by choice before its objective is met: no confirmed root cause, an "
                "unexplained alert, or key evidence still missing."),
    FailureMode("3.2", "No or Incomplete Verification", CATEGORIES["3"],
                "Claims in the result were never checked against tool evidence, or only some of "
                "them were (a verdict resting on the model's word alone counts as unchecked)."),
    FailureMode("3.3", "Incorrect Verification", CATEGORIES["3"],
                "A check was carried out but reached the wrong verdict: a claim is declared "
                "verified although its own checks failed or the evidence it cites contradicts it."),
)

#: mode id -> mode, in taxonomy order
MODES: dict[str, FailureMode] = {m.id: m for m in _MODES}
#: the 14 ids, in taxonomy order
MODE_IDS: tuple[str, ...] = tuple(MODES)


def render_definitions() -> str:
    """The 14 modes as prompt text, one paragraph per mode."""
    return "\n".join(f"{m.id} {m.name} ({m.category}): {m.definition}" for m in _MODES)
