"""Batch grids: a TOML file of scenario overrides -> the list of cases to run.

A grid file has a ``[grid]`` table, a ``[[cases]]`` list, or both::

    [grid]                                   # cartesian product, in key order
    "objective.max_sites" = { start = 4, stop = 10, step = 2 }   # 4, 6, 8, 10
    "access.rural" = [10000.0, 15000.0]

    [[cases]]                                # explicit cases, after the grid
    name = "wide"                            # optional label
    "objective.max_sites" = 20
    "access.rural" = 25000.0

Keys are the dotted paths of ``--set`` overrides; written unquoted
(``objective.max_sites = [4, 6]``) they read as nested tables and are
flattened the same way. A range ``{ start, stop, step }`` includes ``stop``
(``step`` defaults to 1). Each :class:`Case` carries a stable id, a short hash
of its sorted overrides, so a rerun finds the results of a previous one.

:func:`validate_cases` loads the scenario with every case's overrides and
reports every bad case at once, before anything is computed.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coverage.data.i18n import N_
from coverage.errors import CoverageError, MissingDataError, ScenarioError
from coverage.scenario.loading import toml_value

__all__ = ["Case", "cases_from_mapping", "read_grid", "short_keys", "validate_cases"]

_RANGE_KEYS = frozenset({"start", "stop", "step"})
_MAX_CASES = 100_000


@dataclass(frozen=True)
class Case:
    """One scenario variant of a batch.

    Attributes
    ----------
    index
        0-based position in the grid (the order of the summary).
    values
        Dotted key -> value, in the grid's key order.
    name
        Label given in the grid file (``[[cases]] name``), else empty.
    """

    index: int
    values: Mapping[str, Any]
    name: str = ""

    @property
    def overrides(self) -> list[str]:
        """``KEY.PATH=VALUE`` strings for :func:`coverage.scenario.loading.load_scenario`."""
        return [f"{key}={toml_value(value)}" for key, value in self.values.items()]

    @property
    def case_id(self) -> str:
        """Short hash of the sorted overrides: the same overrides give the same id in any grid."""
        text = "\n".join(sorted(self.overrides))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def label(self, short_keys: Mapping[str, str] | None = None) -> str:
        """The name, else ``key=value`` pairs (keys shortened by ``short_keys``)."""
        if self.name:
            return self.name
        names = short_keys or {}
        return ", ".join(f"{names.get(k, k)}={toml_value(v)}" for k, v in self.values.items()) or "base"


def read_grid(path: str | Path) -> list[Case]:
    """Read a grid file (see the module docstring).

    Raises
    ------
    MissingDataError
        The file does not exist.
    ScenarioError
        Invalid TOML, an unknown table, a bad range or value list, duplicate
        cases (every problem at once, each naming the file and key).

    Examples
    --------
    Three site counts times two rural radii, and one explicit case:

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "grid.toml"
    >>> _ = path.write_text(
    ...     '[grid]\\n'
    ...     '"objective.max_sites" = { start = 4, stop = 8, step = 2 }\\n'
    ...     '"access.rural" = [10000.0, 15000.0]\\n'
    ...     '[[cases]]\\n'
    ...     'name = "wide"\\n'
    ...     '"objective.max_sites" = 20\\n',
    ...     encoding="utf-8",
    ... )
    >>> cases = read_grid(path)
    >>> len(cases)
    7
    >>> cases[0].overrides
    ['objective.max_sites=4', 'access.rural=10000.0']
    >>> cases[1].label(), cases[-1].label()
    ('objective.max_sites=4, access.rural=15000.0', 'wide')
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(
            N_("grid file {path} does not exist; check the path and the current folder").format(path=path)
        )
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: invalid TOML: {exc}") from None
    return cases_from_mapping(data, source=str(path))


def cases_from_mapping(data: Mapping[str, Any], *, source: str = "grid") -> list[Case]:
    """The cases of a parsed grid file (``source`` names it in messages); see :func:`read_grid`."""
    problems: list[str] = []
    unknown = sorted(set(data) - {"grid", "cases"})
    if unknown:
        problems.append(
            f"{source}: "
            + N_("unknown table(s) {names}; a grid file has `[grid]` and/or `[[cases]]`").format(
                names=", ".join(f"`{k}`" for k in unknown)
            )
        )
    axes: dict[str, list[Any]] = {}
    grid = data.get("grid", {})
    if not isinstance(grid, Mapping):
        problems.append(
            f"{source}: " + N_("`grid` must be a table of KEY.PATH = [values] or { start, stop, step }")
        )
        grid = {}
    for key, spec in _flatten(grid).items():
        values = _axis(spec, f"{source}: `grid.{key}`", problems)
        if values is not None:
            axes[key] = values
    cases: list[Case] = []
    if axes:
        count = math.prod(len(v) for v in axes.values())
        if count > _MAX_CASES:
            problems.append(
                f"{source}: "
                + N_("`grid` makes {num_count} cases; at most {num_max}").format(
                    num_count=f"{count:,}", num_max=f"{_MAX_CASES:,}"
                )
            )
        else:
            for combo in itertools.product(*axes.values()):
                cases.append(Case(len(cases), dict(zip(axes, combo, strict=True))))
    explicit = data.get("cases", [])
    if not isinstance(explicit, list) or not all(isinstance(c, Mapping) for c in explicit):
        problems.append(f"{source}: " + N_("`cases` must be an array of tables: [[cases]]"))
        explicit = []
    for number, table in enumerate(explicit, start=1):
        table = dict(table)
        name = table.pop("name", "")
        if not isinstance(name, str):
            problems.append(
                f"{source}: `cases` #{number}: "
                + N_("`name` must be text, received {value}").format(value=repr(name))
            )
            name = ""
        cases.append(Case(len(cases), _flatten(table), name))
    if not cases and not problems:
        problems.append(f"{source}: " + N_("no cases; add a `[grid]` table or `[[cases]]` entries"))
    seen: dict[str, Case] = {}
    for case in cases:
        first = seen.setdefault(case.case_id, case)
        if first is not case:
            problems.append(
                f"{source}: "
                + N_("case {num_case} ({label}) repeats case {num_first}; remove one of them").format(
                    num_case=case.index + 1, label=case.label(), num_first=first.index + 1
                )
            )
    if problems:
        raise ScenarioError(problems)
    return cases


def short_keys(cases: Sequence[Case]) -> dict[str, str]:
    """Dotted key -> its last part when that is unique among the keys of ``cases``, else the key."""
    keys = list(dict.fromkeys(k for case in cases for k in case.values))
    last = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: (tail if last.count(tail) == 1 else k) for k, tail in zip(keys, last, strict=True)}


def validate_cases(scenario_path: str | Path, cases: Sequence[Case], *, source: str = "grid") -> None:
    """Load the scenario with each case's overrides; raise once, listing every bad case.

    Raises
    ------
    ScenarioError
        One line per distinct problem, with the cases it occurs in.
    MissingDataError
        The scenario file does not exist.

    Examples
    --------
    >>> from coverage.scenario.run import shipped_scenario
    >>> demo = shipped_scenario("demo")
    >>> validate_cases(demo, cases_from_mapping({"grid": {"objective.max_sites": [5, 10]}}))  # all valid
    >>> validate_cases(demo, cases_from_mapping({"grid": {"objective.max_sites": [5, 0]}}))
    Traceback (most recent call last):
    ...
    coverage.errors.ScenarioError: grid: ...greater than or equal to 1 (received 0) [case 2 (max_sites=0)]
    """
    from coverage.scenario.loading import load_scenario

    problems: dict[str, list[Case]] = {}
    for case in cases:
        try:
            load_scenario(scenario_path, overrides=case.overrides)
        except MissingDataError:
            raise
        except CoverageError as exc:
            for line in getattr(exc, "problems", None) or [str(exc)]:
                problems.setdefault(_generic(str(line), case), []).append(case)
    if problems:
        names = short_keys(cases)
        lines = []
        for message, where in problems.items():
            listed = "; ".join(f"{c.index + 1} ({c.label(names)})" for c in where[:3])
            more = f" and {len(where) - 3} more" if len(where) > 3 else ""
            lines.append(
                f"{source}: " + N_("{message} [case {cases}]").format(message=message, cases=listed + more)
            )
        raise ScenarioError(lines)


def _generic(message: str, case: Case) -> str:
    """``message`` without the case's values (``--set a.b=3`` -> ``a.b``), so that cases group."""
    for key, override in zip(case.values, case.overrides, strict=True):
        message = message.replace(f"--set {override}", key)
    return message


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables -> dotted keys; range tables ``{start, stop[, step]}`` are kept as values."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and not _is_range(value):
            out.update(_flatten(value, f"{dotted}."))
        else:
            out[dotted] = value
    return out


def _is_range(value: Mapping[str, Any]) -> bool:
    return bool(value) and set(value) <= _RANGE_KEYS and {"start", "stop"} <= set(value)


def _axis(spec: Any, where: str, problems: list[str]) -> list[Any] | None:
    if isinstance(spec, list):
        if not spec:
            problems.append(f"{where}: " + N_("empty list of values; give at least one"))
            return None
        return spec
    if isinstance(spec, Mapping):
        return _range(spec, where, problems)
    return [spec]


def _range(spec: Mapping[str, Any], where: str, problems: list[str]) -> list[Any] | None:
    start, stop, step = spec["start"], spec["stop"], spec.get("step", 1)
    bounds = {"start": start, "stop": stop, "step": step}
    bad = [k for k, v in bounds.items() if isinstance(v, bool) or not isinstance(v, int | float)]
    if bad:
        received = ", ".join(f"{k} = {bounds[k]!r}" for k in bad)
        problems.append(
            f"{where}: " + N_("range bounds must be numbers; received {values}").format(values=received)
        )
        return None
    if step == 0 or (stop - start) * step < 0:
        problems.append(
            f"{where}: "
            + N_(
                "range {{ start = {start}, stop = {stop}, step = {step} }} is empty or endless; "
                "use a step {sign}"
            ).format(start=start, stop=stop, step=step, sign="> 0" if stop >= start else "< 0")
        )
        return None
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > _MAX_CASES:
        problems.append(
            f"{where}: "
            + N_("range gives {num_count} values; at most {num_max}").format(
                num_count=f"{count:,}", num_max=f"{_MAX_CASES:,}"
            )
        )
        return None
    if all(isinstance(v, int) for v in bounds.values()):
        return [start + i * step for i in range(count)]
    return [round(start + i * step, 10) for i in range(count)]
