"""Application profiles (configs/apps): loaded and validated as part of the run configuration,
refused in one line when bad; a hint the analyzer adds to traces, never needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from robust_helpers import assert_input_error, run_main
from sre_agent.analysis.profile import AppProfile, load_app_profile, packaged_app_profiles
from sre_agent.config import load_config
from sre_agent.errors import ConfigError, InputError


def test_the_otel_demo_profile_is_packaged_and_complete() -> None:
    assert "otel-demo" in packaged_app_profiles()
    p = load_app_profile("otel-demo")
    assert p.namespace == "otel-demo" and "cart" in p.callees("frontend")
    assert p.flag_targets("cartFailure") == ["cart"] and "kafka" in p.backing


def test_the_run_config_selects_a_profile_by_name_or_path(tmp_path: Path) -> None:
    assert load_config().app_profile is None  # default: no profile, nothing assumed
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "shop.yaml").write_text("calls: {web: [api]}\nflags: {slowApi: [api]}\n")
    cfg = tmp_path / "run.yaml"
    cfg.write_text("app_profile: shop\n")
    loaded = load_config(cfg)
    assert loaded.app_profile == AppProfile(name="shop", calls={"web": ["api"]}, flags={"slowApi": ["api"]})
    assert loaded.describe()["app_profile"] == "shop"
    cfg.write_text(f"app_profile: {tmp_path / 'apps' / 'shop.yaml'}\n")
    assert load_config(cfg).app_profile.callers("api") == ["web"]


@pytest.mark.parametrize("text, expect", [
    ("calls: {web: api}\n", "calls.web"),              # a list is expected
    ("call: {web: [api]}\n", "call"),                    # unknown key (a typo) is refused
    ("- a\n- b\n", "mapping"),
    ("calls: [unclosed\n", "not valid YAML"),
])
def test_a_bad_profile_is_one_config_error_line(tmp_path: Path, text: str, expect: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_app_profile(str(bad))
    assert expect in str(err.value) and "\n" not in str(err.value) and isinstance(err.value, InputError)


def test_an_unknown_profile_name_lists_the_packaged_ones() -> None:
    with pytest.raises(ConfigError, match="otel-demo"):
        load_app_profile("no-such-app")


def test_the_cli_refuses_a_bad_profile_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("flags: {x: 3}\n")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"app_profile: {tmp_path / 'bad.yaml'}\n")
    proc = run_main("triage", "--alert", tmp_path / "bad.yaml", "--config", cfg, "--output-dir", tmp_path / "o")
    assert_input_error(proc, "app profile", "flags.x")
