"""Rename an application beyond recognition: every service and the application namespace of
simulated or recorded ITBench-Lite scenarios get names the reasoner has never seen,
consistently in every file (TSV rows, alert JSON, metric file names, the ground truth's names
and filters), so the same incidents can be triaged as "an application it does not know by
name".  Run it, then ``sre_agent eval`` on both folders: the recalls should match.

Usage::

    python -m sre_agent.eval.rename SRC_DIR DST_DIR [--salt S]

Every scenario folder found under ``SRC_DIR`` (itself, or its sub-folders at any depth) is
written to the same relative place under ``DST_DIR`` (renamed too when its path holds a name).

Names are taken from each scenario (the namespace of its alerts; the Deployments, StatefulSets,
DaemonSets and Services in it) and replaced as whole tokens, longest first (so ``valkey-cart``
is renamed before ``cart``; a pod ``cart-7f9c-x2`` becomes ``<new>-7f9c-x2``; camelCase flag
keys such as ``cartFailure`` keep their name: they are the application's data, not names).
The new name of a name depends only on the salt, so all scenarios of a run agree.

Example:
    >>> m = {"cart": "svc-a", "valkey-cart": "svc-b", "otel-demo": "ns-z"}
    >>> rewrite("otel-demo/Pod/cart-1 calls valkey-cart; cartFailure", m)
    'ns-z/Pod/svc-a-1 calls svc-b; cartFailure'
    >>> new_name("cart", "x") == new_name("cart", "x") != new_name("cart", "y")
    True
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from sre_agent.snapshot.layout import is_scenario_dir

csv.field_size_limit(sys.maxsize)
KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Service")

__all__ = ["rewrite", "names_of", "mapping_for", "new_name", "rename_scenario", "rename_tree", "main"]


def _pattern(mapping: dict[str, str]) -> re.Pattern[str]:
    names = sorted(mapping, key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z0-9])(" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z0-9])")


def rewrite(text: str, mapping: dict[str, str]) -> str:
    """Every whole-token occurrence of a mapped name replaced (longest names first)."""
    if not mapping:
        return text
    return _pattern(mapping).sub(lambda m: mapping[m.group(1)], text)


def names_of(folder: Path) -> tuple[str, list[str]]:
    """The application namespace (from the alerts) and its workload / Service names."""
    ns = ""
    for f in sorted((folder / "alerts").glob("*.json")) + sorted(folder.glob("alerts_*.json")):
        found = re.search(r'"namespace"\s*:\s*"([a-z0-9-]+)"', f.read_text(encoding="utf-8"))
        if found:
            ns = found.group(1)
            break
    names: set[str] = set()
    objects = folder / "k8s_objects_raw.tsv"
    if not objects.is_file():
        objects = folder / "k8s_objects.tsv"
    if not objects.is_file():
        return ns, []
    with open(objects, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            try:
                body = json.loads(row.get("Body") or "{}")
            except json.JSONDecodeError:
                continue
            meta = body.get("metadata") or {}
            if body.get("kind") in KINDS and meta.get("namespace") == ns and meta.get("name"):
                names.add(meta["name"])
    return ns, sorted(names)


def new_name(name: str, salt: str, prefix: str = "s", digits: int = 7) -> str:
    """The replacement of ``name``: a prefix and a hash, nothing of the old name left."""
    return prefix + hashlib.sha1((salt + name).encode()).hexdigest()[:digits]


def mapping_for(folder: Path, salt: str = "x") -> dict[str, str]:
    """Old name -> a new name with no trace of the old one (stable for a given salt)."""
    ns, names = names_of(folder)
    out = {n: new_name(n, salt) for n in names}
    if ns:
        out[ns] = new_name(ns, salt, "ns", 6)
    return out


def rename_scenario(src: Path, dst: Path, salt: str = "x") -> dict[str, str]:
    """Copy ``src`` to ``dst`` with every name rewritten; returns the mapping used."""
    mapping = mapping_for(src, salt)
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for path in sorted(src.rglob("*")):
        target = dst / rewrite(str(path.relative_to(src)), mapping)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.write_text(rewrite(path.read_text(encoding="utf-8"), mapping), encoding="utf-8")
        except UnicodeDecodeError:
            shutil.copy2(path, target)
    return mapping


def _scenario_dirs(root: Path) -> list[Path]:
    if is_scenario_dir(root):
        return [root]
    out: list[Path] = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        out += _scenario_dirs(sub)
    return out


def rename_tree(src: Path, dst: Path, salt: str = "x") -> list[tuple[Path, dict[str, str]]]:
    """Rename every scenario folder under ``src`` into ``dst``; (new folder, mapping) each."""
    out = []
    for folder in _scenario_dirs(src):
        mapping = mapping_for(folder, salt)
        rel = folder.relative_to(src)
        target = dst / rewrite(str(rel), mapping) if str(rel) != "." else dst
        rename_scenario(folder, target, salt)
        out.append((target, mapping))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sre_agent.eval.rename",
                                     description="rename every service and the namespace of scenario folders")
    parser.add_argument("src", type=Path, help="a scenario folder or a folder of them")
    parser.add_argument("dst", type=Path, help="where the renamed copies go")
    parser.add_argument("--salt", default="x", help="changes every new name (default: x)")
    args = parser.parse_args(argv)
    if not args.src.is_dir():
        print(f"rename: error: {args.src}: not a folder", file=sys.stderr)
        return 2
    if args.dst.resolve() == args.src.resolve() or args.src.resolve() in args.dst.resolve().parents:
        print(f"rename: error: {args.dst}: must not be inside {args.src}", file=sys.stderr)
        return 2
    done = rename_tree(args.src, args.dst, args.salt)
    if not done:
        print(f"rename: error: {args.src}: no scenario folder found", file=sys.stderr)
        return 2
    for target, mapping in done:
        print(f"{target}\t{len(mapping)} names renamed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
