"""CBC run on a model given as arrays: no PuLP objects, the MPS file written by HiGHS.

PuLP makes one Python object per variable and coefficient and writes the MPS
file in Python: on the real national maximal coverage (56,000 columns,
680,000 coefficients) that is about 25 s before CBC starts. Here the model is
a :class:`highspy.HighsLp` built from numpy arrays; HiGHS writes the MPS file
(C++, under a second), the warm start is written with numpy, CBC runs as
PuLP would run it, and its solution file is read back into an array. The
status, bound and gap follow :func:`coverage.models.solver.run_solver`: a
solve stopped by its limit is ``'feasible'`` with CBC's bound, an
infeasibility claim is checked against CBC's log
(:func:`coverage.models.solver.cbc_status`). CBC checks its clock only
between nodes and cut passes (it overran a 50 s limit by 18 s on the 35k x 17k
benchmark), so it is told :data:`CBC_SHARE` of the limit, interrupted (SIGINT,
so it writes its best plan) :data:`OVERRUN_SECONDS` before the limit (or at
its own share, whichever is later), and killed at the limit itself: the limit
is hard. A killed CBC leaves no plan; the caller then keeps its warm start.

Entry point: :func:`solve_cbc_arrays`; :mod:`coverage.models.matrix_coverage`
uses it for large maximal-coverage models.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from coverage.models.live import SolverProgress, current_watch
from coverage.models.solver import Status, cbc_path, cbc_status, quiet_native_stdout

logger = logging.getLogger(__name__)

__all__ = ["CBC_SHARE", "OVERRUN_SECONDS", "ArraySolve", "interrupt_at", "solve_cbc_arrays"]

#: Share of the time limit CBC is told (``-sec``); it is interrupted (SIGINT) only if it runs on.
CBC_SHARE = 0.85
#: Most seconds CBC gets after the interrupt to write its plan; it is killed at the limit (the plan lost).
OVERRUN_SECONDS = 5.0


@dataclass(frozen=True)
class ArraySolve:
    """CBC's answer: status, column values (None without a plan), objective, bound, wall seconds."""

    status: Status
    values: npt.NDArray[np.float64] | None
    objective: float | None
    bound: float | None
    seconds: float


def solve_cbc_arrays(
    lp: object,
    *,
    maximise: bool,
    start: npt.NDArray[np.float64] | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    threads: int | None = None,
    node_limit: int | None = None,
    msg: bool = False,
    switches: tuple[str, ...] = ("feas off",),
) -> ArraySolve:
    """Solve the MIP ``lp`` (a :class:`highspy.HighsLp`) with CBC, its costs read in the ``maximise`` sense.

    ``lp``'s sense and costs are overwritten (CBC is given a minimisation).

    Parameters
    ----------
    lp
        The model; its ``sense_`` is ignored in favour of ``maximise``.
    maximise
        Maximise the costs (else minimise).
    start
        A warm start, one value per column (CBC's ``-mips``).
    time_limit, gap, threads, node_limit, msg
        As :class:`~coverage.models.solver.SolverOptions`.
    switches
        Extra CBC switches (``'feas off'``: no feasibility pump where a start is given).

    Examples
    --------
    Two sites, one may open; site 1 covers more (3 against 2):

    >>> import numpy as np
    >>> from coverage.models.highs_matrix import coverage_lp
    >>> lp = coverage_lp(np.array([0, 1, 2]), np.array([0, 1]), np.array([2.0, 3.0]), 2, 1)
    >>> found = solve_cbc_arrays(lp, maximise=True)
    >>> found.status, found.values[:2].tolist(), found.objective
    ('optimal', [0.0, 1.0], 3.0)
    """
    import highspy

    folder = Path(tempfile.mkdtemp(prefix="coverage-cbc-arrays-"))
    mps, mst, sol, log_path = (folder / name for name in ("model.mps", "start.mst", "model.sol", "cbc.log"))
    try:
        n_columns = int(lp.num_col_)  # type: ignore[attr-defined]
        # A copy: the model's costs are changed below.
        costs = np.array(lp.col_cost_, dtype=np.float64)  # type: ignore[attr-defined]
        # CBC 2.10 misreads a MIP start under -max (it took a 10.49 M start for -10.38 M on the
        # national instance): it is handed the minimisation of the negated costs instead.
        lp.sense_ = highspy.ObjSense.kMinimize  # type: ignore[attr-defined]
        lp.col_cost_ = -costs if maximise else costs  # type: ignore[attr-defined]
        with quiet_native_stdout():
            writer = highspy.Highs()
            writer.setOptionValue("output_flag", False)
            writer.passModel(lp)
            writer.writeModel(str(mps))
        del writer
        command = [str(mps)]
        if start is not None:
            _write_start(mst, np.asarray(start, dtype=np.float64))
            command += ["-mips", str(mst)]
        if time_limit is not None:
            # CBC checks its clock between nodes and cut passes: it is told less than the limit.
            own = max(0.1, CBC_SHARE * time_limit)
            command += ["-sec", f"{own:.2f}", "-timeMode", "elapsed"]
        if gap is not None:
            command += ["-ratio", repr(float(gap))]
        if threads is not None:
            command += ["-threads", str(threads)]
        if node_limit is not None:
            command += ["-maxN", str(node_limit)]
        for switch in switches:
            command += ["-" + switch.split()[0], *switch.split()[1:]]
        command += ["-solve", "-solution", str(sol)]
        watch = current_watch()
        sense = "max" if maximise else "min"
        began = time.perf_counter()
        followed = (
            contextlib.nullcontext(cbc_path())
            if watch is None
            else watch.cbc_run(cbc_path(), str(log_path), sense)
        )
        with followed as path, open(log_path, "w") as log_file:
            _run([path, *command], log_file, time_limit)
        seconds = time.perf_counter() - began
        log = log_path.read_text(encoding="utf-8", errors="replace")
        if msg:
            logger.info("CBC log:\n%s", log)
        status, values = _read_solution(sol, n_columns)
    finally:
        for item in folder.iterdir():
            item.unlink()
        folder.rmdir()
    status = cbc_status(status, log)
    if status in ("optimal", "feasible") and values is None:
        status = "not_solved"
    objective = None if values is None else float(np.dot(costs, values))
    bound = objective if status == "optimal" else None
    found = re.search(r"^(?:Upper|Lower) bound:\s+(\S+)", log, re.M)
    if found and status in ("optimal", "feasible"):
        with contextlib.suppress(ValueError):
            bound = -float(found.group(1)) if maximise else float(found.group(1))
    at_gap = (
        objective is not None
        and bound is not None
        and abs(bound - objective) > 1e-9 * max(1.0, abs(objective))
    )
    if status == "optimal" and at_gap:
        status = "feasible"  # stopped at the requested gap: not proven optimal
    if watch is not None:
        watch.emit(SolverProgress("cbc", sense, seconds, objective, bound))
    return ArraySolve(
        status, values if status in ("optimal", "feasible") else None, objective, bound, seconds
    )


def _write_start(path: Path, start: npt.NDArray[np.float64]) -> None:
    """CBC's MIP-start file: a header line, then ``index name value 0`` per column."""
    index = np.arange(len(start))
    lines = [f"{i} c{i} {v:.10g} 0" for i, v in zip(index.tolist(), start.tolist(), strict=True)]
    path.write_text("Stopped on time - objective value 0\n" + "\n".join(lines) + "\n")


def interrupt_at(limit: float) -> float:
    """Seconds after which a CBC run with ``limit`` seconds is interrupted; it is killed at ``limit``.

    Examples
    --------
    >>> interrupt_at(60.0), interrupt_at(2.0)
    (55.0, 1.7)
    """
    return max(CBC_SHARE * limit, limit - OVERRUN_SECONDS)


def _run(command: list[str], log_file: object, limit: float | None) -> None:
    """Run CBC; interrupt it before ``limit`` seconds (SIGINT: it writes its plan), kill it at ``limit``."""
    process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        process.wait(timeout=None if limit is None else interrupt_at(limit))
    except subprocess.TimeoutExpired:
        assert limit is not None
        logger.warning("CBC still running near its limit (%.1f s): interrupted at its current plan", limit)
        process.send_signal(signal.SIGINT)
        grace = limit - interrupt_at(limit)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            logger.warning("CBC still running %.1f s after the interrupt: killed at the limit", grace)
            process.kill()
            process.wait()
    if process.returncode not in (0, -signal.SIGINT, -signal.SIGKILL):
        logger.warning("CBC ended with exit code %s", process.returncode)


_SOLUTION_STATUS = {
    "Optimal": "optimal",
    "Stopped": "feasible",
    "Infeasible": "infeasible",
    "Integer": "infeasible",
    "Unbounded": "unbounded",
}


def _read_solution(path: Path, n_columns: int) -> tuple[Status, npt.NDArray[np.float64] | None]:
    """Status word and column values of CBC's solution file (columns named ``c<index>``)."""
    if not path.exists() or os.path.getsize(path) == 0:
        return "not_solved", None
    with open(path, encoding="utf-8", errors="replace") as handle:
        header = handle.readline()
        body = handle.read()
    status: Status = _SOLUTION_STATUS.get(header.split(" ", 1)[0], "not_solved")  # type: ignore[assignment]
    if status in ("infeasible", "unbounded") or "no integer solution" in header.lower():
        return status if status != "feasible" else "not_solved", None
    values = np.zeros(n_columns)
    for found in re.finditer(r"^\s*(?:\*\*\s*)?\d+\s+c(\d+)\s+(\S+)", body, re.M):
        values[int(found.group(1))] = float(found.group(2))
    return status, values
