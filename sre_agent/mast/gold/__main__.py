"""``python -m sre_agent.mast.gold {build,report,judge}``: the gold-set tooling (see PROTOCOL.md).

* ``build --out DIR [--stratum NAME] RUN_DIR...`` adds runs to the gold folder DIR: traces,
  rendered text for the labellers, manifest (run it once per stratum, or let the stratum be
  derived from each run's model profile).
* ``report DIR [--subset all|tune|held-out] [--json]`` prints the agreement (κ), detector-vs-gold, judge-vs-gold and
  detector-vs-injections tables.
* ``judge DIR --config FILE [--max-trace-chars N] [--resume] [--subset tune|held-out]`` labels every trace with the LLM judge of the config's model
  profile (kind openai) and writes ``DIR/labels/judge.jsonl``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sre_agent.errors import InputError

from ._build import build, load_manifest, read_gold_trace
from ._labels import JUDGE, GoldLabels, read_labels, write_labels
from ._report import SUBSETS, gold_report, in_subset, render_markdown


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m sre_agent.mast.gold", description="MAST gold-set tooling")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="add run folders to a gold-set folder")
    b.add_argument("--out", type=Path, required=True, help="the gold-set folder (created or extended)")
    b.add_argument("--stratum", help="stratum of these runs (default: from each run's model profile)")
    b.add_argument("runs", nargs="+", type=Path, help="run folders (holding trace.jsonl) or folders of them")
    r = sub.add_parser("report", help="κ, detector-vs-gold, judge-vs-gold and detector-vs-injections tables")
    r.add_argument("folder", type=Path)
    r.add_argument("--subset", choices=SUBSETS, default="all",
                   help="tune = ids starting 0-7, held-out = ids starting 8-f (see PROTOCOL.md)")
    r.add_argument("--json", action="store_true", help="machine-readable output")
    j = sub.add_parser("judge", help="label every trace with the LLM judge (writes labels/judge.jsonl)")
    j.add_argument("folder", type=Path)
    j.add_argument("--config", type=Path, required=True, help="run config whose model profile (kind openai) judges")
    j.add_argument("--max-trace-chars", type=int, default=60000,
                   help="cut each rendered trace to this many characters (fit the model's context; default 60000)")
    j.add_argument("--resume", action="store_true",
                   help="keep the traces labels/judge.jsonl already holds and judge only the others")
    j.add_argument("--subset", choices=SUBSETS, default="all",
                   help="judge only the tune or held-out half (e.g. one process per endpoint)")
    return ap


def _judge(folder: Path, config: Path, max_trace_chars: int = 60000, resume: bool = False,
           subset: str = "all") -> Path:
    """Label every gold trace with the config's LLM judge; a call that fails leaves that trace undetermined."""
    from tqdm import tqdm

    from sre_agent.commands.mast import make_annotator
    from sre_agent.mast import LLMJudgeAnnotator
    from sre_agent.mast.definitions import MODE_IDS

    manifest = load_manifest(folder)
    if not manifest:
        raise InputError(f"{folder}: no manifest.json (build the gold set first)")
    if max_trace_chars < 1000:
        raise InputError(f"--max-trace-chars {max_trace_chars}: too small to show a trace (at least 1000)")
    annotator = make_annotator("llm", config)
    if isinstance(annotator, LLMJudgeAnnotator):
        annotator.max_trace_chars = max_trace_chars
    path = folder / "labels" / JUDGE
    done = read_labels(path, human=False) if resume and path.exists() else {}
    rows = [done[t] for t in sorted(done) if t in manifest]
    todo = [t for t in sorted(manifest) if t not in done and in_subset(t, subset)]

    async def judge_all() -> None:  # one event loop for every call: the client's connections belong to it
        for tid in tqdm(todo, desc="judge", unit="trace", disable=None):
            try:
                ann = await annotator.aannotate(read_gold_trace(folder, tid))
                row = GoldLabels(id=tid, labeller="llm-judge", labels=ann.labels, task_completion=ann.task_completion,
                                 reasons=dict(ann.notes))
            except Exception as exc:  # noqa: BLE001 - an endpoint error leaves this trace undetermined, the rest go on
                row = GoldLabels(id=tid, labeller="llm-judge", labels={m: None for m in MODE_IDS},
                                 reasons={"error": f"judge call failed: {exc.__class__.__name__}: {str(exc)[:200]}"})
            rows.append(row)
            write_labels(path, sorted(rows, key=lambda r: r.id))  # after every trace: an interrupted run loses nothing

    asyncio.run(judge_all())
    write_labels(path, sorted(rows, key=lambda r: r.id))
    return path


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.cmd == "build":
            added = build(args.runs, args.out, args.stratum)
            print(f"{len(added)} trace(s) in {args.out} (manifest.json, traces/, rendered/)")
        elif args.cmd == "report":
            rep = gold_report(args.folder, args.subset)
            print(json.dumps(rep, indent=1) if args.json else render_markdown(rep), end="" if not args.json else "\n")
        else:
            print(_judge(args.folder, args.config, args.max_trace_chars, args.resume, args.subset))
    except InputError as exc:
        print(f"mast.gold: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
