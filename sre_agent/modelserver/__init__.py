"""An OpenAI-compatible chat-completion endpoint backed by the offline reasoner (or any offline
model profile), with optional seeded faults: a deterministic endpoint for tests and for users who
want to exercise an OpenAI client path without a model.

    python -m sre_agent model-server --port 8088 [--profile clean] [--fault-rate 429=0.1]
"""

from ._convert import RequestError, request_to_llm, result_to_response
from ._faults import FAULT_KINDS, FaultPlan, parse_fault_rates
from ._server import ModelServer

__all__ = ["FAULT_KINDS", "FaultPlan", "ModelServer", "RequestError", "parse_fault_rates", "request_to_llm",
           "result_to_response"]
