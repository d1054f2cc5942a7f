"""The examples in the docstrings: every public function has one, and every example runs.

Public functions are those the package and its subpackages name in ``__all__``
(and the functions of a module they export, such as ``coverage.data.territory``);
the library modules of the app are public too. Each example is run with
:mod:`doctest` (``ELLIPSIS`` and ``NORMALIZE_WHITESPACE``), one test per module.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import types

import pytest

import coverage

#: Modules whose ``__all__`` is the public API.
PUBLIC_MODULES = (
    "coverage",
    "coverage.data",
    "coverage.data.layers",
    "coverage.inputs",
    "coverage.reach",
    "coverage.plan",
    "coverage.models",
    "coverage.scenario",
    "coverage.batch",
    "coverage.cli",
    "coverage.app",
    "coverage.app.settings",
    "coverage.app.session",
    "coverage.app.upload",
)

#: The Streamlit pages: they are run by ``streamlit run``, not imported for examples.
PAGES = ("coverage.app.page", "coverage.app.sidebar", "coverage.app.views", "coverage.app.uploads")

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def public_functions() -> dict[str, types.FunctionType]:
    found: dict[str, types.FunctionType] = {}
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        for attr in module.__all__:
            value = getattr(module, attr)
            members = (
                [(f"{value.__name__}.{a}", getattr(value, a)) for a in getattr(value, "__all__", ())]
                if inspect.ismodule(value)
                else [(f"{name}.{attr}", value)]
            )
            for _qualified, member in members:
                if inspect.isfunction(member):
                    found.setdefault(f"{member.__module__}.{member.__qualname__}", member)
    return found


def library_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(coverage.__path__, prefix="coverage.")
        if info.name not in PAGES and not info.name.endswith("__main__")
    ]
    return sorted(names)


def test_every_public_function_has_an_example() -> None:
    functions = public_functions()
    assert len(functions) > 50  # the walk found the API, not an empty list
    without = sorted(name for name, f in functions.items() if ">>>" not in (inspect.getdoc(f) or ""))
    assert without == [], f"{len(without)} public functions have no example in their docstring"


@pytest.mark.parametrize("name", library_modules())
def test_docstring_examples_run(name: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    module = importlib.import_module(name)
    tests = [t for t in doctest.DocTestFinder(exclude_empty=True).find(module) if t.examples]
    if not tests:
        pytest.skip(f"{name} has no examples")
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed (see above)"
