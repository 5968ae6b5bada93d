"""Optional features and the extra that installs them: a clear error instead of an ImportError.

``pip install sre-agent`` gives what ``triage`` and ``serve`` need and nothing more.  The research
commands (``eval``, ``bench``, ``ablate``, ``dataset fetch``, the MAST gold-set statistics) need
the ``research`` extra (scipy, scikit-learn, matplotlib, krippendorff, huggingface-hub; numpy is core); the Ray executor
of ``ablate`` the ``ray`` extra.  Each of those commands calls :func:`require` first, which names
the missing packages and the command that installs them.

Example:
    >>> require("research", "json")  # present: nothing happens
    >>> try:
    ...     require("research", "no_such_module_xyz")
    ... except MissingExtra as exc:
    ...     print(exc)
    this needs no_such_module_xyz, from the 'research' extra: pip install 'sre-agent[research]'
"""

from __future__ import annotations

import importlib.util

from .errors import InputError

#: the import names each research command needs
RESEARCH = ("scipy",)
PLOTS = ("scipy", "matplotlib")
STATS = ("scipy", "sklearn", "krippendorff")
HUB = ("huggingface_hub",)


class MissingExtra(InputError):
    """An optional package is not installed (one line naming the extra that installs it)."""


def require(extra: str, *modules: str) -> None:
    """Raise :class:`MissingExtra` unless every module of ``modules`` can be imported."""
    missing = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    if missing:
        raise MissingExtra(f"this needs {', '.join(missing)}, from the {extra!r} extra: "
                           f"pip install 'sre-agent[{extra}]'")


__all__ = ["HUB", "PLOTS", "RESEARCH", "STATS", "MissingExtra", "require"]
