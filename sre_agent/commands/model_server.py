"""``python -m sre_agent model-server``: an OpenAI-compatible endpoint backed by the offline reasoner.

    python -m sre_agent model-server --port 8088 [--host 127.0.0.1] [--profile clean] [--seed 0]
                                     [--fault-rate 429=0.1 --fault-rate 5xx=0.05 ...] [--fault-seed 0]
                                     [--retry-after 1] [--stall-seconds 30]

Serves ``POST /v1/chat/completions`` (messages with tool calls and tool results, ``tools``;
answers assistant text or ``tool_calls`` with ids, ``usage``, ``finish_reason``) and
``GET /v1/models``.  ``--profile`` is any offline model profile (``configs/models/*.yaml`` of
kind ``offline``).  Fault kinds: 429 (with Retry-After), 5xx, timeout (a stall of
``--stall-seconds``, then 504), truncated (a 200 whose JSON is cut).  ``--port 0`` picks a free
port.  The first line on stdout is ``listening on http://HOST:PORT/v1``.
"""

from __future__ import annotations

import argparse
import signal
import sys

from ..errors import InputError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, required=True, help="TCP port (0: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--profile", default="clean", help="offline model profile answering (default clean)")
    p.add_argument("--seed", type=int, default=0, help="seed of the profile's injected failures")
    p.add_argument("--model-name", default="sre-agent-offline", help="model id listed by /v1/models")
    p.add_argument("--fault-rate", action="append", default=[], metavar="KIND=RATE",
                   help="inject a fault per request with this probability (429, 5xx, timeout, truncated); repeatable")
    p.add_argument("--fault-seed", type=int, default=0, help="seed of the fault draws")
    p.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds of an injected 429")
    p.add_argument("--stall-seconds", type=float, default=30.0, help="how long an injected timeout stalls")


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from ..config import load_model_profile
    from ..llm import make_client
    from ..modelserver import FaultPlan, ModelServer, parse_fault_rates

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: expected 0..65535")
    profile = load_model_profile(args.profile)
    if profile.kind != "offline":
        raise InputError(f"--profile {args.profile}: kind {profile.kind}; the server answers with an offline profile")
    try:
        plan = FaultPlan(rates=parse_fault_rates(args.fault_rate), seed=args.fault_seed,
                         retry_after=args.retry_after, stall_seconds=args.stall_seconds)
    except ValidationError as exc:
        raise InputError(f"--fault-rate: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
    try:
        server = ModelServer(make_client(profile, args.seed), host=args.host, port=args.port,
                             model=args.model_name, faults=plan)
    except OSError as exc:
        raise InputError(f"--host {args.host} --port {args.port}: cannot listen ({exc.strerror})") from None
    def _interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)  # a supervisor's stop ends the server like Ctrl-C
    print(f"listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print(f"served {server.requests} chat-completion request(s), faults: {server.served_faults or 'none'}",
              file=sys.stderr, flush=True)
    return 0
