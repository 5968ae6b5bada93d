"""From ``serve``'s command-line options to checked settings (bad input -> ``InputError``, one line).

The rule for credentials: serve refuses to start without them unless ``--no-auth`` is given *and*
the listening address is a loopback one (anyone who can reach a non-loopback port could make it
triage, with a real model at a cost).

Example:
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0"), is_loopback("10.1.2.3")
    (True, True, False, False)
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError
from ._auth import Authenticator, authenticator_from_options
from ._ratelimit import RateLimiter, parse_rate


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address (``""`` = all interfaces: no)."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    try:
        return bool(infos) and all(ipaddress.ip_address(str(i[4][0]).split("%", 1)[0]).is_loopback for i in infos)
    except ValueError:
        return False


def check_auth(args: argparse.Namespace) -> Authenticator | None:
    """The authenticator the options configure; ``None`` only with ``--no-auth`` on a loopback host."""
    auth = authenticator_from_options(getattr(args, "auth_token_file", None), getattr(args, "auth_token_env", None),
                                      getattr(args, "basic_auth_file", None))
    no_auth = bool(getattr(args, "no_auth", False))
    if no_auth and auth is not None:
        raise InputError("--no-auth: cannot be combined with --auth-token-file, --auth-token-env or --basic-auth-file")
    if auth is None and not no_auth:
        raise InputError("no credentials configured: give --auth-token-file, --auth-token-env or --basic-auth-file "
                         "(or --no-auth on a loopback --host)")
    if no_auth and not is_loopback(args.host):
        raise InputError(f"--no-auth: only allowed on a loopback --host (127.0.0.1, ::1), not {args.host!r}")
    return auth


def check_limiter(args: argparse.Namespace) -> RateLimiter | None:
    """The per-sender rate limiter of ``--rate-limit`` / ``--rate-burst`` (``None`` when off)."""
    try:
        rate = parse_rate(str(args.rate_limit))
    except ValueError:
        raise InputError(f"--rate-limit {args.rate_limit}: expected N/s, N/m or off") from None
    if not math.isfinite(rate):
        raise InputError(f"--rate-limit {args.rate_limit}: expected a finite rate")
    if args.rate_burst < 1:
        raise InputError(f"--rate-burst {args.rate_burst}: expected at least 1")
    return RateLimiter(rate, args.rate_burst) if rate > 0 else None


def run_config_path(args: argparse.Namespace) -> Path | None:
    """``--config`` (the run configuration, as in triage), or its deprecated old name ``--run-config``."""
    old = getattr(args, "run_config", None)
    if old is None:
        return args.config
    if args.config is not None:
        raise InputError("--run-config is the deprecated name of --config: give only --config")
    print("sre-agent serve: warning: --run-config is deprecated; use --config (the run configuration, as in "
          "triage; the live sources are --live-config)", file=sys.stderr)
    return Path(old)


@dataclass(frozen=True)
class Settings:
    """Everything ``serve`` needs, checked."""

    out: Path
    queue_db: Path
    backend_factory: Callable[[], Any]
    #: the recorded scenario triaged against (``None``: live sources, probed in the background)
    snapshot: Path | None
    run_config: Any
    auth: Authenticator | None
    limiter: RateLimiter | None


def _backend(args: argparse.Namespace) -> tuple[Callable[[], Any], Path | None]:
    if args.snapshot is not None:
        from ..snapshot.layout import scenario_dir_problem
        snapshot = Path(args.snapshot)
        problem = scenario_dir_problem(snapshot)
        if problem:  # refused at start, as triage refuses it, not at every triage
            raise InputError(f"--snapshot {snapshot}: {problem}")

        def snapshot_backend() -> Any:
            from ..snapshot import SnapshotBackend
            return SnapshotBackend(snapshot)
        return snapshot_backend, snapshot
    from ..backends.live import LiveBackend
    from ..backends.live_config import load_live_config
    live_config = load_live_config(getattr(args, "live_config", None))

    def live_backend() -> Any:
        return LiveBackend.from_config(live_config)
    return live_backend, None


def check_settings(args: argparse.Namespace) -> Settings:
    """Check every option (in the order a user reads them); raises ``InputError`` on the first bad one."""
    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: expected 0-65535")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {args.out}: cannot be created ({exc.strerror})") from None
    queue_db = Path(args.queue_db) if args.queue_db else out / "queue.sqlite3"
    if queue_db.is_dir():
        raise InputError(f"--queue-db {queue_db}: is a folder; expected a database file")
    for name in ("dedupe_window", "shutdown_grace"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value >= 0):
            raise InputError(f"--{name.replace('_', '-')} {value}: expected a number of seconds >= 0")
    if args.max_queue < 1:
        raise InputError(f"--max-queue {args.max_queue}: expected at least 1")
    limiter = check_limiter(args)
    for name in ("source_check_interval", "source_check_timeout"):
        value = getattr(args, name, 1.0)
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"--{name.replace('_', '-')} {value}: expected a number of seconds > 0")
    backend_factory, snapshot = _backend(args)
    from ..config import load_config
    run_config = load_config(run_config_path(args))
    auth = check_auth(args)
    return Settings(out=out, queue_db=queue_db, backend_factory=backend_factory, snapshot=snapshot,
                    run_config=run_config, auth=auth, limiter=limiter)
