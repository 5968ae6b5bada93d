"""The ablation runner: spec validation, design expansion, the smoke ablation end to end (its
report checked against a plain-Python recomputation from results.csv), the run cache, and the
Ray executor's equivalence with the local one."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from sre_agent.ablation import expand_settings, load_spec, run_ablation
from sre_agent.ablation.cache import DONE
from sre_agent.ablation.report import COLUMNS
from sre_agent.ablation.stats import holm, sign_flip_test
from sre_agent.cli import main
from sre_agent.config import FIX_NAMES
from sre_agent.errors import InputError
from sre_agent.mast import MODE_IDS

from data_paths import GROUND_TRUTHS, OUR_GROUND_TRUTHS, PROJECT_ROOT

SMOKE = PROJECT_ROOT / "configs" / "ablations" / "smoke.yaml"
FULL = PROJECT_ROOT / "configs" / "ablations" / "one-at-a-time.yaml"
LEAVE_OUT = PROJECT_ROOT / "configs" / "ablations" / "leave-one-out.yaml"



# -- designs -----------------------------------------------------------------------------------------

def test_one_at_a_time_has_baseline_each_fix_alone_and_all_on() -> None:
    settings = expand_settings("one-at-a-time", FIX_NAMES)
    assert [s.name for s in settings] == ["all-off", *[f"only-{f}" for f in FIX_NAMES], "all-on"]
    assert not any(settings[0].switches().values()) and all(settings[-1].switches().values())
    for f, s in zip(FIX_NAMES, settings[1:-1]):
        assert [n for n, v in s.fixes if v] == [f]


def test_leave_one_out_and_grid() -> None:
    loo = expand_settings("leave-one-out", FIX_NAMES)
    assert loo[0].name == "all-on" and len(loo) == 7
    assert all(sum(not v for _, v in s.fixes) == 1 for s in loo[1:])
    grid = expand_settings("grid", FIX_NAMES)
    assert len(grid) == 64 and len({s.fixes for s in grid}) == 64
    assert grid[0].name == "all-off" and grid[-1].name == "all-on"
    listed = expand_settings("grid", FIX_NAMES, [["loop_breaker"], []])
    assert [s.name for s in listed] == ["on:loop_breaker", "all-off"]


def test_explicit_settings_lists_and_maps() -> None:
    s = expand_settings("explicit", FIX_NAMES, {"a": ["loop_breaker"], "b": {"all": "on", "loop_breaker": "off"}})
    assert s[0].switches() == {n: n == "loop_breaker" for n in FIX_NAMES}
    assert s[1].switches() == {n: n != "loop_breaker" for n in FIX_NAMES}


def test_paired_difference_is_clustered_by_scenario() -> None:
    """Five seeds of one scenario that all improve are one piece of evidence, not five."""
    from sre_agent.ablation.report import paired_differences

    rows = [{"profile": "p", "setting": setting, "scenario": sc, "seed": str(seed),
             "recall": str(1.0 if (setting == "on" and sc == "A") else 0.0)}
            for setting in ("off", "on") for sc in ("A", "B") for seed in range(5)]
    (d,) = paired_differences(rows, ["p"], ["off", "on"], "off")
    assert (d.n, d.wins, d.losses, d.ties, d.mean_diff) == (2, 1, 0, 1, 0.5)
    assert d.test == "sign-flip" and d.p_value == pytest.approx(sign_flip_test([1.0, 0.0])) == 1.0
    assert sign_flip_test([1.0] * 5 + [0.0] * 5) < d.p_value  # what the unclustered test would claim


def test_construction_cells_come_from_the_profiles_and_the_fixes() -> None:
    from sre_agent.ablation.report import paired_differences

    rows = [{"profile": p, "setting": s, "scenario": sc, "seed": "0", "recall": str(float(s == "on" and sc == "A"))}
            for p in ("loses-exit", "clean") for s in ("off", "on") for sc in ("A", "B")]
    switches = {"off": {f: False for f in FIX_NAMES}, "on": {f: f == "termination_fsm" for f in FIX_NAMES}}
    by = {d.profile: d for d in paired_differences(rows, ["loses-exit", "clean"], ["off", "on"], "off", switches)}
    assert by["loses-exit"].targets == ("1.5", "3.1") and by["clean"].targets == ()
    switches["on"] = {f: f == "loop_breaker" for f in FIX_NAMES}  # FM-1.3: loses-exit never injects it
    assert all(not d.targets for d in paired_differences(rows, ["loses-exit"], ["off", "on"], "off", switches))


def test_deterministic_profile_runs_once_per_scenario_and_setting(tmp_path: Path) -> None:
    from sre_agent.ablation.plan import plan_runs, plan_settings

    (tmp_path / "sc").mkdir()
    path = tmp_path / "a.yaml"
    path.write_text("scenarios: [sc]\nprofiles: [clean, forgets]\nseeds: 3\ndesign: explicit\n"
                    "settings: {none: [], every: {all: on}}\n")
    spec = load_spec(path)
    runs = plan_runs(spec, [tmp_path / "sc"], plan_settings(spec)[0])
    assert [(r.profile, r.setting.name, r.seed) for r in runs if r.profile == "clean"] == [("clean", "none", 0), ("clean", "every", 0)]
    assert len([r for r in runs if r.profile == "forgets"]) == 6


def test_sign_flip_and_holm() -> None:
    assert sign_flip_test([0.0] * 5) == 1.0 and sign_flip_test([]) is None
    assert 0 < sign_flip_test([1.0, 1.0, 0.0, 0.0, -1.0, 1.0]) <= 1
    assert sign_flip_test([1.0] * 13) == pytest.approx(2 / 2 ** 13)  # exact: only the all-same patterns
    raw = [0.001, 0.04, 0.03, None, 0.5]
    adj = holm(raw)
    assert adj[3] is None and adj[0] == pytest.approx(0.004)  # 4 comparisons, the smallest times 4
    assert all(a >= r for a, r in zip(adj, raw) if r is not None) and adj[1] == adj[2] == pytest.approx(0.09)


def test_shipped_ablation_files_validate() -> None:
    full = load_spec(FULL)
    assert full.design == "one-at-a-time" and full.seed_list() == list(range(8))  # sized by the power analysis
    assert full.profiles == ["clean", "verifies-poorly", "loses-exit", "forgets"]
    assert full.simulate is not None and full.simulate.ground_truths == [GROUND_TRUTHS.resolve(), OUR_GROUND_TRUTHS.resolve()]
    for name in ("one-at-a-time-hard", "leave-one-out-hard"):
        hard = load_spec(PROJECT_ROOT / "configs" / "ablations" / f"{name}.yaml")
        assert hard.simulate.hard == "hard" and hard.simulate.ground_truths == full.simulate.ground_truths
        assert (hard.profiles, hard.seed_list()) == (full.profiles, full.seed_list())
    leave_out = load_spec(LEAVE_OUT)
    assert leave_out.design == "leave-one-out" and leave_out.baseline == "all-on"
    assert (leave_out.profiles, leave_out.seed_list(), leave_out.simulate) == (full.profiles, full.seed_list(), full.simulate)
    smoke = load_spec(SMOKE)
    assert len(smoke.simulate.ground_truths) <= 3 and len(smoke.profiles) == 2 and smoke.seed_list() == [0, 1]


# -- bad ablation files -----------------------------------------------------------------------------

BAD = {
    "not yaml": ("profiles: [clean\n", "not valid YAML"),
    "not a mapping": ("- 1\n", "expected a YAML mapping"),
    "unknown field": ("scenarios: sc\nprofiles: [clean]\ndesign: grid\nfoo: 1\n", "foo"),
    "unknown design": ("scenarios: sc\nprofiles: [clean]\ndesign: random\n", "design"),
    "unknown fix": ("scenarios: sc\nprofiles: [clean]\ndesign: grid\nvary: [teleport]\n", "teleport"),
    "no profile": ("scenarios: sc\nprofiles: []\ndesign: grid\n", "profiles"),
    "unknown profile": ("scenarios: sc\nprofiles: [gpt-7]\ndesign: grid\n", "gpt-7"),
    "missing scenarios": ("scenarios: nowhere\nprofiles: [clean]\ndesign: grid\n", "nowhere"),
    "both sources": ("scenarios: sc\nsimulate: {ground_truths: sc}\nprofiles: [clean]\ndesign: grid\n", "exactly one"),
    "zero seeds": ("scenarios: sc\nprofiles: [clean]\nseeds: 0\ndesign: grid\n", "seeds"),
    "bad threshold": ("scenarios: sc\nprofiles: [clean]\ndesign: grid\nfailed_threshold: 2\n", "failed_threshold"),
    "explicit without settings": ("scenarios: sc\nprofiles: [clean]\ndesign: explicit\n", "settings"),
    "bad switch": ("scenarios: sc\nprofiles: [clean]\ndesign: explicit\nsettings: {a: {loop_breaker: maybe}}\n", "maybe"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_ablation_file_is_one_line_input_error(tmp_path: Path, case: str) -> None:
    text, needle = BAD[case]
    (tmp_path / "sc").mkdir()
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_spec(path)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg and needle in msg


def test_unknown_baseline_and_cli_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sc").mkdir()
    path = tmp_path / "bad.yaml"
    path.write_text("scenarios: sc\nprofiles: [clean]\ndesign: one-at-a-time\nbaseline: nope\n")
    assert main(["ablate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "baseline 'nope'" in err
    assert main(["ablate", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_path_resolution_prefers_the_files_folder_then_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "abl").mkdir()
    (tmp_path / "cwd" / "only-in-cwd").mkdir(parents=True)
    (tmp_path / "abl" / "here").mkdir()
    path = tmp_path / "abl" / "x.yaml"
    path.write_text("scenarios: [here, only-in-cwd]\nprofiles: [clean]\ndesign: grid\n")
    monkeypatch.chdir(tmp_path / "cwd")
    spec = load_spec(path)
    assert spec.scenarios == [tmp_path / "abl" / "here", tmp_path / "cwd" / "only-in-cwd"]


# -- the smoke ablation --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("smoke")
    result = run_ablation(SMOKE, out, jobs=2, progress=False)
    return out, result


def _read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _md_table_after(text: str, heading: str) -> list[list[str]]:
    """The cells of the first markdown table after ``heading`` (header row excluded)."""
    rest = text[text.index(heading):]
    lines = [ln for ln in rest.splitlines()[1:]]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("|"))
    table = []
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        table.append([c.strip() for c in ln.strip("|").split("|")])
    return table


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def test_smoke_ablation_writes_every_artefact(smoke) -> None:
    out, result = smoke
    rows = _read_rows(out / "results.csv")
    assert list(rows[0]) == list(COLUMNS)
    # clean ignores the seed (deterministic: true): 3 scenarios × 2 settings × 1 seed; verifies-poorly × 2 seeds
    assert len(rows) == result.n_runs == 3 * 2 * 1 + 3 * 2 * 2 and result.errors == 0
    assert {r["seed"] for r in rows if r["profile"] == "clean"} == {"0"}
    assert {r["seed"] for r in rows if r["profile"] == "verifies-poorly"} == {"0", "1"}
    assert {r["setting"] for r in rows} == {"all-off", "all-on"}
    for r in rows:
        run = out / "runs" / r["run_id"]
        for name in ("agent_output.json", "trace.jsonl", "report.md", "score.json", "mast.json", "key.json", DONE):
            assert (run / name).is_file(), (run, name)
        assert r["failed"] == ("1" if float(r["recall"]) < 0.5 else "0")
    for p in ("clean", "verifies-poorly"):
        for kind in ("recall", "diff", "mast"):
            png = out / "plots" / f"{kind}-{p}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wall_s" in (out / "timings.csv").read_text().splitlines()[0]
    assert "wall" not in (out / "results.csv").read_text().splitlines()[0]


def test_smoke_report_numbers_match_results_csv(smoke) -> None:
    out, _ = smoke
    rows = _read_rows(out / "results.csv")
    report = (out / "report.md").read_text()
    profiles = ["clean", "verifies-poorly"]
    headline = _md_table_after(report, "## Mean root-cause recall per setting")
    assert [r[0] for r in headline] == ["`all-off`", "`all-on`"]
    for line in headline:
        setting = line[0].strip("`")
        for profile, cell in zip(profiles, line[1:]):
            m = re.fullmatch(r"([\d.]+) \[([\d.]+), ([\d.]+)\]( ◆)?", cell)
            assert m, cell
            mean, low, high = map(float, m.groups()[:3])
            assert bool(m.group(4)) == (profile == "verifies-poorly" and setting == "all-on")
            recalls = [float(r["recall"]) for r in rows if r["profile"] == profile and r["setting"] == setting]
            assert len(recalls) == (3 if profile == "clean" else 6)
            assert mean == pytest.approx(_mean(recalls), abs=5e-4)
            assert low - 5e-4 <= mean <= high + 5e-4 and 0 <= low and high <= 1
    for profile in profiles:
        table = _md_table_after(report, f"### Paired difference against `all-off`, `{profile}`")
        assert len(table) == 1
        setting, targets, n, mean_diff, ci, dz, wlt, p, p_holm = table[0]
        assert bool(targets) == (profile == "verifies-poorly")  # it injects 3.2 and 3.3, which the gate targets
        base = {(r["scenario"], r["seed"]): float(r["recall"]) for r in rows
                if r["profile"] == profile and r["setting"] == "all-off"}
        by_scenario: dict[str, list[float]] = {}  # clustered: a scenario's seeds are averaged first
        for r in rows:
            if r["profile"] == profile and r["setting"] == "all-on":
                by_scenario.setdefault(r["scenario"], []).append(float(r["recall"]) - base[(r["scenario"], r["seed"])])
        diffs = [_mean(ds) for ds in by_scenario.values()]
        assert setting == "`all-on`" and int(n) == len(diffs) == 3
        assert float(mean_diff) == pytest.approx(_mean(diffs), abs=5e-5)
        wins, losses, ties = (int(x) for x in wlt.split(" / "))
        assert (wins, losses, ties) == (sum(d > 0 for d in diffs), sum(d < 0 for d in diffs),
                                        sum(d == 0 for d in diffs))
        if all(d == 0 for d in diffs):
            assert float(p) == 1.0 and dz == "–"
        else:
            assert float(p) == pytest.approx(sign_flip_test(diffs), rel=1e-3)
        assert float(p_holm) >= float(p)
    assert "*Independent units: 3 scenarios" in report


def test_smoke_mast_frequencies_match_results_csv(smoke) -> None:
    out, _ = smoke
    rows = _read_rows(out / "results.csv")
    report = (out / "report.md").read_text()
    heading = "#### MAST modes in failed vs successful runs, `verifies-poorly`"
    if heading not in report:
        pytest.skip("no MAST mode present in the verifies-poorly runs")
    table = _md_table_after(report, heading)
    for line in table[:-1]:
        mode = line[0].split(" ", 1)[0]
        for setting, cell in zip(("all-off", "all-on"), line[1:]):
            sel = [r for r in rows if r["profile"] == "verifies-poorly" and r["setting"] == setting]
            failed = [r[f"FM-{mode}"] == "1" for r in sel if r["failed"] == "1"]
            ok = [r[f"FM-{mode}"] == "1" for r in sel if r["failed"] == "0"]
            expect = "/".join("–" if not xs else f"{100 * sum(xs) / len(xs):.0f}" for xs in (failed, ok))
            assert cell.split(" (")[0].replace(" ", "") == expect


def test_repeated_ablation_executes_nothing(smoke) -> None:
    out, first = smoke
    before = (out / "results.csv").read_bytes()
    markers = {p: p.stat().st_mtime_ns for p in (out / "runs").glob(f"*/{DONE}")}
    assert len(markers) == first.executed + first.reused == 18
    again = run_ablation(SMOKE, out, jobs=2, progress=False, plots=False)
    assert (again.executed, again.reused) == (0, 18)
    assert (out / "results.csv").read_bytes() == before
    assert {p: p.stat().st_mtime_ns for p in (out / "runs").glob(f"*/{DONE}")} == markers


def test_interrupted_run_is_redone(smoke) -> None:
    out, _ = smoke
    before = (out / "results.csv").read_bytes()
    victim = sorted((out / "runs").iterdir())[0]
    (victim / DONE).unlink()  # as if killed before its marker was written
    (victim / "score.json").unlink()
    again = run_ablation(SMOKE, out, jobs=2, progress=False, plots=False)
    assert (again.executed, again.reused) == (1, 17)
    assert (victim / DONE).is_file() and (victim / "score.json").is_file()
    assert (out / "results.csv").read_bytes() == before


# -- Ray ------------------------------------------------------------------------------------------------

@pytest.mark.slow  # a local Ray start plus 18 runs: 60-90 s on two busy cores
def test_ray_executor_gives_the_same_results_csv(smoke, tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="ray is not installed (pip install 'sre-agent[ray]' / ray==2.60.0)")
    out, _ = smoke
    ray_out = tmp_path / "ray"
    result = run_ablation(SMOKE, ray_out, executor="ray", jobs=2, progress=False, plots=False)
    assert result.executed == 18
    assert result.errors == 0, [r["error"] for r in result.rows if r["error"]]
    assert (ray_out / "results.csv").read_bytes() == (out / "results.csv").read_bytes()


def test_smoke_fatal_vs_benign_table_matches_results_csv(smoke) -> None:
    from scipy.stats import fisher_exact

    out, _ = smoke
    rows = _read_rows(out / "results.csv")
    report = (out / "report.md").read_text()
    for profile in ("clean", "verifies-poorly"):
        heading = f"#### Which MAST modes separate failed from successful runs, `{profile}`"
        assert heading in report
        sel = [r for r in rows if r["profile"] == profile]
        seen = [m for m in MODE_IDS if any(r[f"FM-{m}"] == "1" for r in sel)]
        if not seen:
            assert "No MAST mode was labelled present" in report[report.index(heading):].split("####")[1]
            continue
        table = _md_table_after(report, heading)
        assert [line[0].split(" ", 1)[0] for line in table] == seen
        for line in table:
            mode = line[0].split(" ", 1)[0]
            known = [r for r in sel if r[f"FM-{mode}"] != "" and r["failed"] != ""]
            a = sum(r[f"FM-{mode}"] == "1" for r in known if r["failed"] == "1")
            nf = sum(r["failed"] == "1" for r in known)
            c = sum(r[f"FM-{mode}"] == "1" for r in known if r["failed"] == "0")
            ns = sum(r["failed"] == "0" for r in known)
            assert line[1].startswith(f"{a}/{nf} ") and line[2].startswith(f"{c}/{ns} ")
            if nf and ns:
                p = fisher_exact([[a, nf - a], [c, ns - c]], alternative="greater").pvalue
                assert float(line[4]) == pytest.approx(p, rel=1e-2)
                fa, fs = a / nf, c / ns
                verdict = "fatal" if fa > fs and p < 0.05 else "more in failures (n.s.)" if fa > fs else "benign"
                assert line[7] == verdict or (verdict == "fatal" and line[7].startswith("fatal in runs only"))
            assert int(line[6]) == len({r["scenario"] for r in sel if r[f"FM-{mode}"] == "1"})


def test_fatal_reading_on_a_hand_made_table() -> None:
    from sre_agent.ablation.mast_view import ModeTable

    assert ModeTable("p", "s", "1.5", 8, 10, 1, 10).verdict == "fatal"
    assert ModeTable("p", "s", "1.5", 2, 10, 1, 10).verdict == "more in failures (n.s.)"
    assert ModeTable("p", "s", "1.5", 2, 10, 5, 10).verdict == "benign"
    assert ModeTable("p", "s", "1.5", 2, 10, 0, 0).p_value is None


# -- effects apart from construction, power, variants ---------------------------------------------------

def test_smoke_report_states_effects_elsewhere_and_cost(smoke) -> None:
    from sre_agent.ablation.elsewhere import cost_difference

    out, _ = smoke
    rows = _read_rows(out / "results.csv")
    report = (out / "report.md").read_text()
    (line,) = _md_table_after(report, "## What each setting does apart from construction")
    setting, built, other, clean, calls, tokens, wall = line
    assert setting == "`all-on`" and built.startswith("◆ verifies-poorly") and other == "–"
    assert clean.startswith("clean ")
    by_run = {(r["scenario"], r["profile"], r["seed"], r["setting"]): float(r["model_calls"]) for r in rows}
    per_scenario: dict[str, list[float]] = {}
    for (sc, p, seed, s), v in by_run.items():
        if s == "all-on":
            per_scenario.setdefault(sc, []).append(v - by_run[(sc, p, seed, "all-off")])
    expect = _mean([_mean(v) for v in per_scenario.values()])
    assert float(calls.split(" ")[0]) == pytest.approx(expect, abs=0.051)
    assert cost_difference(rows, "all-on", "all-off", "model_calls")[0] == pytest.approx(expect)


def test_power_from_the_smoke_pilot(smoke, capsys: pytest.CaptureFixture[str]) -> None:
    from sre_agent.ablation.power import main as power_main, variance_components

    out, _ = smoke
    rows = _read_rows(out / "results.csv")
    v = variance_components(rows, "verifies-poorly", "all-on", "all-off")
    assert (v.scenarios, v.seeds) == (3, 2) and v.between >= 0 and v.within >= 0
    assert power_main([str(out), "--scenarios-available", "44", "--cpu-s-per-run", "1.0"]) == 0
    printed = capsys.readouterr().out
    assert "planned re-run: 44 scenarios ×" in printed and "estimated CPU time" in printed


def test_more_seeds_help_only_against_seed_variance() -> None:
    from sre_agent.ablation.power import Components, detectable, scenarios_needed

    seedy = Components("p", "s", 29, 2, 0.05, between=0.0, within=0.04)
    spread = Components("p", "s", 29, 2, 0.05, between=0.04, within=0.0)
    assert scenarios_needed(seedy, 8, 0.05, 0.05, 0.8) < scenarios_needed(seedy, 1, 0.05, 0.05, 0.8) / 4
    assert scenarios_needed(spread, 8, 0.05, 0.05, 0.8) == pytest.approx(scenarios_needed(spread, 1, 0.05, 0.05, 0.8))
    assert detectable(spread, 5, 44, 0.05, 0.8) < detectable(spread, 5, 29, 0.05, 0.8)
    assert scenarios_needed(Components("p", "s", 29, 2, 0.0, 0.0, 0.0), 1, 0.05, 0.05, 0.8) == 0.0


def test_plan_sizes_seeds_by_the_comparisons_seeds_can_help() -> None:
    from sre_agent.ablation.power import Components, plan, scenarios_needed

    seedy = Components("p", "a", 29, 2, 0.05, between=0.0, within=0.02)
    spread = Components("p", "b", 29, 2, 0.3, between=0.3, within=0.1)  # no seed count reaches 0.05 with 44
    k, lines = plan([seedy, spread], delta=0.05, alpha=0.05, power=0.8, comparisons=28, available=44)
    strict = 0.05 / 28
    assert scenarios_needed(seedy, k, 0.05, strict, 0.8) <= 44
    smaller = [j for j in (1, 2, 3, 5, 8, 10) if j < k]
    assert all(scenarios_needed(seedy, j, 0.05, strict, 0.8) > 44 for j in smaller)
    assert any("p b:" in ln and "between-scenario variance" in ln for ln in lines)


def test_hard_variant_and_folder_lists_in_the_spec(tmp_path: Path) -> None:
    from sre_agent.ablation.scenarios import ground_truth_files

    path = tmp_path / "h.yaml"
    path.write_text(f"simulate:\n  ground_truths: [{GROUND_TRUTHS}, {GROUND_TRUTHS / 'Scenario-2.yaml'}]\n  hard: hard\n"
                    "profiles: [clean]\ndesign: one-at-a-time\n")
    spec = load_spec(path)
    files = ground_truth_files(spec.simulate)
    assert len(files) == len(list(GROUND_TRUTHS.glob("*.yaml"))) + 1 and spec.simulate.hard == "hard"
    path.write_text(f"simulate:\n  ground_truths: {GROUND_TRUTHS}\n  hard: no-such-switch\nprofiles: [clean]\n"
                    "design: one-at-a-time\n")
    with pytest.raises(InputError, match="no-such-switch"):
        load_spec(path)


def test_smoke_injected_vs_detected_matches_validate(smoke) -> None:
    from sre_agent.mast.run import load_events
    from sre_agent.mast.validate import validate

    out, _ = smoke
    rows = _read_rows(out / "results.csv")
    report = (out / "report.md").read_text()
    table = _md_table_after(report, "## The MAST annotator against the injected failures")
    whole = validate([load_events(out / "runs" / i) for i in dict.fromkeys(r["run_id"] for r in rows)])
    injected = [row for row in whole.rows if row.tp + row.fn]
    assert [line[0].split(" ", 1)[0] for line in table] == [row.mode for row in injected]
    for line, row in zip(table, injected):
        assert [int(x) for x in line[1:5]] == [row.tp, row.fp, row.fn, row.prevented]
        assert float(line[7].split(" ")[0]) == pytest.approx(row.f1, abs=5e-4)


def test_rerun_resumes_from_the_runs_on_disk(smoke, tmp_path: Path) -> None:
    import json
    import shutil

    from sre_agent.ablation.rerun import rerun, write_variants

    out, _ = smoke
    shutil.copytree(out, tmp_path / "smoke")  # as if the command had been interrupted after the runs
    log = rerun(tmp_path, ["smoke"], jobs=1, progress=False)
    assert log["smoke"]["executed"] == 0 and log["smoke"]["reused"] == 18 and log["smoke"]["errors"] == 0
    assert json.loads((tmp_path / "rerun.json").read_text())["smoke"]["runs"] == 18
    shutil.copytree(tmp_path / "smoke", tmp_path / "smoke-hard")
    (path,) = write_variants(tmp_path, [("smoke", "all-off")])
    rows = [ln.split(" | ") for ln in path.read_text().splitlines()[2:]]
    assert len(rows) == 2 and all(r[-1].startswith("+0.000 [+0.000, +0.000]") for r in rows)  # the same runs twice
