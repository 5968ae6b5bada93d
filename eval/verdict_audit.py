"""Audit the verdicts of a folder of runs: silent overrides, uncited confirmations, disputes.

``python -m sre_agent.eval.verdict_audit RUNS_DIR [RUNS_DIR ...]`` reads every ``trace.jsonl``
below the folders and prints, per folder and in total:

* ``confirmations``: ``verification`` events with verdict confirmed;
* ``silent overrides``: confirmations of an entity whose last verdict stated by the verifier
  model before it failed a check (or that the gate's ``fix`` event records turning from the
  verifier's rejection into a confirmation), with no ``verdict_dispute`` event on the entity
  between them (a participant's failed check overturned without a word);
* ``uncited confirmations``: confirmations with a passed check that cites no tool call;
* ``disputes``: ``verdict_dispute`` events, open and vetoed, and the runs in which one was
  still open at the end (the claim left unconfirmed).

Example:
    >>> events = [{"seq": 1, "type": "model_call", "agent": "verifier",
    ...            "output": 'VERDICTS {"verdicts": [{"entity": "n/Pod/p", "verdict": "rejected", '
    ...                      '"checks": [{"check": "upstream_of_alerts", "passed": false}]}]}'},
    ...           {"seq": 2, "type": "verification", "entity": "n/Pod/p", "verdict": "confirmed", "by": "gate",
    ...            "checks": [{"check": "upstream_of_alerts", "passed": True, "call_ids": []}]}]
    >>> audit(events)
    {'confirmations': 1, 'silent_overrides': 1, 'uncited_confirmations': 1, 'disputes_open': 0, 'disputes_vetoed': 0, 'open_at_end': 0}
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sre_agent.mast.detectors._index import TraceIndex
from sre_agent.mast.detectors._verification import stated_verdicts, uncited_checks
from sre_agent.trace import read_trace

FIELDS = ("confirmations", "silent_overrides", "uncited_confirmations", "disputes_open", "disputes_vetoed", "open_at_end")


def audit(events: list[dict[str, Any]]) -> dict[str, int]:
    """The counts of one run's trace (see the module docstring)."""
    t = TraceIndex(events)
    stated = stated_verdicts(t)
    disputes = t.of("verdict_dispute")
    out = dict.fromkeys(FIELDS, 0)
    for v in t.of("verification"):
        if str(v.get("verdict")) != "confirmed":
            continue
        out["confirmations"] += 1
        ent, seq = str(v.get("entity") or ""), int(v["seq"])
        if uncited_checks(v):
            out["uncited_confirmations"] += 1
        before = [(s, x) for s, x in stated if s < seq and str(x.get("entity") or "") == ent]
        failed_at = before[-1][0] if before and any(isinstance(c, dict) and c.get("passed") is False
                                                    for c in before[-1][1].get("checks") or []) else None
        # the gate's own record of turning the verifier's rejection around (exact where the stated answer was cut short)
        turned = [f for f in t.of("fix") if str(f.get("target")) == ent and int(f["seq"]) < seq
                  and str(f.get("action", "")).startswith("verdict 'rejected' -> 'confirmed'")]
        if turned:
            failed_at = max(failed_at or 0, int(turned[-1]["seq"]))
        if failed_at is not None and not [d for d in disputes if str(d.get("entity")) == ent and failed_at <= int(d["seq"]) < seq]:
            out["silent_overrides"] += 1
    out["disputes_open"] = sum(1 for d in disputes if d.get("outcome") == "open")
    out["disputes_vetoed"] = sum(1 for d in disputes if d.get("outcome") == "vetoed")
    last: dict[str, str] = {}
    for e in t.of("verdict_dispute", "verification"):
        if e["type"] == "verdict_dispute" and e.get("outcome") == "open":
            last[str(e.get("entity"))] = "open"
        elif e["type"] == "verification" and str(e.get("verdict")) in ("confirmed", "rejected"):
            last.pop(str(e.get("entity")), None)
    out["open_at_end"] = int(bool(last))
    return out


def audit_folder(folder: Path) -> tuple[int, dict[str, int]]:
    """(runs, summed counts) over every ``trace.jsonl`` below ``folder``."""
    total = dict.fromkeys(FIELDS, 0)
    runs = 0
    for path in sorted(folder.rglob("trace.jsonl")):
        runs += 1
        for k, v in audit(list(read_trace(path))).items():
            total[k] += v
    return runs, total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sre_agent.eval.verdict_audit", description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", nargs="+", type=Path)
    args = ap.parse_args(argv)
    grand = dict.fromkeys(FIELDS, 0)
    n = 0
    print("folder\truns\t" + "\t".join(FIELDS))
    for folder in args.folders:
        runs, counts = audit_folder(folder)
        n += runs
        for k in FIELDS:
            grand[k] += counts[k]
        print(f"{folder}\t{runs}\t" + "\t".join(str(counts[k]) for k in FIELDS))
    print(f"total\t{n}\t" + "\t".join(str(grand[k]) for k in FIELDS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
