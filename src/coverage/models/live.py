"""Live progress of a solve (incumbent, bound, gap) and a way to stop it at its incumbent.

A :class:`SolveWatch` made current with :func:`watching` sees every solve that
:func:`coverage.models.solver.run_solver` runs in the same thread (the models
need no new argument):

- **CBC** writes its log to a file (PuLP's ``logPath``), which a reader thread
  follows. CBC buffers its output in 4 kB blocks when it is not on a terminal,
  so it runs through a small ``sh`` wrapper that starts it under ``stdbuf -oL``
  (GNU coreutils; without it the figures arrive in bursts) and records its
  process id. The lines read are ``Cbc0010I After N nodes, K on tree, OBJ best
  solution, best possible BOUND``, ``Cbc0012I``/``Cbc0004I Integer solution of
  OBJ`` and ``Continuous objective value is BOUND`` (:func:`parse_cbc_line`).
  :meth:`SolveWatch.stop` sends CBC SIGINT, once a second until it ends: CBC
  then stops at the next node and writes its best solution ("Result - Stopped
  on ctrl-c"); before branch and bound starts it ignores the signal, hence the
  repeats.
- **HiGHS** runs in this process: its MIP callbacks report the primal and dual
  bounds, and its interrupt callback stops it when asked.

Figures are in the model's own sense (CBC and PuLP's HiGHS minimise internally
and report a maximisation negated; the events put the sign back): for maximal
coverage the incumbent is the need served by the best plan found so far and the
bound the most any plan can serve. The gap is ``|bound - incumbent| /
max(|incumbent|, 1e-9)``, as :attr:`coverage.plan.plan.Plan.gap`.

Without ``sh`` (Windows) CBC runs as before: the figures come at its end and it
cannot be stopped early.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import re
import shlex
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import psutil  # at import, not in _signal_cbc: it runs in a SIGINT handler that a second Ctrl-C may interrupt

__all__ = ["SolveWatch", "SolverProgress", "current_watch", "parse_cbc_line", "relative_gap", "watching"]

#: CBC's "no solution yet" objective.
_NO_SOLUTION = 1e49

_NUMBER = r"(-?[0-9.]+(?:e[+-]?[0-9]+)?)"
_CBC_NODES = re.compile(
    rf"^Cbc0010I After (\d+) nodes, \d+ on tree, {_NUMBER} best solution, best possible {_NUMBER}"
)
_CBC_SOLUTION = re.compile(rf"^Cbc00(?:12|04)I Integer solution of {_NUMBER} found")
_CBC_CONTINUOUS = re.compile(rf"^Continuous objective value is {_NUMBER}")


@dataclass(frozen=True)
class SolverProgress:
    """What a running solver reports: one event, in the model's own sense.

    Attributes
    ----------
    solver
        ``'cbc'`` or ``'highs'``.
    sense
        ``'max'`` or ``'min'``.
    elapsed
        Seconds since this solve started (wall clock).
    incumbent
        Objective of the best solution found so far; None before the first.
    bound
        Best proven bound (the most a maximisation can reach); None before the first.
    nodes
        Branch-and-bound nodes explored, when the solver says.
    """

    solver: str
    sense: Literal["max", "min"]
    elapsed: float
    incumbent: float | None = None
    bound: float | None = None
    nodes: int | None = None

    @property
    def gap(self) -> float | None:
        """Relative gap ``|bound - incumbent| / max(|incumbent|, 1e-9)``, None until both are known."""
        return relative_gap(self.incumbent, self.bound)


def relative_gap(incumbent: float | None, bound: float | None) -> float | None:
    """``|bound - incumbent| / max(|incumbent|, 1e-9)``, or None when either is unknown.

    Examples
    --------
    >>> relative_gap(900.0, 1000.0)
    0.1111111111111111
    >>> relative_gap(None, 1000.0) is None
    True
    """
    if incumbent is None or bound is None:
        return None
    return abs(bound - incumbent) / max(abs(incumbent), 1e-9)


def parse_cbc_line(line: str, sense: Literal["max", "min"]) -> dict[str, float | int | None]:
    """The figures one line of CBC's log states: ``incumbent``, ``bound``, ``nodes`` (absent if unsaid).

    CBC minimises internally and writes a maximisation's objective negated,
    except in "Continuous objective value" (the root LP bound, already in the
    model's sense).

    Examples
    --------
    >>> line = "Cbc0010I After 100 nodes, 7 on tree, -46867 best solution, best possible -54302.682"
    >>> parse_cbc_line(line + " (9.1 seconds)", "max")
    {'nodes': 100, 'incumbent': 46867.0, 'bound': 54302.682}
    >>> parse_cbc_line("Cbc0010I After 0 nodes, 1 on tree, 1e+50 best solution, best possible 12", "min")
    {'nodes': 0, 'bound': 12.0}
    >>> parse_cbc_line("Cbc0012I Integer solution of 42 found by DiveCoefficient after 9 iterations", "min")
    {'incumbent': 42.0}
    >>> parse_cbc_line("Continuous objective value is 54387.4 - 1.48 seconds", "max")
    {'bound': 54387.4}
    >>> parse_cbc_line("Cbc0038I Pass   1: suminf.    0.00000 (0) obj. 0 iterations 850", "max")
    {}
    """
    sign = -1.0 if sense == "max" else 1.0
    found = _CBC_NODES.match(line)
    if found:
        out: dict[str, float | int | None] = {"nodes": int(found.group(1))}
        incumbent = float(found.group(2))
        if abs(incumbent) < _NO_SOLUTION:
            out["incumbent"] = sign * incumbent
        bound = float(found.group(3))
        if abs(bound) < _NO_SOLUTION:
            out["bound"] = sign * bound
        return out
    found = _CBC_SOLUTION.match(line)
    if found:
        return {"incumbent": sign * float(found.group(1))}
    found = _CBC_CONTINUOUS.match(line)
    if found:
        return {"bound": float(found.group(1))}
    return {}


class SolveWatch:
    """Follows the solves run while it is current (:func:`watching`) and can stop them.

    Parameters
    ----------
    on_progress
        Called with a :class:`SolverProgress` whenever the figures change (from
        the solver's reader thread for CBC, from the solving thread for HiGHS);
        it must be quick and must not raise.

    Attributes
    ----------
    latest
        The last event, or None.
    stopped
        How many solves ended early because :meth:`stop` was called.

    Examples
    --------
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import run_scenario, shipped_scenario
    >>> events = []
    >>> watch = SolveWatch(events.append)
    >>> with watching(watch):
    ...     run = run_scenario(load_scenario(shipped_scenario("demo"), overrides=["objective.max_sites=5"]))
    >>> final = watch.latest
    >>> final.solver, final.sense, round(final.incumbent) == round(run.plan.objective)
    ('cbc', 'max', True)
    >>> final.gap == 0.0, watch.stopped, run.plan.stopped
    (True, 0, False)
    """

    def __init__(self, on_progress: Callable[[SolverProgress], None] | None = None) -> None:
        self._on_progress = on_progress
        self._stop = threading.Event()
        self._lock = threading.RLock()  # stop() may run in a signal handler of the thread holding it
        self._pid_files: list[Path] = []
        self.latest: SolverProgress | None = None
        self.stopped = 0

    @property
    def stop_requested(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stop.is_set()

    def stop(self) -> None:
        """Stop the running solve (and any later one) at its best solution so far."""
        self._stop.set()
        self._signal_cbc()

    def emit(self, event: SolverProgress) -> None:
        """Record ``event`` and pass it on, when its figures differ from the last one's."""
        last = self.latest
        same = last is not None and (last.incumbent, last.bound, last.nodes) == (
            event.incumbent,
            event.bound,
            event.nodes,
        )
        self.latest = event
        if self._on_progress is not None and not (same and event.elapsed - last.elapsed < 1.0):  # type: ignore[union-attr]
            self._on_progress(event)

    # -- CBC ------------------------------------------------------------------

    def _signal_cbc(self) -> None:
        """SIGINT to the CBC processes of this watch that are still children of this process."""
        with self._lock:
            pid_files = list(self._pid_files)
        for pid_file in pid_files:
            try:
                pid = int(pid_file.read_text().strip() or "0")
            except (OSError, ValueError):
                continue
            with contextlib.suppress(psutil.Error, OSError):
                if pid and psutil.Process(pid).ppid() == os.getpid():
                    os.kill(pid, signal.SIGINT)

    @contextlib.contextmanager
    def cbc_run(self, cbc: str, log_path: str, sense: Literal["max", "min"]) -> Iterator[str]:
        """The path to run CBC by (a wrapper that line-buffers it), its log followed while inside.

        Yields ``cbc`` itself where no ``sh`` is available or the temporary folder
        cannot hold a program (mounted ``noexec``): the figures then come at the end.
        """
        shell = shutil.which("sh")
        if shell is None:
            yield cbc
            return
        folder = Path(tempfile.mkdtemp(prefix="coverage-cbc-run-"))
        pid_file = folder / "cbc.pid"
        wrapper = folder / "cbc"
        buffered = shutil.which("stdbuf")
        run = f"{shlex.quote(buffered)} -oL -eL {shlex.quote(cbc)}" if buffered else shlex.quote(cbc)
        wrapper.write_text(f'#!{shell}\necho $$ > {shlex.quote(str(pid_file))}\nexec {run} "$@"\n')
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
        if not os.access(wrapper, os.X_OK):  # a temporary folder mounted noexec: CBC as before
            shutil.rmtree(folder, ignore_errors=True)
            yield cbc
            return
        with self._lock:
            self._pid_files.append(pid_file)
        done = threading.Event()
        reader = threading.Thread(
            target=self._follow, args=(log_path, sense, done), name="coverage-cbc-log", daemon=True
        )
        reader.start()
        try:
            yield str(wrapper)
        finally:
            done.set()
            reader.join()
            with self._lock:
                self._pid_files.remove(pid_file)
            shutil.rmtree(folder, ignore_errors=True)

    def _follow(self, log_path: str, sense: Literal["max", "min"], done: threading.Event) -> None:
        """Read CBC's log as it grows; while a stop is asked, repeat SIGINT every second."""
        started = time.perf_counter()
        figures: dict[str, Any] = {"incumbent": None, "bound": None, "nodes": None}
        position, pending, last_signal = 0, "", 0.0
        while True:
            finished = done.wait(0.2)
            try:
                with open(log_path, encoding="utf-8", errors="replace") as handle:
                    handle.seek(position)
                    chunk = handle.read()
                    position = handle.tell()
            except OSError:
                chunk = ""
            lines = (pending + chunk).split("\n")
            pending = lines.pop()
            changed = False
            for line in lines:
                parsed = parse_cbc_line(line.strip(), sense)
                if parsed:
                    figures.update(parsed)
                    changed = True
            if changed:
                self.emit(SolverProgress("cbc", sense, time.perf_counter() - started, **figures))
            if finished:
                return
            if self.stop_requested and time.perf_counter() - last_signal >= 1.0:
                last_signal = time.perf_counter()
                self._signal_cbc()

    # -- HiGHS ----------------------------------------------------------------

    def highs_callback(self, sense: Literal["max", "min"]) -> tuple[Callable[..., None], list[Any]]:
        """A HiGHS ``(callback, data)`` pair (PuLP's ``callbackTuple``) that reports and interrupts."""
        started = time.perf_counter()
        last = [0.0]

        def callback(kind: Any, message: str, data_out: Any, data_in: Any, user_data: Any) -> None:
            if data_in is not None and self.stop_requested:
                data_in.user_interrupt = True
            now = time.perf_counter()
            if now - last[0] < 0.25:
                return
            last[0] = now
            sign = -1.0 if sense == "max" else 1.0
            primal, dual = float(data_out.mip_primal_bound), float(data_out.mip_dual_bound)
            self.emit(
                SolverProgress(
                    "highs",
                    sense,
                    now - started,
                    incumbent=sign * primal if math.isfinite(primal) else None,
                    bound=sign * dual if math.isfinite(dual) else None,
                    nodes=int(data_out.mip_node_count),
                )
            )

        return callback, []


_CURRENT: contextvars.ContextVar[SolveWatch | None] = contextvars.ContextVar("coverage_watch", default=None)


def current_watch() -> SolveWatch | None:
    """The watch made current by :func:`watching` in this thread, or None.

    Examples
    --------
    >>> current_watch() is None
    True
    """
    return _CURRENT.get()


@contextlib.contextmanager
def watching(watch: SolveWatch | None) -> Iterator[SolveWatch | None]:
    """Make ``watch`` current for the solves run inside (None: no watch inside).

    Examples
    --------
    >>> watch = SolveWatch()
    >>> with watching(watch):
    ...     current_watch() is watch
    True
    >>> current_watch() is None
    True
    """
    token = _CURRENT.set(watch)
    try:
        yield watch
    finally:
        _CURRENT.reset(token)
