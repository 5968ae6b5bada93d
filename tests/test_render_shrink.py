"""A tool result whose findings alone exceed the character budget still renders (the data it
drops to fit can always get shorter: no endless shrinking of a two-item list or a marker)."""

from __future__ import annotations

import json

from sre_agent.state import Finding
from sre_agent.tools.base import ToolOutput, render_output


def test_rendering_ends_when_the_findings_alone_are_too_big():
    findings = [Finding(entity=f"ns/Pod/p{i}", signal="oomkilled", detail="x" * 120) for i in range(40)]
    for data in ({"rows": [{"a": "y" * 50}, {"b": "z" * 50}]}, {"short": "s"}, {"rows": ["a" * 60, "b" * 60, "c" * 60]}):
        text, cut = render_output("call_1", "get_events", ToolOutput(summary="s", findings=findings, data=data), 100, 2000)
        assert cut and len(text) <= 2000
        assert json.loads(text)["findings_truncated"]
