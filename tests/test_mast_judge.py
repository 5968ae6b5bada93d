"""The LLM judge: strict parsing of '<id>: yes|no' lines, prompt content, replay client."""

from __future__ import annotations

import asyncio

import pytest
from autogen_ext.models.replay import ReplayChatCompletionClient

from mast_traces import build
from sre_agent.mast import MODE_IDS, LLMJudgeAnnotator, parse_verdicts, render_trace

GOOD = "\n".join(f"{m}: {'yes' if m in ('1.3', '3.3') else 'no'}" for m in MODE_IDS) + "\ntask_completion: no"


def test_parse_good_answer() -> None:
    labels, problems, done = parse_verdicts("Here are my labels.\n" + GOOD)
    assert labels == {m: int(m in ("1.3", "3.3")) for m in MODE_IDS}
    assert problems == {} and done is False


def test_parse_accepts_bullets_prefix_and_case() -> None:
    text = "\n".join(f"- FM-{m}: YES" for m in MODE_IDS)
    labels, problems, done = parse_verdicts(text)
    assert set(labels.values()) == {1} and problems == {} and done is None


@pytest.mark.parametrize("line", ["1.4: maybe", "1.4: yes, because it forgot", "1.4 yes", "1.4: yes/no", "1.4:"])
def test_parse_ambiguous_line_is_none(line: str) -> None:
    text = "\n".join(f"{m}: no" for m in MODE_IDS if m != "1.4") + "\n" + line
    labels, problems, _ = parse_verdicts(text)
    assert labels["1.4"] is None and "not exactly" in problems["1.4"]
    assert all(labels[m] == 0 for m in MODE_IDS if m != "1.4")


def test_parse_missing_and_duplicate_lines_are_none() -> None:
    text = "\n".join(f"{m}: no" for m in MODE_IDS if m not in ("2.2", "3.1")) + "\n3.1: no\n3.1: no\n9.9: yes"
    labels, problems, _ = parse_verdicts(text)
    assert labels["2.2"] is None and problems["2.2"] == "no answer line"
    assert labels["3.1"] is None and problems["3.1"] == "duplicate answers"
    assert "9.9" in problems["parse"]
    assert sum(v is None for v in labels.values()) == 2


def test_render_trace_hides_ground_truth_and_fixes() -> None:
    events = build("1.3", inject=True)
    events[0]["config"]["failure_rates"] = {"1.3": 0.5}
    text = render_trace(events)
    assert "injected_failure" not in text and " fix " not in text and "test fault" not in text
    assert "failure_rates" not in text and "loop_breaker" not in text and "max_tool_calls" in text
    assert "trace_errors" in text and text.startswith("#0 run_start")


def test_render_trace_is_cut() -> None:
    text = render_trace(build(None), max_chars=300)
    assert len(text) < 700 and "more events not shown" in text


def test_judge_with_replay_client() -> None:
    client = ReplayChatCompletionClient([GOOD])
    ann = LLMJudgeAnnotator(client).annotate(build("1.3"))
    assert ann.present() == ["1.3", "3.3"] and ann.annotator == "llm-judge"
    assert ann.task_completion is False and ann.taxonomy == "mast-v3-paper-names"
    sent = client.create_calls[0]["messages"]
    assert "3.2 No or Incomplete Verification" in sent[0].content
    assert "<id>: yes|no" in sent[0].content
    assert "injected_failure" not in sent[1].content


def test_judge_bad_answer_notes_and_none() -> None:
    client = ReplayChatCompletionClient(["1.1: yes\n1.1: no"])
    ann = LLMJudgeAnnotator(client).annotate(build(None))
    assert all(v is None for v in ann.labels.values())
    assert ann.notes["1.1"] == "judge: duplicate answers" and ann.notes["3.3"] == "judge: no answer line"


def test_judge_inside_running_loop() -> None:
    async def inner() -> list[str]:
        return LLMJudgeAnnotator(ReplayChatCompletionClient([GOOD])).annotate(build(None)).present()

    assert asyncio.run(inner()) == ["1.3", "3.3"]


def test_a_schema_constrained_answer_is_read_and_the_endpoint_parameters_go_with_the_call() -> None:
    """With an endpoint client (``call_args``), the judge sends the profile's per-call parameters
    (``max_tokens``, the JSON schema of one yes/no per mode) and reads the JSON answer, marker and
    all, like the line format."""
    import json

    from sre_agent.llm.schemas import MAST_LABELS_SCHEMA, response_format

    answer = "MAST LABELS\n" + json.dumps({**{m: "yes" if m == "1.5" else "no" for m in MODE_IDS}, "task_completion": "no"})

    class Endpointish(ReplayChatCompletionClient):
        sent: list[dict] = []

        def call_args(self, role: str) -> dict:
            return {"max_tokens": 256, "response_format": response_format(role, "json_object_schema")}

        async def create(self, messages, **kwargs):  # type: ignore[no-untyped-def]
            self.sent.append(kwargs)
            return await super().create(messages)

    client = Endpointish([answer])
    ann = LLMJudgeAnnotator(client).annotate(build(None))
    assert ann.labels == {m: int(m == "1.5") for m in MODE_IDS} and ann.task_completion is False and not ann.notes
    args = client.sent[0]["extra_create_args"]
    assert args["max_tokens"] == 256 and args["response_format"]["schema"]["required"] == MAST_LABELS_SCHEMA["required"]
