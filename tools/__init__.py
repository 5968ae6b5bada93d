"""The agents' tools, one module per data source (HolmesGPT-style toolsets).

A tool is a name, a description an LLM reads, a typed signature and one function; backends
swap behind it.  Every tool is read-only.

Example:
    >>> sorted(t.name for t in all_tools())[:3]
    ['analyze_cluster', 'call_graph', 'describe']
"""

from __future__ import annotations

from . import alerts, events, kubernetes, logs, metrics, state, traces
from .base import Tool, ToolContext, ToolOutput, ToolResult, execute


def all_tools() -> list[Tool]:
    """Every tool, in a stable order."""
    return [*alerts.TOOLS, *traces.TOOLS, *kubernetes.TOOLS, *events.TOOLS, *logs.TOOLS, *metrics.TOOLS, *state.TOOLS]


__all__ = ["Tool", "ToolContext", "ToolOutput", "ToolResult", "all_tools", "execute"]
