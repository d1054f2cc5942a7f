"""What binds, printed after a run's KPIs (``coverage-plan run --marginal``).

Thin: the groups and the marginal values come from
:func:`coverage.scenario.marginal.what_binds`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from typing import TYPE_CHECKING

from coverage.cli.common import table

if TYPE_CHECKING:
    from coverage.plan.analysis import WhatBinds
    from coverage.scenario.run import ScenarioRun

__all__ = ["AUTO_MARGINAL_SECONDS", "add_marginal_option", "analyse", "print_binding"]

#: With ``--marginal auto`` (the default), marginal values are measured when the solve
#: took at most this many seconds: each re-solve costs about one solve.
AUTO_MARGINAL_SECONDS = 60.0


def add_marginal_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--marginal {auto,on,off}`` to ``parser``.

    Examples
    --------
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_marginal_option(parser)
    >>> parser.parse_args([]).marginal, parser.parse_args(["--marginal", "off"]).marginal
    ('auto', 'off')
    """
    parser.add_argument(
        "--marginal",
        choices=("auto", "on", "off"),
        default="auto",
        help=(
            "measure what one more advisor per partner, slot per site, site and km of radius buy, "
            "by re-solving once each (auto: when the solve took at most "
            f"{AUTO_MARGINAL_SECONDS:g} s; the tight constraints are always reported)"
        ),
    )


def analyse(run: ScenarioRun, mode: str) -> ScenarioRun:
    """``run`` with its :attr:`~coverage.scenario.run.ScenarioRun.analysis`, as ``--marginal`` asks.

    Examples
    --------
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import run_scenario, shipped_scenario
    >>> run = analyse(run_scenario(load_scenario(shipped_scenario("demo"))), "off")
    >>> [b.group for b in run.analysis.tight], run.analysis.marginal
    (['site count'], ())
    """
    from coverage.data.i18n import N_, format_number
    from coverage.data.i18n import gettext_ as _
    from coverage.scenario.marginal import what_binds

    solve = run.timings.get("solve", 0.0)
    measure = mode == "on" or (mode == "auto" and solve <= AUTO_MARGINAL_SECONDS)
    started = time.perf_counter()
    if measure:
        label = _("marginal values (one re-solve per resource)")
        print(f"[+] {label} ...", file=sys.stderr, flush=True)
    analysis = what_binds(run, marginal=measure)
    if measure:
        done = _("[+] marginal values done in {seconds} s").format(
            seconds=format_number(time.perf_counter() - started, 2)
        )
        print(done, file=sys.stderr, flush=True)
    elif mode == "auto":
        note = N_(
            "marginal values not measured: the solve took {num_seconds} s (over {num_limit} s); "
            "ask for them with --marginal on"
        )
        analysis = dataclasses.replace(
            analysis, note=note.format(num_seconds=f"{solve:.0f}", num_limit=f"{AUTO_MARGINAL_SECONDS:g}")
        )
    return dataclasses.replace(run, analysis=analysis)


def print_binding(analysis: WhatBinds) -> None:
    """Print the tight groups and the marginal values, one line each.

    Examples
    --------
    >>> from coverage.plan.analysis import Marginal, WhatBinds
    >>> from coverage.plan.binding import Binding
    >>> tight = Binding("site count", "open sites", 12, 12, "sites", True, "12 of at most 12 sites open")
    >>> more = Marginal("one more site", "", 100.0, 130.0, 30.0, "people", "re-solve", True, 0.1)
    >>> print_binding(WhatBinds((tight,), (more,)))
    <BLANKLINE>
    What binds
    constraint  tight
    ----------  ---------------------------
    site count  12 of at most 12 sites open
    <BLANKLINE>
    What one more buys
    one more site: +30 people (re-solve, exact)
    """
    from coverage.data.i18n import gettext_ as _
    from coverage.data.i18n.errors import translate_text

    print()
    print(_("What binds"))
    tight = analysis.tight
    if tight:
        rows = [[_(b.group), translate_text(b.detail)] for b in tight]
        print(table([_("constraint"), _("tight")], rows))
    else:
        print(_("no constraint group is used up to its limit"))
    print()
    print(_("What one more buys"))
    for marginal in analysis.marginal:
        print(marginal.line())
    if analysis.note:
        print(translate_text(analysis.note))
