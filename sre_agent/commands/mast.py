"""``sre-agent mast RUN_DIR...``: label run traces with the 14 MAST failure modes.

Each RUN_DIR is a run folder (it holds ``trace.jsonl``) or a folder of run folders (every
``trace.jsonl`` below it is annotated).  Each run gets a ``mast.json``; a compact table (or,
with ``--json``, the ``mast.json`` documents) goes to stdout.  ``--judge llm`` asks the model
endpoint of the ``--config`` file's model profile (kind ``openai``); the default judge is
structural (rules, no model).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from sre_agent.errors import InputError
from sre_agent.mast import MODE_IDS, Annotation, Annotator, StructuralAnnotator, annotate_run
from sre_agent.mast.validate import find_runs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR",
                        help="a run folder (with trace.jsonl) or a folder of run folders")
    parser.add_argument("--judge", choices=("structural", "llm"), default="structural",
                        help="structural rules (default) or an LLM judge (needs --config with an openai model profile)")
    parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help="run configuration whose model profile supplies the LLM judge's endpoint")
    parser.add_argument("--json", action="store_true", help="print the mast.json documents as JSON")


def _llm_client(config: Path | None) -> Any:
    """An OpenAI-compatible chat client from the config's model profile (InputError otherwise)."""
    from sre_agent.config import load_config

    cfg = load_config(config)
    profile = cfg.model
    if profile.kind != "openai" or profile.openai is None:
        raise InputError(f"--judge llm needs a model profile of kind 'openai' (from --config); "
                         f"profile {profile.name!r} is of kind {profile.kind!r}")
    from sre_agent.errors import ConfigError
    from sre_agent.llm import make_client
    try:
        return make_client(profile)
    except ConfigError as exc:
        raise InputError(f"--judge llm: {exc}") from None


def make_annotator(judge: str, config: Path | None) -> Annotator:
    """The annotator for ``--judge``."""
    if judge == "llm":
        from sre_agent.mast import LLMJudgeAnnotator

        return LLMJudgeAnnotator(_llm_client(config))
    return StructuralAnnotator()


def _cell(label: int | None) -> str:
    return "-" if label is None else ("[bold red]1[/]" if label else "0")


def _display_names(runs: list[Path]) -> list[str]:
    """Run folders relative to their common parent (the folder itself when there is one run)."""
    if len(runs) == 1:
        return [str(runs[0])]
    root = Path(os.path.commonpath([str(r.resolve()) for r in runs]))
    return [str(r.resolve().relative_to(root)) or r.name for r in runs]


def _print_table(results: list[tuple[Path, Annotation]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"MAST labels ({results[0][1].annotator}; 1 present, 0 absent, - undetermined)",
                  show_lines=False, pad_edge=False)
    table.add_column("run", no_wrap=True, overflow="ellipsis", max_width=40)
    for m in MODE_IDS:
        table.add_column(m, justify="center", no_wrap=True, min_width=len(m))
    table.add_column("done", justify="center", no_wrap=True, min_width=4)
    names = _display_names([d for d, _ in results])
    for (run_dir, ann), name in zip(results, names):
        done = "-" if ann.task_completion is None else ("yes" if ann.task_completion else "no")
        table.add_row(name, *(_cell(ann.labels[m]) for m in MODE_IDS), done)
    if len(results) > 1:
        totals = [sum(1 for _, a in results if a.labels[m] == 1) for m in MODE_IDS]
        table.add_row("[bold]runs with mode[/]", *(str(t) for t in totals), "")
    console = Console()  # the terminal's width (80 columns when stdout is a file)
    natural = console.measure(table, options=console.options.update_width(1000)).maximum
    (Console(width=natural) if natural > console.width else console).print(table)  # never a cut header


def run(args: argparse.Namespace) -> int:
    runs = find_runs(args.run_dirs)
    annotator = make_annotator(args.judge, args.config)
    results = [(d, annotate_run(d, annotator)) for d in runs]
    if args.json:
        docs = [{"run": str(d), **a.to_mast_json()} for d, a in results]
        print(json.dumps(docs, indent=2))
    else:
        _print_table(results)
    return 0
