"""A renaming transform over a simulated scenario folder: every service and the application
namespace get names the reasoner has never seen, consistently in every file (TSV rows, alert
JSON, metric file names, the ground truth's names and filters), so the same incident can be
triaged as "an application it does not know by name".

Names are taken from the scenario itself (the namespace of the alerts; the Deployments,
StatefulSets, DaemonSets and Services in it) and replaced as whole tokens, longest first (so
``valkey-cart`` is renamed before ``cart``; a pod ``cart-7f9c-x2`` becomes ``<new>-7f9c-x2``;
camelCase flag names such as ``cartFailure`` keep their name).

Example:
    >>> m = {"cart": "svc-a", "valkey-cart": "svc-b", "otel-demo": "ns-z"}
    >>> rewrite("otel-demo/Pod/cart-1 calls valkey-cart; cartFailure", m)
    'ns-z/Pod/svc-a-1 calls svc-b; cartFailure'
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

csv.field_size_limit(sys.maxsize)
KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Service")


def _pattern(mapping: dict[str, str]) -> re.Pattern[str]:
    names = sorted(mapping, key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z0-9])(" + "|".join(re.escape(n) for n in names) + r")(?![A-Za-z0-9])")


def rewrite(text: str, mapping: dict[str, str]) -> str:
    """Every whole-token occurrence of a mapped name replaced (longest names first)."""
    return _pattern(mapping).sub(lambda m: mapping[m.group(1)], text)


def names_of(folder: Path) -> tuple[str, list[str]]:
    """The application namespace (from the alerts) and its workload / Service names."""
    ns = ""
    for f in sorted((folder / "alerts").glob("*.json")):
        text = f.read_text(encoding="utf-8")
        found = re.search(r'"namespace"\s*:\s*"([a-z0-9-]+)"', text)
        if found:
            ns = found.group(1)
            break
    names: set[str] = set()
    with open(folder / "k8s_objects_raw.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            try:
                body = json.loads(row.get("Body") or "{}")
            except json.JSONDecodeError:
                continue
            meta = body.get("metadata") or {}
            if body.get("kind") in KINDS and meta.get("namespace") == ns and meta.get("name"):
                names.add(meta["name"])
    return ns, sorted(names)


def mapping_for(folder: Path, salt: str = "x") -> dict[str, str]:
    """Old name -> a new name with no trace of the old one (stable for a given salt)."""
    ns, names = names_of(folder)
    out = {n: "s" + hashlib.sha1((salt + n).encode()).hexdigest()[:7] for n in names}
    if ns:
        out[ns] = "ns" + hashlib.sha1((salt + ns).encode()).hexdigest()[:6]
    return out


def rename_scenario(src: Path, dst: Path, salt: str = "x") -> dict[str, str]:
    """Copy ``src`` to ``dst`` with every name rewritten; returns the mapping used."""
    mapping = mapping_for(src, salt)
    if dst.exists():
        shutil.rmtree(dst)
    for path in sorted(src.rglob("*")):
        rel = Path(rewrite(str(path.relative_to(src)), mapping))
        target = dst / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            target.write_text(rewrite(path.read_text(encoding="utf-8"), mapping), encoding="utf-8")
        except UnicodeDecodeError:
            shutil.copy2(path, target)
    return mapping
