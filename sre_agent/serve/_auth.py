"""Who may post: the credentials Alertmanager's webhook ``http_config`` can send.

* a bearer token (``authorization: {type: Bearer, credentials_file: ...}``), or
* basic auth (``basic_auth: {username: ..., password_file: ...}``),

read by serve from a file or an environment variable, and compared in constant time
(:func:`hmac.compare_digest`).  Every secret loaded here is registered with the redactor, so it is
masked wherever it might surface (logs, error lines).

Example:
    >>> auth = Authenticator(bearer_token="s3cret-token-1")
    >>> auth.check("Bearer s3cret-token-1"), auth.check("Bearer wrong"), auth.check(None)
    (True, False, False)
    >>> import base64
    >>> basic = Authenticator(basic=("am", "pa55word-x"))
    >>> basic.check("Basic " + base64.b64encode(b"am:pa55word-x").decode()), basic.challenge()
    (True, 'Basic realm="sre-agent"')
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from pathlib import Path

from ..backends._redact import register_secret
from ..errors import InputError

MIN_SECRET_LEN = 8
MAX_SECRET_FILE = 64 * 1024


class Authenticator:
    """Checks an ``Authorization`` header against a bearer token and/or a basic-auth pair."""

    def __init__(self, bearer_token: str | None = None, basic: tuple[str, str] | None = None) -> None:
        if not bearer_token and not basic:
            raise ValueError("an Authenticator needs a bearer token or a basic-auth pair")
        self._token = bearer_token.encode("utf-8") if bearer_token else None
        self._basic = f"{basic[0]}:{basic[1]}".encode("utf-8") if basic else None
        for secret in (bearer_token, basic[1] if basic else None):
            register_secret(secret)

    def __repr__(self) -> str:  # never the secret
        kinds = [k for k, v in (("bearer", self._token), ("basic", self._basic)) if v]
        return f"Authenticator({'+'.join(kinds)})"

    def describe(self) -> str:
        """What a sender must present, in words (never the secret): ``bearer token``, ``basic auth``."""
        kinds = [k for k, v in (("bearer token", self._token), ("basic auth", self._basic)) if v]
        return " or ".join(kinds) or "nothing"

    def check(self, header: str | None) -> bool:
        """True when ``header`` (the request's ``Authorization``) carries a configured credential."""
        if not header:
            return False
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and self._token is not None:
            return hmac.compare_digest(value.encode("utf-8", "replace"), self._token)
        if scheme.lower() == "basic" and self._basic is not None:
            try:
                given = base64.b64decode(value.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError):
                return False
            return hmac.compare_digest(given, self._basic)
        return False

    def challenge(self) -> str:
        """The ``WWW-Authenticate`` header value of a 401."""
        return 'Bearer realm="sre-agent"' if self._token is not None else 'Basic realm="sre-agent"'


def _checked_secret(value: str, where: str) -> str:
    value = value.strip()
    if not value:
        raise InputError(f"{where}: is empty")
    if len(value) < MIN_SECRET_LEN or any(c.isspace() for c in value):
        raise InputError(f"{where}: a secret needs at least {MIN_SECRET_LEN} characters and no whitespace")
    return value


def read_secret_file(path: Path, option: str) -> str:
    """The secret in ``path`` (surrounding whitespace, e.g. a trailing newline, removed)."""
    try:
        if Path(path).stat().st_size > MAX_SECRET_FILE:
            raise InputError(f"{option} {path}: larger than {MAX_SECRET_FILE} bytes")
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{option} {path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{option} {path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot be read ({exc.strerror})") from None
    return _checked_secret(text, f"{option} {path}")


def read_secret_env(name: str, option: str) -> str:
    """The secret in the environment variable ``name``."""
    value = os.environ.get(name)
    if value is None:
        raise InputError(f"{option} {name}: the environment variable is not set")
    return _checked_secret(value, f"{option} {name}")


def authenticator_from_options(token_file: Path | None = None, token_env: str | None = None,
                               basic_auth_file: Path | None = None) -> Authenticator | None:
    """Build the :class:`Authenticator` the options name; ``None`` when none is given."""
    if token_file is not None and token_env is not None:
        raise InputError("--auth-token-file and --auth-token-env: give only one")
    token = None
    if token_file is not None:
        token = read_secret_file(token_file, "--auth-token-file")
    elif token_env is not None:
        token = read_secret_env(token_env, "--auth-token-env")
    basic = None
    if basic_auth_file is not None:
        pair = read_secret_file(basic_auth_file, "--basic-auth-file")
        user, sep, password = pair.partition(":")
        if not sep or not user:
            raise InputError(f"--basic-auth-file {basic_auth_file}: expected one line user:password")
        basic = (user, _checked_secret(password, f"--basic-auth-file {basic_auth_file} (password)"))
    if token is None and basic is None:
        return None
    return Authenticator(bearer_token=token, basic=basic)
