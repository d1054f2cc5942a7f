"""The package's layout: the pipeline's stages at the top level, imports flowing one way, no circles.

Imports are read from the source with ``ast`` (function-level and
``TYPE_CHECKING`` imports included: they are a circle for the reader even when
Python would not trip on them).
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "coverage"

#: The stages, in the order data flows through them: a module imports only from its own stage or one above.
STAGES = ("errors", "data", "inputs", "reach", "plan", "models", "scenario", "batch", "app", "cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(name: str, path: Path) -> set[str]:
    """The package's modules that ``name`` imports, each resolved to the module that holds it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                found.add(target)
    return found


GRAPH = {name: imported_modules(name, path) for name, path in MODULES.items()}


def stage_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def test_no_import_circles() -> None:
    sorter = graphlib.TopologicalSorter(GRAPH)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import circle: {' -> '.join(exc.args[1])}")


def test_the_cycle_check_sees_a_circle() -> None:
    graph = {**GRAPH, "coverage.errors": GRAPH["coverage.errors"] | {"coverage.cli.main"}}
    with pytest.raises(graphlib.CycleError):
        graphlib.TopologicalSorter(graph).prepare()


def test_every_module_imports_only_from_its_stage_or_above() -> None:
    backwards = []
    for name, imported in GRAPH.items():
        stage = stage_of(name)
        if stage is None:  # coverage/__init__.py gathers the entry points of every stage
            continue
        for other in imported:
            other_stage = stage_of(other)
            if other_stage is not None and STAGES.index(other_stage) > STAGES.index(stage):
                backwards.append(f"{name} imports {other} (stage {other_stage!r} comes after {stage!r})")
    assert backwards == []


def test_the_top_level_is_the_stages() -> None:
    entries = sorted(p.name for p in PACKAGE.iterdir() if p.name != "__pycache__")
    assert len(entries) <= 12, entries
    stages = {p.stem for p in PACKAGE.iterdir() if p.name != "__pycache__"} - {"__init__", "py"}
    assert stages == set(STAGES)


def test_each_subpackage_names_what_it_offers() -> None:
    for stage in STAGES[1:]:
        init = PACKAGE / stage / "__init__.py"
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{init} has no docstring"
        assert any(
            isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
            for node in tree.body
        ), f"{init} has no __all__"
