"""What ``coverage-plan run`` shows while it works, and Ctrl-C to stop the solve at its best plan.

On a terminal, the line of the phase under way is redrawn every second with a
bar of the phases done and the seconds elapsed; during the solve it also shows
what the solver reports (:mod:`coverage.models.live`): the best plan found so
far (its objective, for maximal coverage the people served), the bound no plan
can beat, and the gap between them, in the language of ``--lang`` (numbers
formatted by Babel). Elsewhere (a pipe, a log file) each phase writes one line
when it starts and one when it ends, nothing more.

The bar is drawn with the standard library: neither tqdm nor rich is a
dependency of the package, and one redrawn line does not need them.

During the solve, on a terminal, the first Ctrl-C does not abort: it asks the
solver to stop at its best plan so far (:meth:`coverage.models.live.SolveWatch.stop`)
and prints ``stopping at the current plan; press Ctrl-C again to abort``; the
run then writes that plan, labelled stopped by the planner with its gap. A
second Ctrl-C, a Ctrl-C in another phase, SIGTERM and any signal to a run that
is not on a terminal keep their meaning (:mod:`coverage.cli.interrupts`: the
children stopped, partial outputs removed, exit 130 or 143).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any

from coverage.data.i18n import format_number, format_percent
from coverage.data.i18n import gettext_ as _
from coverage.models.live import SolverProgress, SolveWatch

__all__ = ["STOPPING", "PhasePrinter", "figures", "stop_on_first_interrupt"]

#: The phases that run a solver, whose figures (best, bound, gap) the line shows.
_SOLVES = ("shortlist", "solve")

#: The line printed when the first Ctrl-C asks the solver to stop.
STOPPING = "stopping at the current plan; press Ctrl-C again to abort"


def figures(event: SolverProgress | None) -> str:
    """The solver's figures as one short text (empty before the first).

    Examples
    --------
    >>> from coverage.data.i18n import language
    >>> event = SolverProgress("cbc", "max", 12.0, incumbent=64387.0, bound=66941.3, nodes=1000)
    >>> figures(event)
    'best 64,387 · bound 66,941 · gap 4.0%'
    >>> with language("fr"):
    ...     figures(event).replace("\\u202f", " ").replace("\\xa0", " ")
    'best 64 387 · bound 66 941 · gap 4,0 %'
    >>> figures(SolverProgress("cbc", "max", 1.0))
    ''
    """
    if event is None:
        return ""
    parts = []
    if event.incumbent is not None:
        parts.append(f"best {format_number(event.incumbent)}")
    if event.bound is not None:
        parts.append(f"bound {format_number(event.bound)}")
    if event.gap is not None:
        parts.append(f"gap {format_percent(event.gap)}")
    return " · ".join(parts)


class PhasePrinter:
    """Progress callback: one stderr line when a phase starts and one when it ends.

    On a terminal (``live``), the line of the phase under way is redrawn every
    second with a bar of the phases done and the seconds elapsed, and during the
    solve with the figures of :meth:`solver` (hand it to a
    :class:`~coverage.models.live.SolveWatch`).
    """

    def __init__(self, phases: tuple[str, ...], *, live: bool | None = None, stream: Any = None) -> None:
        self.phases = phases
        self.started: dict[str, float] = {}
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.phase: str | None = None
        self.latest: SolverProgress | None = None
        self._ticking: threading.Event | None = None
        self._width = 0

    def _bar(self, phase: str) -> str:
        done = self.phases.index(phase) if phase in self.phases else 0
        return "#" * done + "-" * (len(self.phases) - done)

    def solver(self, event: SolverProgress) -> None:
        """Keep the solver's latest figures for the next redraw."""
        self.latest = event

    def _line(self, phase: str, number: str) -> str:
        seconds = time.perf_counter() - self.started[phase]
        text = f"{number} [{self._bar(phase)}] {_(phase)} ... {format_number(seconds, 0)} s"
        shown = figures(self.latest) if phase in _SOLVES else ""
        return f"{text} · {shown}" if shown else text

    def _tick(self, phase: str, number: str, stop: threading.Event) -> None:
        while not stop.wait(1.0):
            line = self._line(phase, number)
            pad = " " * max(0, self._width - len(line))  # wipe the end of a longer line
            self._width = len(line)
            print(f"\r{line}{pad}", end="", file=self.stream, flush=True)

    def __call__(self, phase: str, done: int, total: int) -> None:
        known = phase in self.phases
        number = f"[{self.phases.index(phase) + 1}/{len(self.phases)}]" if known else "[-]"
        if done == 0:
            self.phase = phase
            self.latest = None  # the figures of this phase's solve only
            self.started[phase] = time.perf_counter()
            print(f"{number} {_(phase)} ...", file=self.stream, flush=True)
            if self.live:
                self._stop()
                self._ticking = threading.Event()
                self._width = 0
                ticker = threading.Thread(target=self._tick, args=(phase, number, self._ticking), daemon=True)
                ticker.start()
        elif done >= total:
            self._stop()
            seconds = time.perf_counter() - self.started.get(phase, time.perf_counter())
            prefix = "\r" if self.live else ""
            end = f" · {figures(self.latest)}" if phase in _SOLVES and self.latest is not None else ""
            done_text = _("{number} {phase} done in {seconds} s").format(
                number=number, phase=_(phase), seconds=format_number(seconds, 2)
            )
            pad = " " * max(0, self._width - len(f"{done_text}{end}"))
            line = f"{prefix}{done_text}{end}{pad if self.live else ''}"
            print(line, file=self.stream, flush=True)
            if phase == self.phase:
                self.phase = None

    def _stop(self) -> None:
        if self._ticking is not None:
            self._ticking.set()
            self._ticking = None


def interactive(stream: Any = None) -> bool:
    """Whether a person is at the terminal: stdin and ``stream`` (stderr) are terminals."""
    stream = stream if stream is not None else sys.stderr
    try:
        return sys.stdin is not None and sys.stdin.isatty() and stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def stop_on_first_interrupt(watch: SolveWatch, printer: PhasePrinter) -> Iterator[None]:
    """Inside, the first SIGINT during the solve phase stops the solver at its best plan.

    The handler wraps the one in place (:func:`coverage.cli.interrupts.clean_interrupts`'),
    which every other SIGINT still reaches. Outside the main thread nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if printer.phase == "solve" and not watch.stop_requested:
            print(f"\n{STOPPING}", file=printer.stream, flush=True)
            watch.stop()
            return
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
