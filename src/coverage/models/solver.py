"""Running a PuLP problem on CBC or HiGHS and reading back an honest status.

Both solvers go through PuLP. The default (``solver='auto'``) is CBC: measured
on the maximal-coverage models of this library (``benchmarks/models.py``),
CBC solves them several times faster than HiGHS through PuLP, whose HiGHS
interface also loads the model one row at a time; see ``benchmarks/RESULTS.md``.
HiGHS remains one option away, and large staffing models pick it under
``'auto'`` (:data:`coverage.models.staffing.HIGHS_STAFFING_PAIRS`), where CBC found
no incumbent in 300 s and HiGHS an optimum in 64 s.

A solve reports ``optimal``, ``feasible`` (stopped at the time limit or the
gap with an incumbent), ``infeasible``, ``unbounded`` or ``not_solved``, with
the objective, the best proven bound and the solver's wall time. Nothing is
set on the caller's objects: the values come back as arrays.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pulp

from coverage.models.live import SolverProgress, SolveWatch, current_watch

logger = logging.getLogger(__name__)

__all__ = ["SolveResult", "SolverOptions", "cbc_status", "quiet_native_stdout", "run_solver"]

Status = Literal["optimal", "feasible", "infeasible", "unbounded", "not_solved"]


@dataclass(frozen=True)
class SolverOptions:
    """How to solve.

    Parameters
    ----------
    solver
        ``'cbc'``, ``'highs'`` or ``'auto'`` (CBC, chosen by measurement).
    time_limit
        Seconds; a solve stopped by it with an incumbent is ``'feasible'``.
    gap
        Relative optimality gap at which to stop (``0.01`` = 1 %).
    threads
        Solver threads; None lets one thread work, which keeps runs repeatable.
    msg
        Show the solver's log on the console.
    node_limit
        Stop branch and bound after this many nodes: a work limit, so a plan
        stopped by it is the same on every run (unlike a wall-clock limit).
    """

    solver: Literal["auto", "cbc", "highs"] = "auto"
    time_limit: float | None = None
    gap: float | None = None
    threads: int | None = None
    msg: bool = False
    node_limit: int | None = None

    def __post_init__(self) -> None:
        if self.solver not in ("auto", "cbc", "highs"):
            raise ValueError(f"solver must be 'auto', 'cbc' or 'highs', got {self.solver!r}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError(f"time_limit must be > 0 seconds, got {self.time_limit}")
        if self.gap is not None and not 0 <= self.gap < 1:
            raise ValueError(f"gap must be in [0, 1), got {self.gap}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be >= 1, got {self.threads}")
        if self.node_limit is not None and self.node_limit < 1:
            raise ValueError(f"node_limit must be >= 1, got {self.node_limit}")

    @property
    def solver_name(self) -> Literal["cbc", "highs"]:
        return "highs" if self.solver == "highs" else "cbc"


@dataclass(frozen=True)
class SolveResult:
    status: Status
    objective: float | None
    bound: float | None
    seconds: float
    solver: str
    #: Stopped early at its incumbent by :meth:`coverage.models.live.SolveWatch.stop`.
    stopped: bool = False


def run_solver(
    problem: pulp.LpProblem,
    options: SolverOptions,
    *,
    warm_start: Sequence[tuple[pulp.LpVariable, float]] = (),
    cbc_options: Sequence[str] = (),
) -> SolveResult:
    """Solve ``problem`` in place with the chosen solver and read the status and bound.

    ``cbc_options`` are extra CBC switches a model knows to help (``'feas off'``
    where a feasible point is trivial and the feasibility pump only costs time).
    """
    for var, value in warm_start:
        var.setInitialValue(value)
    watch = current_watch()
    started = time.perf_counter()
    if options.solver_name == "highs":
        result = _run_highs(problem, options, watch)
    else:
        result = _run_cbc(problem, options, warm=bool(warm_start), extra=list(cbc_options), watch=watch)
    seconds = time.perf_counter() - started
    logger.debug("%s: %s in %.2f s", result[0], problem.name, seconds)
    status, objective, bound = result
    stopped = watch is not None and watch.stop_requested and status != "optimal"
    if watch is not None:
        watch.stopped += int(stopped)
        sense: Literal["max", "min"] = "max" if problem.sense == pulp.LpMaximize else "min"
        watch.emit(SolverProgress(options.solver_name, sense, seconds, objective, bound))
    return SolveResult(status, objective, bound, seconds, options.solver_name, stopped)


def values(variables: Sequence[pulp.LpVariable]) -> npt.NDArray[np.float64]:
    """Solution values of ``variables`` (0 where the solver left one unset)."""
    out = np.fromiter(
        (v.varValue if v.varValue is not None else 0.0 for v in variables), np.float64, count=len(variables)
    )
    return out


def _status(problem: pulp.LpProblem) -> Status:
    if problem.sol_status == pulp.LpSolutionOptimal:
        return "optimal"
    if problem.sol_status == pulp.LpSolutionIntegerFeasible:
        return "feasible"
    if problem.status == pulp.LpStatusInfeasible or problem.sol_status == pulp.LpSolutionInfeasible:
        return "infeasible"
    if problem.status == pulp.LpStatusUnbounded or problem.sol_status == pulp.LpSolutionUnbounded:
        return "unbounded"
    return "not_solved"


def _objective(problem: pulp.LpProblem) -> float | None:
    objective = problem.objective
    # Nothing to decide (PuLP swaps an empty objective for ``0*__dummy``): the constant is the value.
    if objective is None or all(coefficient == 0 for coefficient in objective.values()):
        return float(getattr(objective, "constant", 0.0) or 0.0)
    value = pulp.value(objective)
    return None if value is None else float(value)


def cbc_path() -> str:
    """The CBC binary: one on the PATH (``pip install pulp[cbc]``, apt ``coinor-cbc``), else PuLP's own.

    PuLP 3.3 still ships CBC 2.10 but deprecates its ``PULP_CBC_CMD`` wrapper;
    going through ``COIN_CMD`` with an explicit path keeps working when the
    bundled binary goes away.
    """
    found = shutil.which("cbc")
    if found:
        return found
    from pulp.apis.coin_api import pulp_cbc_path

    if os.path.exists(pulp_cbc_path):
        if not os.access(pulp_cbc_path, os.X_OK):  # wheels can lose the executable bit
            os.chmod(pulp_cbc_path, os.stat(pulp_cbc_path).st_mode | 0o111)
        return str(pulp_cbc_path)
    raise RuntimeError(
        "no CBC binary found: install it with `pip install pulp[cbc]`, or choose solver='highs'"
    )


def _run_cbc(
    problem: pulp.LpProblem,
    options: SolverOptions,
    *,
    warm: bool,
    extra: list[str],
    watch: SolveWatch | None = None,
) -> tuple[Status, float | None, float | None]:
    fd, log_path = tempfile.mkstemp(prefix="coverage-cbc-", suffix=".log")
    os.close(fd)
    sense: Literal["max", "min"] = "max" if problem.sense == pulp.LpMaximize else "min"
    try:
        followed = (
            contextlib.nullcontext(cbc_path())
            if watch is None
            else watch.cbc_run(cbc_path(), log_path, sense)
        )
        with followed as path:
            _solve_cbc(problem, options, path, log_path, warm=warm, extra=extra)
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            log = handle.read()
    finally:
        os.unlink(log_path)
    if options.msg:
        logger.info("CBC log:\n%s", log)
    status = cbc_status(_status(problem), log)
    objective = _objective(problem) if status in ("optimal", "feasible") else None
    bound: float | None = objective if status == "optimal" else None
    # A solve stopped at the time limit, or at a requested gap, states its own bound.
    if status == "feasible" or (status == "optimal" and options.gap):
        found = re.search(r"^(?:Upper|Lower) bound:\s+(\S+)", log, re.M)
        if found:
            try:
                bound = float(found.group(1))
            except ValueError:
                bound = None if status == "feasible" else bound
    return _within_gap(status, objective, bound)


def _solve_cbc(
    problem: pulp.LpProblem, options: SolverOptions, path: str, log_path: str, *, warm: bool, extra: list[str]
) -> None:
    solver = pulp.COIN_CMD(
        path=path,
        msg=False,
        timeLimit=options.time_limit,
        gapRel=options.gap,
        threads=options.threads,
        maxNodes=options.node_limit,
        warmStart=warm,
        logPath=log_path,
        options=extra,
    )
    problem.solve(solver)


#: CBC's log lines that prove infeasibility (presolve, the root LP, or the search).
_PROVEN_INFEASIBLE = re.compile(
    r"^(Result - (Problem proven infeasible|Linear relaxation infeasible)|Problem is infeasible"
    r"|Pre-processing says infeasible|Analysis shows problem to be infeasible)",
    re.M,
)


def cbc_status(status: Status, log: str) -> Status:
    """The status of a CBC solve, checked against its log.

    CBC marks an LP it solved without branching as optimal but may report
    "Stopped on time limit": then the plan is only feasible. A solve stopped by
    its limit before any solution can come back marked infeasible (a feasible
    35,000 x 17,000 maximal coverage did at 60 s): infeasible only when the log
    proves it, else ``'not_solved'``.

    Examples
    --------
    >>> cbc_status("infeasible", "Result - Stopped on time limit")
    'not_solved'
    >>> cbc_status("infeasible", "Result - Problem proven infeasible")
    'infeasible'
    >>> cbc_status("optimal", "Result - Stopped on time limit")
    'feasible'

    CBC 2.10 also says "Pre-processing says infeasible" when its limit stops
    the cut generators of a feasible model; that is no proof once the limit
    is spent:

    >>> log = "cbc m.mps -sec 13.1 -solve\\nPre-processing says infeasible\\n(Wallclock seconds):  17.78"
    >>> cbc_status("infeasible", log)
    'not_solved'
    """
    stopped = re.search(r"^Result - Stopped", log, re.M) is not None
    limit = re.search(r" -sec (\S+)", log)
    wall = re.search(r"\(Wallclock seconds\):\s+(\S+)", log)
    if limit and wall and _number(wall.group(1)) >= 0.9 * _number(limit.group(1)):
        stopped = stopped or not re.search(
            r"^Result - (Problem proven infeasible|Linear relaxation)", log, re.M
        )
    if status == "optimal" and stopped:
        return "feasible"
    if status == "infeasible" and (stopped or not _PROVEN_INFEASIBLE.search(log)):
        return "not_solved"
    return status


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _within_gap(
    status: Status, objective: float | None, bound: float | None
) -> tuple[Status, float | None, float | None]:
    """Call a solve stopped at a requested gap 'feasible' (with its bound), not 'optimal'."""
    if status == "optimal" and objective is not None and bound is not None:
        status = "feasible" if abs(bound - objective) > 1e-9 * max(1.0, abs(objective)) else status
    return status, objective, bound


@contextlib.contextmanager
def quiet_native_stdout() -> Iterator[None]:
    """Send what native code writes to stdout to /dev/null for the duration."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real stdout (embedded interpreters)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _run_highs(
    problem: pulp.LpProblem, options: SolverOptions, watch: SolveWatch | None = None
) -> tuple[Status, float | None, float | None]:
    callbacks: dict[str, object] = {}
    if watch is not None and problem.isMIP():
        kinds = pulp.HiGHS.hscb.HighsCallbackType
        sense: Literal["max", "min"] = "max" if problem.sense == pulp.LpMaximize else "min"
        callbacks["callbackTuple"] = watch.highs_callback(sense)
        callbacks["callbacksToActivate"] = [kinds.kCallbackMipInterrupt, kinds.kCallbackMipImprovingSolution]
    solver = pulp.HiGHS(
        msg=options.msg,
        timeLimit=options.time_limit,
        # HiGHS stops at a 0.01 % gap by default; the library promises optima.
        gapRel=0.0 if options.gap is None else options.gap,
        threads=options.threads,
        **callbacks,
        **({} if options.node_limit is None else {"mip_max_nodes": options.node_limit}),
    )
    if options.msg:
        problem.solve(solver)
    else:
        with quiet_native_stdout():  # HiGHS prints its banner before any option is read
            problem.solve(solver)
    status = _status(problem)
    if problem.solverModel.getModelStatus() == _highspy_status("kInterrupt"):
        # Stopped by the watch: PuLP takes whatever values HiGHS holds; a plan only when it had one.
        found = problem.solverModel.getInfo().primal_solution_status == 2
        status = "feasible" if found else "not_solved"
    objective = _objective(problem) if status in ("optimal", "feasible") else None
    bound: float | None = objective if status == "optimal" else None
    # A solve stopped at the time limit, or at a requested gap, states its own bound.
    if status == "feasible" or (status == "optimal" and options.gap and problem.isMIP()):
        info = problem.solverModel.getInfo()
        raw = float(info.mip_dual_bound)
        if np.isfinite(raw):
            # PuLP hands HiGHS a minimisation; flip back for maximisation.
            bound = -raw if problem.sense == pulp.LpMaximize else raw
    return _within_gap(status, objective, bound)


def _highspy_status(name: str) -> object:
    """HiGHS's model status called ``name`` (``'kInterrupt'``...)."""
    import highspy

    return getattr(highspy.HighsModelStatus, name)
