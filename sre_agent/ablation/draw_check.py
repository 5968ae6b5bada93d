"""Are the failure draws independent across scenarios and seeds?  A check over real runs.

For each profile × seed × scenario, one run (fixes as given) and its *injection signature*: the
list of (MAST code, model-call number, which call) of its ``injected_failure`` events, in order
(:func:`signature`).  The check
reports, per (profile, seed), how many distinct *first* injections the scenarios show (1 means
every scenario got the same first failure at the same call: a draw shared by all scenarios),
and, per profile, the pairs of seeds whose signatures are identical in every scenario.

``python -m sre_agent.ablation.draw_check SCENARIOS_DIR [--n 6] [--seeds 0-3] [--profiles ...]``
runs the check and prints both tables; exit status 1 when a shared
first injection or an identical seed pair is found.

Example:
    >>> sig = signature([{"type": "model_call", "seq": 1}, {"type": "injected_failure", "seq": 2, "mast": "3.2"}])
    >>> sig
    (('3.2', 1, ''),)
    >>> r = check({("p", 0, "a"): sig, ("p", 0, "b"): (), ("p", 1, "a"): sig, ("p", 1, "b"): ()})
    >>> r.shared_first, r.identical_seeds
    ([], [('p', 0, 1)])
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Signature = tuple[tuple[str, int, str], ...]
RunId = tuple[str, int, str]  # (profile, seed, scenario)


def signature(events: Iterable[dict[str, Any]]) -> Signature:
    """(MAST code, number of model calls made so far, which call) of every injection in a trace,
    in order.  *Which call* tells apart the injections one model call can hold several of: for
    FM-2.6 the call announced (one answer announces several calls and any may be swapped), else
    ''.  Names the injection chose (a target, an entity) are left out: they differ between
    scenarios even when the draws do not."""
    calls = 0
    out = []
    for e in sorted(events, key=lambda e: int(e.get("seq", 0))):
        if e.get("type") == "model_call":
            calls += 1
        elif e.get("type") == "injected_failure":
            code = str(e.get("mast"))
            which = str(e.get("what", "")).split(" but ran", 1)[0] if code == "2.6" else ""
            out.append((code, calls, which))
    return tuple(out)


@dataclass(frozen=True)
class CheckResult:
    """Distinct first injections per (profile, seed), and the seed pairs identical everywhere."""

    distinct_first: dict[tuple[str, int], int]
    n_scenarios: int
    shared_first: list[tuple[str, int, tuple[str, int, str] | None]]
    identical_seeds: list[tuple[str, int, int]]

    @property
    def ok(self) -> bool:
        return not self.shared_first and not self.identical_seeds

    def lines(self) -> list[str]:
        """The two tables, as printed text."""
        out = [f"first injection (MAST code, model call, which call) per profile x seed, over {self.n_scenarios} scenarios:",
               "profile            seed  distinct first injections"]
        out += [f"{p:<18} {s:>4}  {n}" for (p, s), n in sorted(self.distinct_first.items())]
        out.append("(profile, seed) whose first injection is the same in every scenario: "
                   + (", ".join(f"{p} seed {s} ({f})" for p, s, f in self.shared_first) or "none"))
        out.append("seed pairs whose injections are identical in every scenario: "
                   + (", ".join(f"{p} seeds {a} and {b}" for p, a, b in self.identical_seeds) or "none"))
        return out


def check(signatures: Mapping[RunId, Signature]) -> CheckResult:
    """The check over signatures keyed by (profile, seed, scenario)."""
    profiles = sorted({p for p, _, _ in signatures})
    scenarios = sorted({c for _, _, c in signatures})
    distinct: dict[tuple[str, int], int] = {}
    shared: list[tuple[str, int, tuple[str, int, str] | None]] = []
    identical: list[tuple[str, int, int]] = []
    for p in profiles:
        seeds = sorted({s for q, s, _ in signatures if q == p})
        for s in seeds:
            firsts = {(signatures[(p, s, c)] or (None,))[0] for c in scenarios if (p, s, c) in signatures}
            distinct[(p, s)] = len(firsts)
            if len(firsts) == 1 and len(scenarios) > 1:
                shared.append((p, s, next(iter(firsts))))
        for i, a in enumerate(seeds):
            for b in seeds[i + 1:]:
                if all(signatures.get((p, a, c)) == signatures.get((p, b, c)) for c in scenarios):
                    identical.append((p, a, b))
    return CheckResult(distinct, len(scenarios), shared, identical)


def run_signatures(scenarios: Sequence[Path], profiles: Sequence[str], seeds: Sequence[int], out: Path,
                   fixes: Sequence[str] = ("all=off",)) -> dict[RunId, Signature]:
    """Triage every scenario folder × profile × seed (in this process) and return the signatures."""
    from ..config import load_config
    from ..runner import run_triage
    from ..trace import read_trace

    sigs: dict[RunId, Signature] = {}
    for p in profiles:
        for s in seeds:
            for scen in scenarios:
                cfg = load_config(model=p, fixes=list(fixes), seed=s)
                res = run_triage(alert=Path(scen) / "alerts", output_dir=Path(out) / f"{p}-{s}-{Path(scen).name}",
                                 config=cfg)
                sigs[(p, s, Path(scen).name)] = signature(read_trace(res.output_dir / "trace.jsonl"))
    return sigs


def _seeds(text: str) -> list[int]:
    if "-" in text:
        a, b = text.split("-", 1)
        return list(range(int(a), int(b) + 1))
    return [int(x) for x in text.split(",")]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sre_agent.ablation.draw_check", description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", type=Path, help="a folder of simulated scenario folders")
    ap.add_argument("--n", type=int, default=6, help="how many scenarios (sorted by name; default 6)")
    ap.add_argument("--seeds", default="0-3", help="agent seeds, e.g. 0-3 or 0,2")
    ap.add_argument("--profiles", nargs="+", default=["verifies-poorly", "loses-exit"])
    ap.add_argument("--fixes", nargs="*", default=["all=off"])
    args = ap.parse_args(argv)
    seeds = _seeds(args.seeds)
    scen = sorted(d for d in args.scenarios.iterdir() if (d / "alerts").is_dir())[: args.n]
    with tempfile.TemporaryDirectory() as tmp:
        result = check(run_signatures(scen, args.profiles, seeds, Path(tmp), args.fixes))
    print("\n".join(result.lines()))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
