"""The investigator's workbench: every tool call goes through the orchestrator (fixes, budget, trace)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from autogen_core import CancellationToken
from autogen_core.tools import TextResultContent, ToolResult, ToolSchema, Workbench


class ToolRunner(Protocol):
    """What the workbench needs of the orchestrator: the tools, and a guarded way to call one."""

    @property
    def tools(self) -> Mapping[str, Any]: ...
    @property
    def tool_calls(self) -> int: ...

    async def call_tool(self, agent: str, name: str, args: Mapping[str, Any] | None, call_id: str) -> tuple[str, bool]: ...


class GuardedWorkbench(Workbench):
    """The investigator's tools: every call passes the orchestrator's fixes, budget and trace."""

    def __init__(self, orch: ToolRunner, agent: str = "investigator") -> None:
        self._orch = orch
        self._agent = agent

    async def list_tools(self) -> list[ToolSchema]:
        return [t.schema() for t in self._orch.tools.values()]

    async def call_tool(self, name: str, arguments: Mapping[str, Any] | None = None,
                        cancellation_token: CancellationToken | None = None, call_id: str | None = None) -> ToolResult:
        text, is_error = await self._orch.call_tool(self._agent, name, arguments, call_id or f"anon_{self._orch.tool_calls}")
        return ToolResult(name=name, result=[TextResultContent(content=text)], is_error=is_error)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def reset(self) -> None:
        return None

    async def save_state(self) -> Mapping[str, Any]:
        return {}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        return None


__all__ = ["GuardedWorkbench", "ToolRunner"]
