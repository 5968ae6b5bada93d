"""The ablation file: a YAML document validated by :class:`AblationSpec`.

Schema (every path is resolved relative to the ablation file's folder first, then the current
working directory; see :func:`resolve_path`)::

    name: smoke                      # optional; default: the file name without .yaml
    description: free text           # optional
    scenarios: PATH | [PATH, ...]    # scenario folders, or folders of them (sre_agent.eval.suite.find_scenarios)
    simulate:                        # optional: build the scenarios into <out>/scenarios first
      ground_truths: PATH | [PATH, ...]   # a folder of ground-truth *.yaml, or a list of files and folders
      seed: 0                        # simulator seed (same seed, same bytes)
      hard: ""                       # hard switches (simulate --hard): a comma list, or hard for all
    profiles: [clean, forgets]       # model profiles (configs/models/<name>.yaml)
    seeds: 5 | [0, 3, 7]             # a count (seeds 0..n-1) or a list
    design: one-at-a-time | leave-one-out | grid | explicit
    vary: [loop_breaker, ...]        # optional: the fixes a design varies (default: all six)
    settings: ...                    # grid: optional list of fix lists (each: the fixes on);
                                     # explicit: {name: [fixes on] | {fix: on/off, all: on/off}}
    baseline: all-off                # a setting name (default depends on the design)
    failed_threshold: 0.5            # a run "failed" when its root-cause recall < this
    config: PATH                     # optional base run configuration (as --config)

Exactly one of ``scenarios`` and ``simulate`` is given.  Bad files raise
:class:`~sre_agent.errors.InputError` with one line naming the file and the field.

Example:
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "sc").mkdir()
    >>> _ = (d / "a.yaml").write_text("scenarios: sc\\nprofiles: [clean]\\nseeds: 2\\ndesign: one-at-a-time\\n")
    >>> spec = load_spec(d / "a.yaml")
    >>> spec.name, spec.seed_list(), spec.scenarios == [d / "sc"]
    ('a', [0, 1], True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..config import FIX_NAMES
from ..errors import InputError

Design = Literal["one-at-a-time", "leave-one-out", "grid", "explicit"]

#: The value a fix may take in an explicit setting (YAML reads on/off as booleans already).
_SWITCH = {"on": True, "off": False, "true": True, "false": False}


def resolve_path(value: str | Path, base: Path) -> Path:
    """``value`` relative to ``base`` (the ablation file's folder) if it exists there, else to the
    current working directory; an absolute path is kept.  A path found nowhere resolves against
    ``base`` (and the caller reports it missing)."""
    p = Path(value).expanduser()
    if p.is_absolute():
        return p
    for root in (base, Path.cwd()):
        if (root / p).exists():
            return (root / p).resolve()
    return (base / p).resolve()


def _check_fixes(names: list[str], where: str) -> list[str]:
    bad = [n for n in names if n not in FIX_NAMES]
    if bad:
        raise ValueError(f"{where}: unknown fix {bad[0]!r}; known: {', '.join(FIX_NAMES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"{where}: a fix is listed twice")
    return list(names)


def parse_switches(value: Any, where: str) -> dict[str, bool]:
    """An explicit setting as a full fix map: a list of fixes on (the rest off), or a mapping of
    fix -> on/off where the optional key ``all`` gives every unmentioned fix (default off)."""
    if isinstance(value, list):
        on = _check_fixes([str(v) for v in value], where)
        return {n: n in on for n in FIX_NAMES}
    if isinstance(value, dict):
        def flag(k: str, v: Any) -> bool:
            if isinstance(v, bool):
                return v
            if isinstance(v, str) and v.lower() in _SWITCH:
                return _SWITCH[v.lower()]
            raise ValueError(f"{where}.{k}: expected on or off, got {v!r}")
        start = flag("all", value.get("all", False))
        out = {n: start for n in FIX_NAMES}
        for k, v in value.items():
            if k == "all":
                continue
            _check_fixes([str(k)], where)
            out[str(k)] = flag(str(k), v)
        return out
    raise ValueError(f"{where}: expected a list of fixes switched on, or a mapping fix: on|off")


class SimulateSpec(BaseModel):
    """Build the scenarios with the ITBench-Lite simulator before the sweep."""

    model_config = ConfigDict(extra="forbid")

    ground_truths: Path | list[Path]
    seed: int = 0
    #: hard switches (``sre_agent.simulator.hard``): a comma list, ``hard`` for all; empty: normal
    hard: str = ""

    @field_validator("hard")
    @classmethod
    def _hard(cls, v: str) -> str:
        from ..simulator.hard import parse_switches

        parse_switches(v)  # ValueError names the unknown switch
        return v


class AblationSpec(BaseModel):
    """A validated ablation file, paths already resolved."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    source: Path | None = None
    scenarios: list[Path] = Field(default_factory=list)
    simulate: SimulateSpec | None = None
    profiles: list[str] = Field(min_length=1)
    seeds: int | list[int] = 1
    design: Design
    vary: list[str] = Field(default_factory=lambda: list(FIX_NAMES))
    settings: list[list[str]] | dict[str, Any] | None = None
    baseline: str | None = None
    failed_threshold: float = Field(0.5, gt=0.0, le=1.0)
    config: Path | None = None

    @field_validator("profiles")
    @classmethod
    def _profiles(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a profile is listed twice")
        return v

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: int | list[int]) -> int | list[int]:
        if isinstance(v, int) and v < 1:
            raise ValueError(f"expected a count >= 1 or a list of seeds, got {v}")
        if isinstance(v, list) and (not v or len(set(v)) != len(v)):
            raise ValueError("expected a non-empty list of distinct seeds")
        return v

    @field_validator("vary")
    @classmethod
    def _vary(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("expected at least one fix")
        return _check_fixes(v, "vary")

    @model_validator(mode="after")
    def _coherent(self) -> "AblationSpec":
        if bool(self.scenarios) == bool(self.simulate):
            raise ValueError("give exactly one of 'scenarios' (folders) and 'simulate' (ground truths)")
        if self.design == "explicit":
            if not isinstance(self.settings, dict) or not self.settings:
                raise ValueError("design explicit needs 'settings': a mapping of setting name -> fixes")
            for name, value in self.settings.items():
                parse_switches(value, f"settings.{name}")
        elif self.design == "grid":
            if self.settings is not None:
                if not isinstance(self.settings, list) or not self.settings:
                    raise ValueError("design grid: 'settings' is a list of fix lists (each: the fixes on)")
                for i, on in enumerate(self.settings):
                    _check_fixes(on, f"settings[{i}]")
                    if not set(on) <= set(self.vary):
                        raise ValueError(f"settings[{i}]: a fix outside 'vary'")
        elif self.settings is not None:
            raise ValueError(f"design {self.design} takes no 'settings' (use design explicit)")
        return self

    def seed_list(self) -> list[int]:
        """The seeds, in order."""
        return list(range(self.seeds)) if isinstance(self.seeds, int) else sorted(self.seeds)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()))
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


#: Largest ablation file read (real ones are a few kilobytes): refused by size, unread.
MAX_SPEC_BYTES = 4 * 1024 * 1024


def _read(path: Path) -> dict[str, Any]:
    try:
        if path.is_file() and path.stat().st_size > MAX_SPEC_BYTES:
            raise InputError(f"ablation file {path}: {path.stat().st_size / 2**20:.0f} MiB is larger than the "
                             f"{MAX_SPEC_BYTES // 2**20} MiB an ablation file may be")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"ablation file {path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"ablation file {path}: is a folder (expected a YAML file)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"ablation file {path}: cannot be read ({exc.__class__.__name__})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"ablation file {path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(f"ablation file {path}: expected a YAML mapping at the top level")
    return data


def _resolve_all(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Resolve the path fields of the raw document (before validation)."""
    out = dict(data)
    sc = out.get("scenarios")
    if isinstance(sc, (str, Path)):
        out["scenarios"] = [sc]
    if isinstance(out.get("scenarios"), list):
        out["scenarios"] = [resolve_path(p, base) if isinstance(p, (str, Path)) else p for p in out["scenarios"]]
    sim = out.get("simulate")
    if isinstance(sim, dict) and "ground_truths" in sim:
        gt = sim["ground_truths"]
        sim = dict(sim)
        if isinstance(gt, (str, Path)):
            sim["ground_truths"] = resolve_path(gt, base)
        elif isinstance(gt, list):
            sim["ground_truths"] = [resolve_path(p, base) if isinstance(p, (str, Path)) else p for p in gt]
        out["simulate"] = sim
    if isinstance(out.get("config"), (str, Path)):
        out["config"] = resolve_path(out["config"], base)
    return out


def _check_paths(spec: AblationSpec, where: str) -> None:
    for p in spec.scenarios:
        if not p.is_dir():
            raise InputError(f"{where}: scenarios: {p} is not a folder")
    if spec.simulate is not None:
        gts = spec.simulate.ground_truths
        if isinstance(gts, list):
            for p in gts:
                if not p.is_file() and not p.is_dir():
                    raise InputError(f"{where}: simulate.ground_truths: {p}: no such file or folder")
        elif not gts.is_dir():
            raise InputError(f"{where}: simulate.ground_truths: {gts} is not a folder")
    if spec.config is not None and not spec.config.is_file():
        raise InputError(f"{where}: config: {spec.config}: no such file")


def _check_profiles(spec: AblationSpec, where: str) -> None:
    """Every profile (and the base config) loads: a bad name fails now, not in every run."""
    from ..config import load_config

    for name in spec.profiles:
        try:
            load_config(spec.config, (), name, 0)
        except InputError as exc:
            raise InputError(f"{where}: profiles: {exc}") from None


def load_spec(path: Path | str) -> AblationSpec:
    """Read, resolve and validate an ablation file (InputError, one line, when it is bad)."""
    path = Path(path)
    data = _read(path)
    data.setdefault("name", path.name.removesuffix(".yaml").removesuffix(".yml"))
    if "source" in data:
        raise InputError(f"ablation file {path}: source: not a field of an ablation file")
    data = _resolve_all(data, path.resolve().parent)
    try:
        spec = AblationSpec(source=path.resolve(), **data)
    except ValidationError as exc:
        raise InputError(f"ablation file {path}: {_first_error(exc)}") from None
    except ValueError as exc:
        raise InputError(f"ablation file {path}: {str(exc).splitlines()[0]}") from None
    _check_paths(spec, f"ablation file {path}")
    _check_profiles(spec, f"ablation file {path}")
    return spec
