"""``python -m sre_agent dataset``: download a benchmark dataset and check its scenario folders.

``dataset fetch itbench-lite [--dest DIR] [--revision REV] [--jobs N] [--scenario N ...]``
downloads the SRE snapshot folders of ITBench-Lite from the Hugging Face Hub (pinned revision,
resumable, progress bars on stderr), then checks every scenario folder with the loader and prints a
table of what each holds and lacks.  ``dataset check DIR`` prints the same table for folders already
on disk; ``dataset list`` names the known datasets.  Offline, refused, unknown revision, HTTP
errors: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    sub.required = True
    f = sub.add_parser("fetch", help="download a dataset's scenario folders and check them")
    f.add_argument("name", help="dataset name (see: dataset list), e.g. itbench-lite")
    f.add_argument("--dest", type=Path, help="a plain folder for the files (default: the Hugging Face cache)")
    f.add_argument("--revision", help="a commit, tag or branch instead of the pinned revision")
    f.add_argument("--jobs", type=int, default=8, help="parallel file downloads (default 8)")
    f.add_argument("--scenario", action="append", default=[], metavar="N",
                   help="only this scenario (2 or Scenario-2); repeatable (default: all)")
    f.add_argument("--deep", action="store_true", help="parse every file of every scenario (slower)")
    f.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    c = sub.add_parser("check", help="check scenario folders already on disk")
    c.add_argument("folder", type=Path, help="a scenario folder, a folder of them or a whole download")
    c.add_argument("--deep", action="store_true", help="parse every file of every scenario (slower)")
    sub.add_parser("list", help="the known datasets")


def _report(root: Path, deep: bool, title: str) -> int:
    from ..dataset import check_tree, print_checks

    checks = check_tree(root, deep=deep)
    if not checks:
        raise InputError(f"{root}: no scenario folder found (expected folders holding alerts/ or recorded TSVs)")
    print_checks(checks, title=title)
    complete = sum(c.complete for c in checks)
    print(f"sre-agent dataset: {len(checks)} scenario folder(s) in {root}, {complete} complete, "
          f"{len(checks) - complete} lacking something; evaluate with: "
          f"python -m sre_agent eval --scenarios {root}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    from ..dataset import DATASETS, fetch, get_dataset

    if args.action == "list":
        for spec in DATASETS.values():
            print(f"{spec.name}\t{spec.repo_type}:{spec.repo_id}@{spec.revision}\t{spec.license}\t{spec.description}")
        return 0
    if args.action == "check":
        if not args.folder.is_dir():
            raise InputError(f"{args.folder}: no such folder")
        return _report(args.folder, args.deep, f"scenarios in {args.folder}")
    from ..extras import HUB, require
    require("research", *HUB)
    spec = get_dataset(args.name)
    root = fetch(spec, dest=args.dest, revision=args.revision, jobs=args.jobs, scenarios=args.scenario,
                 progress=not args.no_progress)
    rev = args.revision or spec.revision
    return _report(root, args.deep, f"{spec.repo_id} @ {rev[:12]}: {root}")
