"""The command line: ``python -m sre_agent <command> ...``.

Each sub-command lives in its own module and is imported only when used, so ``triage`` does not
pay for ``ablate``'s plotting stack.  Bad input of any kind ends with one line on stderr and exit
code 2; an unexpected failure with one line and exit code 1 (``SRE_AGENT_DEBUG=1`` shows the
traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from . import __version__
from .errors import InputError

#: command -> (module, one-line help).  The module defines ``add_arguments(parser)`` and
#: ``run(args) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "triage": ("sre_agent.commands.triage", "diagnose one incident from an alert"),
    "simulate": ("sre_agent.simulator.cli", "build ITBench-Lite-format scenarios from ground truths"),
    "eval": ("sre_agent.commands.evaluate", "triage every scenario of a folder and score it"),
    "bench": ("sre_agent.commands.bench", "time and size the offline triage over a scenario folder"),
    "mast": ("sre_agent.commands.mast", "label run traces with the 14 MAST failure modes"),
    "ablate": ("sre_agent.commands.ablate", "run an ablation over fixes, model profiles and seeds"),
    "serve": ("sre_agent.commands.serve", "receive Alertmanager webhooks and triage each alert group"),
    "dataset": ("sre_agent.commands.dataset", "download a benchmark dataset (ITBench-Lite) and check its scenarios"),
    "model-server": ("sre_agent.commands.model_server", "an OpenAI-compatible endpoint backed by the offline reasoner"),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 2 with one line (argparse's default prints usage too)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


DESCRIPTION = ("A multi-agent SRE diagnostic agent: from an alert to the root cause, its propagation chain "
               "and the evidence, against a recorded incident or live sources.")
EPILOG = ("Run 'sre-agent COMMAND --help' for a command's options. Start with: sre-agent triage --alert "
          "SCENARIO/alerts (a recorded ITBench-Lite scenario), or sre-agent serve for Alertmanager webhooks.")


def version() -> str:
    """The installed distribution's version (the package's own when run from a checkout).

    >>> version() == __version__
    True
    """
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("sre-agent")
    except PackageNotFoundError:
        return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sre-agent", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"sre-agent {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        try:
            importlib.import_module(module).add_arguments(p)
        except ModuleNotFoundError as exc:  # a command whose module is not built yet
            if exc.name and exc.name.startswith("sre_agent"):
                p.set_defaults(_missing=str(exc))
            else:
                raise
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_missing", None):
        print(f"sre-agent: error: command {args.command!r} is not available: {args._missing}", file=sys.stderr)
        return 2
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except InputError as exc:
        from .backends._redact import redact
        print(f"sre-agent {args.command}: error: {redact(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"sre-agent {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns a crash into a line
        if os.environ.get("SRE_AGENT_DEBUG"):
            raise
        from .backends._redact import redact
        first = redact(str(exc).splitlines()[0]) if str(exc) else ""  # never a credential on stderr
        print(f"sre-agent {args.command}: internal error: {type(exc).__name__}: {first}"
              " (set SRE_AGENT_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1
