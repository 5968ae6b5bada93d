"""Tests of the simulator's hard switches (sre_agent.simulator.hard): each does what it says."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sre_agent.simulator.hard import SWITCHES, parse_switches
from sre_agent.simulator.scenario import run

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data_paths import GROUND_TRUTHS as GT_DIR  # noqa: E402

SMALL = 0.08
csv.field_size_limit(1 << 30)


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def ns_of(stamp: str) -> int:
    """``YYYY-MM-DD HH:MM:SS.fffffffff`` -> ns since the epoch."""
    day, frac = (stamp.split(".") + ["0"])[:2]
    sec = int(datetime.strptime(day, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp())
    return sec * 1_000_000_000 + int(frac.ljust(9, "0"))


def test_parse_switches_rejects_unknown_names():
    assert parse_switches("hard") == tuple(SWITCHES)
    with pytest.raises(ValueError, match="no-such"):
        parse_switches("no-prefault-dump,no-such")


@pytest.mark.parametrize("name", ["Scenario-7", "Scenario-27"])
def test_no_prefault_dump_has_no_object_version_before_the_fault(tmp_path, name):
    rep = run(GT_DIR / f"{name}.yaml", tmp_path, seed=3, scale=SMALL, hard=("no-prefault-dump",))
    rows = read_tsv(rep.folder / "k8s_objects_raw.tsv")
    assert rows and min(ns_of(r["Timestamp"]) for r in rows) > rep.fault_start
    events = read_tsv(rep.folder / "k8s_events_raw.tsv")
    assert all(ns_of(r["Timestamp"]) >= rep.record_start for r in events)
    ns, kind, obj = next(iter(rep.root_objects.values()))
    if kind == "ConfigMap":  # the changed ConfigMap is only ever seen changed
        bodies = [json.loads(r["Body"]) for r in rows]
        seen = [b for b in bodies if b["kind"] == kind and b["metadata"]["name"] == obj]
        assert seen and len({b["metadata"]["resourceVersion"] for b in seen}) == 1


def test_cli_variant_and_hard_flags(tmp_path, capsys):
    from sre_agent.cli import main

    gt = str(GT_DIR / "Scenario-5.yaml")
    assert main(["simulate", gt, "--out", str(tmp_path / "o"), "--hard", "bogus"]) == 2
    assert main(["simulate", gt, "--out", str(tmp_path / "o"), "--variant", "hard", "--hard", "old-chaos"]) == 2
    assert "bogus" in capsys.readouterr().err
    assert main(["simulate", gt, "--out", str(tmp_path / "o"), "--scale", "0.05", "--hard", "no-prefault-dump"]) == 0
