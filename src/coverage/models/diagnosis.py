"""Infeasibility proven by the solver, explained with numbers.

The checks before a solve (:mod:`coverage.models.rules`, each model's own)
catch what the data alone rules out. What is left is a clash between
constraint groups: a minimum served share that the site count cannot reach,
a budget below what the forced sites cost with the department minimums. For
each constraint group a builder describes, :func:`explain_infeasible` gives
the group's rows an *elastic* slack (a ``>=`` row may fall short, a ``<=``
row may be exceeded) with every other row kept, and minimises the total
slack. A group whose elastic version is feasible is one the planner can
change to make the scenario feasible; its rows with slack say by how much:
what was asked, and what the other constraints allow at best.

A group that can never make a model infeasible on its own (an upper bound on
the site count when opening nothing is allowed) can still appear, but only
with the numbers of a real clash: the elastic solve puts slack on it only
when the other groups force more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

import pulp

from coverage.data.i18n import N_
from coverage.errors import InfeasibleScenarioError
from coverage.inputs.partners import Partner
from coverage.models.instance import Instance
from coverage.models.solver import SolverOptions, run_solver

__all__ = ["explain_infeasible"]

Build = Callable[[frozenset[str]], tuple[pulp.LpProblem, dict[str, str], object]]

#: A row the elastic plan misses by more than this (people, sites, slots) counts as short.
_SHORT = 1e-4


def explain_infeasible(
    builder: Build,
    groups: Mapping[str, str],
    options: SolverOptions,
    *,
    inst: Instance,
    partners: Sequence[Partner] = (),
) -> NoReturn:
    """Raise an :class:`InfeasibleScenarioError` naming each group that alone restores feasibility.

    Parameters
    ----------
    builder
        The model's builder (see :mod:`coverage.models.solving`).
    groups
        ``{group: description}`` of the groups the full build added.
    options
        Solver options of the failed solve (its solver, a time limit of at most 60 s).
    inst, partners
        The instance and partners, to name the site or partner of a row.

    Raises
    ------
    InfeasibleScenarioError
        Always: one line per group whose rows, made elastic, make the model
        feasible, with each short row's department, partner or site, what was
        asked and what the other constraints allow.
    """
    quick = SolverOptions(
        solver=options.solver, time_limit=min(options.time_limit or 60.0, 60.0), threads=options.threads
    )
    full, _, _ = builder(frozenset())
    names = _names(full)
    findings = []
    for group, description in groups.items():
        relaxed, _, _ = builder(frozenset({group}))
        rows = sorted(names - _names(relaxed))
        if not rows:
            continue
        problem, _, _ = builder(frozenset())
        original = _make_elastic(problem, rows)
        result = run_solver(problem, quick)
        if result.status not in ("optimal", "feasible"):
            continue
        unit = _UNITS.get(group, "")
        short = [
            line
            for name in rows
            if (line := _describe(name, original[name], unit, inst, partners)) is not None
        ]
        detail = description.removeprefix(f"{group}: ")
        head = group if detail == description else f"{group} ({detail})"
        findings.append(f"- {head}: " + ("; ".join(short[:5]) or "no single row short"))
        if len(short) > 5:
            findings[-1] += f"; and {len(short) - 5} more"
    _drop_warm(builder)
    if findings:
        raise InfeasibleScenarioError(
            "the solver proved the scenario infeasible; each of these changes alone would make it "
            "feasible (what is asked, and what the other constraints allow at best):\n" + "\n".join(findings)
        )
    raise InfeasibleScenarioError(
        "the solver proved the scenario infeasible and no single constraint group explains it "
        "(relaxing any one group alone is not enough): " + "; ".join(groups.values())
    )


def _names(problem: pulp.LpProblem) -> set[str]:
    return {row.name for row in problem.constraints()}


def _make_elastic(problem: pulp.LpProblem, rows: Sequence[str]) -> dict[str, pulp.LpConstraint]:
    """Let each row of ``rows`` fail by a slack, minimise the slacks' sum; return the rows as they were."""
    original = {name: problem.get_constraint_by_name(name).copy() for name in rows}
    slacks = []
    for k, name in enumerate(rows):
        row = problem.get_constraint_by_name(name)
        # A <= row may be exceeded (lhs - s <= rhs), a >= row may fall short (lhs + s >= rhs),
        # an equality either way.
        if row.sense != pulp.LpConstraintGE:
            over = problem.add_variable(f"elastic_over_{k}", lowBound=0)
            row.addInPlace(-over)
            slacks.append(over)
        if row.sense != pulp.LpConstraintLE:
            under = problem.add_variable(f"elastic_under_{k}", lowBound=0)
            row.addInPlace(under)
            slacks.append(under)
    problem.sense = pulp.LpMinimize
    problem.setObjective(pulp.lpSum(slacks))
    return original


def _describe(
    name: str, row: pulp.LpConstraint, unit: str, inst: Instance, partners: Sequence[Partner]
) -> str | None:
    """``'<subject>: at least R <unit> asked, at most L possible'`` for a row the elastic plan breaks."""
    rhs = -float(row.constant)
    lhs = float(row.value() or 0.0) + rhs  # the row's left side at the elastic solution
    tolerance = _SHORT + 1e-9 * abs(rhs)
    subject = _subject(name, inst, partners)
    need = _department_need(name, inst)
    unit = f" {unit}" if unit else ""
    asked, got = f"{_figure(rhs)}{unit} asked", _figure(lhs)
    if need:  # a share rule: the shares too
        asked, got = f"{asked} ({_share(rhs / need)} of its need)", f"{got} ({_share(lhs / need)})"
    if row.sense != pulp.LpConstraintGE and lhs > rhs + tolerance:
        bound = "at most" if row.sense == pulp.LpConstraintLE else "exactly"
        return f"{subject}{bound} {asked}, {got} needed"
    if row.sense != pulp.LpConstraintLE and lhs < rhs - tolerance:
        bound = "at least" if row.sense == pulp.LpConstraintGE else "exactly"
        return f"{subject}{bound} {asked}, at most {got} possible"
    return None


def _share(value: float) -> str:
    return f"{100 * value:.1f} %"


#: The texts of the diagnosis, for the catalogue: the lines are made in English
#: and translated where they are shown (coverage.data.i18n.errors.frame_error).
_CATALOGUE = (
    N_(
        "the solver proved the scenario infeasible; each of these changes alone would make it "
        "feasible (what is asked, and what the other constraints allow at best):"
    ),
    N_("at most {num_asked} {message_unit} asked, {num_got} needed"),
    N_("exactly {num_asked} {message_unit} asked, {num_got} needed"),
    N_("at least {num_asked} {message_unit} asked, at most {num_got} possible"),
    N_("exactly {num_asked} {message_unit} asked, at most {num_got} possible"),
    N_("at least {num_asked} asked, at most {num_got} possible"),
    N_(
        "at least {num_asked} {message_unit} asked ({num_share} % of its need), "
        "at most {num_got} ({num_got_share} %) possible"
    ),
    N_("department {dep}"),
    N_("site {site} open"),
    N_("{partner} slots"),
    N_("{partner} slots staffed"),
    N_("{partner} sites staffed"),
    N_("and {num_more} more"),
    N_("no single row short"),
    N_("at most {num_sites} sites"),
    N_("exactly {num_sites} sites"),
    N_("site costs at most {num_cost}"),
    N_("{num_sites} sites forced open"),
    N_("{num_need} need served"),
    N_("{num_need} need covered"),
    N_("every department served at least {share}"),
    N_("{num_value} each"),
    N_("sites"),
    N_("advisors"),
    N_("departments"),
    N_("slots"),
    N_("in site costs"),
    N_("need served"),
    N_("need covered"),
    N_("department minimum sites"),
    N_("department maximum sites"),
    N_("department minimum advisors"),
    N_("department maximum advisors"),
    N_("departments served"),
    N_("partner minimum advisors"),
    N_("partner minimum sites"),
    N_("target"),
    N_("coverage target"),
    N_("department minimum share"),
    N_("fair share"),
)

#: What the rows of each group count.
_UNITS = {
    "site count": "sites",
    "department minimum sites": "sites",
    "department maximum sites": "sites",
    "department minimum advisors": "advisors",
    "department maximum advisors": "advisors",
    "departments served": "departments",
    "partner advisors": "slots",
    "partner minimum advisors": "slots",
    "partner minimum sites": "sites",
    "budget": "in site costs",
    "forced sites": "",
    "target": "need served",
    "coverage target": "need covered",
    "department minimum share": "need served",
}


def _department_need(name: str, inst: Instance) -> float:
    found = re.fullmatch(r"min_share_(.+)", name)
    return float(inst.need_by_dep.get(found.group(1), 0.0)) if found else 0.0


def _subject(name: str, inst: Instance, partners: Sequence[Partner]) -> str:
    found = re.fullmatch(r"(?:department_\w+?_(?:sites|advisors)|min_share)_(.+)", name)
    if found:
        return f"department {found.group(1)}: "
    found = re.fullmatch(r"(budget|floor|sites)_(\d+)", name)
    if found and int(found.group(2)) < len(partners):
        what = {"budget": "slots", "floor": "slots staffed", "sites": "sites staffed"}[found.group(1)]
        return f"{partners[int(found.group(2))].name} {what}: "
    found = re.fullmatch(r"forced_(\d+)", name)
    if found:
        site = inst.sites["site_id"].iloc[inst.model_sites[int(found.group(1))]]
        return f"site {site} open: "
    return ""


def _figure(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or abs(value - round(value)) < 1e-6 else f"{value:,.3g}"


def _drop_warm(builder: Build) -> None:
    """Forget a warm start the diagnostic builds left behind (no later solve uses it)."""
    state = getattr(builder, "state", None)
    if isinstance(state, dict):
        state.pop("warm", None)
        state.pop("departments_start", None)
