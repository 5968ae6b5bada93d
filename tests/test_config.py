"""Configuration layering, fix switches and model profiles."""

from __future__ import annotations

import pytest

from sre_agent.config import FIX_NAMES, list_model_profiles, load_config, parse_fix_overrides
from sre_agent.errors import ConfigError


def test_defaults_switch_every_fix_on():
    cfg = load_config()
    assert all(getattr(cfg.fixes, n) for n in FIX_NAMES)
    assert cfg.model.name == "clean" and cfg.model.kind == "offline"


def test_fix_overrides_apply_in_order_and_all_switches_everything():
    assert parse_fix_overrides(["all=off", "loop_breaker=on"]) == {**{n: False for n in FIX_NAMES}, "loop_breaker": True}
    cfg = load_config(fixes=["verification_gate=off"])
    assert cfg.fixes.verification_gate is False and cfg.fixes.loop_breaker is True


@pytest.mark.parametrize("bad", ["loop_breaker", "loop_breaker=maybe", "nosuchfix=on"])
def test_bad_fix_overrides_are_one_line_config_errors(bad):
    with pytest.raises(ConfigError) as err:
        parse_fix_overrides([bad])
    assert "\n" not in str(err.value) and bad.split("=")[0] in str(err.value)


def test_shipped_profiles_load_and_failing_ones_inject_something():
    names = list_model_profiles()
    assert {"clean", "verifies-poorly", "loses-exit", "forgets", "openai"} <= set(names)
    for name in ("verifies-poorly", "loses-exit", "forgets"):
        prof = load_config(model=name).model
        assert prof.failure_rates and all(0 < r <= 1 for r in prof.failure_rates.values())


def test_user_config_file_overrides_defaults(tmp_path):
    f = tmp_path / "run.yaml"
    f.write_text("seed: 7\nfixes:\n  task_anchoring: false\nbudgets:\n  max_turns: 5\n")
    cfg = load_config(f)
    assert (cfg.seed, cfg.fixes.task_anchoring, cfg.budgets.max_turns) == (7, False, 5)


@pytest.mark.parametrize("text", ["budgets: {max_turns: -1}", "nonsense_key: 1", "[1, 2]", "a: [unclosed"])
def test_invalid_config_files_raise_config_error(tmp_path, text):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError):
        load_config(f)


def test_unknown_model_profile_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        load_config(model="gpt-17")
    assert "clean" in str(err.value)
