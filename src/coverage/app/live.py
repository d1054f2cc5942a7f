"""The solve in the app: a worker thread the page watches, its figures live, and a button to stop it.

Streamlit reruns the whole script on every click, and a click stops the run
under way; a solve run inside the script would be abandoned by the very button
meant to stop it. So the solve runs in a thread of its own (a *job*, one per
scenario and data folder, kept in this module across reruns), under a
:class:`~coverage.models.live.SolveWatch`. The page polls the job twice a
second and draws a status box: the phases, the seconds elapsed and, during the
solve, the best plan found so far, the bound and the gap as the solver reports
them. The box's "Stop at the current plan" button reruns the page, which finds
the same job, asks its solver to stop (CBC and HiGHS stop at their best
solution) and shows that plan, labelled stopped with its gap, once it is made.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx

from coverage.data.i18n import format_number, format_percent
from coverage.data.i18n import gettext_ as _
from coverage.models.live import SolverProgress, SolveWatch, watching
from coverage.scenario.progress import Progress
from coverage.scenario.run import ScenarioRun

__all__ = ["Job", "figures_text", "solve_live"]

#: A light scenario's box appears only when its solve takes longer than this (the demo takes ~1 s).
QUIET_SECONDS = 1.5

Solve = Callable[[Progress], ScenarioRun]


@dataclass
class Job:
    """One solve running in a worker thread, shared by the reruns of the page that started it."""

    watch: SolveWatch
    started: float = field(default_factory=time.perf_counter)
    events: list[tuple[str, int, int]] = field(default_factory=list)
    outcome: dict[str, object] = field(default_factory=dict)
    thread: threading.Thread | None = None

    @property
    def done(self) -> bool:
        return bool(self.outcome)


_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()


def _job(key: str, solve: Solve) -> Job:
    """The job solving ``key``: the one under way, else a new one started now."""
    with _LOCK:
        job = _JOBS.get(key)
        if job is not None:
            return job
        job = Job(SolveWatch())
        _JOBS[key] = job

    def work() -> None:
        try:
            with watching(job.watch):
                job.outcome["run"] = solve(lambda *event: job.events.append(event))
        except BaseException as exc:  # raised again in the page's thread
            job.outcome["error"] = exc

    job.thread = threading.Thread(target=work, name="coverage-solve", daemon=True)
    add_script_run_ctx(job.thread)
    job.thread.start()
    return job


def _finish(key: str, job: Job) -> ScenarioRun:
    with _LOCK:
        if _JOBS.get(key) is job:
            del _JOBS[key]
    if "error" in job.outcome:
        raise job.outcome["error"]  # type: ignore[misc]
    return job.outcome["run"]  # type: ignore[return-value]


def figures_text(event: SolverProgress | None) -> str:
    """The solver's figures as the status box shows them, in the session's language (empty before any).

    Examples
    --------
    >>> from coverage.data.i18n import language
    >>> event = SolverProgress("cbc", "max", 12.0, incumbent=64387.0, bound=66941.3)
    >>> with language("en"):
    ...     figures_text(event)
    'Best plan so far: objective 64,387 · bound 66,941 · gap 3.97%'
    >>> with language("fr"):
    ...     figures_text(event).replace("\\u202f", " ").replace("\\xa0", " ")
    'Meilleur plan trouvé : objectif 64 387 · borne 66 941 · écart 3,97 %'
    """
    if event is None or (event.incumbent is None and event.bound is None):
        return ""
    na = _("n/a")
    return _("Best plan so far: objective {incumbent} · bound {bound} · gap {gap}").format(
        incumbent=na if event.incumbent is None else format_number(event.incumbent),
        bound=na if event.bound is None else format_number(event.bound),
        gap=na if event.gap is None else format_percent(event.gap, 2),
    )


def solve_live(key: str, solve: Solve, *, quiet: bool = False) -> ScenarioRun:
    """Run ``solve(progress)`` in a worker thread while a status box shows its progress; return its run.

    ``quiet``: show the box only when the solve lasts more than :data:`QUIET_SECONDS`.
    """
    # one place in the page whether a box is drawn or not: the elements after it (the map) keep
    # their positions, so a quick solve does not make Streamlit draw the map anew in a new frame
    slot = st.empty()
    job = _job(key, solve)
    if st.session_state.get("stop_solve") and not job.done:
        job.watch.stop()  # the button of the box was pressed: this rerun found the same job
    if quiet and job.thread is not None:
        job.thread.join(max(0.0, QUIET_SECONDS - (time.perf_counter() - job.started)))
    if job.done:
        return _finish(key, job)
    with slot.container(), st.status(_("Solving..."), expanded=True) as box:
        phases = st.empty()
        figures = st.empty()
        stopping = job.watch.stop_requested
        if stopping:
            st.caption(_("Stopping at the current plan..."))
        else:
            st.button(
                _("Stop at the current plan"),
                key="stop_solve",
                help=_("The solver stops at its best plan so far; the plan is shown with its gap."),
            )
        while not job.done:
            if job.thread is not None:
                job.thread.join(0.5)
            started = [phase for phase, done, _total in list(job.events) if done == 0]
            phases.markdown("  \n".join(_("{phase}...").format(phase=_(phase)) for phase in started))
            figures.markdown(figures_text(job.watch.latest))
            elapsed = format_number(time.perf_counter() - job.started, 0)
            box.update(label=_("Solving... {seconds} s elapsed").format(seconds=elapsed), expanded=True)
        state = "error" if "error" in job.outcome else "complete"
        seconds = format_number(time.perf_counter() - job.started, 1)
        box.update(label=_("Done in {seconds} s").format(seconds=seconds), state=state, expanded=False)
    return _finish(key, job)
