"""Every runnable example in a docstring runs and prints what it says (docs that match the code)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

SKIP = {"sre_agent.__main__", "sre_agent.simulator.__main__"}


def _modules() -> list[str]:
    names = {"sre_agent"}
    # tools/ and eval/ are installed as sre_agent.tools and sre_agent.eval from folders of their own
    for pkg in ("sre_agent", "sre_agent.tools", "sre_agent.eval"):
        names.add(pkg)
        names.update(m.name for m in pkgutil.walk_packages(importlib.import_module(pkg).__path__, pkg + "."))
    return sorted(names - SKIP)


def _with_examples() -> list[str]:
    out = []
    for name in _modules():
        module = importlib.import_module(name)
        if doctest.DocTestFinder().find(module) and any(t.examples for t in doctest.DocTestFinder().find(module)):
            out.append(name)
    return out


EXAMPLES = _with_examples()


def test_the_package_has_runnable_examples():
    assert len(EXAMPLES) >= 30  # the public modules document themselves with an example


@pytest.mark.parametrize("name", EXAMPLES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
