"""The ``run`` command of ``coverage-plan`` (registered by :mod:`coverage.cli.main`).

    coverage-plan run SCENARIO [--set KEY=VALUE ...] [--data-dir DIR] [--out DIR] [--force]
                      [--no-map] [--ignore-lock-hashes] [--marginal {auto,on,off}]
                      [--lang {en,fr}]

Thin: the figures come from :class:`~coverage.plan.plan.Plan` and
:mod:`coverage.scenario.output`; ``compare`` is :mod:`coverage.cli.compare`.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coverage.cli.binding import add_marginal_option, analyse, print_binding
from coverage.cli.common import EXIT_OK, EXIT_PLANNING_FAILED, count, english, percent, table
from coverage.cli.progress import PhasePrinter as _PhasePrinter
from coverage.cli.progress import interactive, stop_on_first_interrupt
from coverage.cli.trajectory import figure as _figure
from coverage.cli.trajectory import trajectory_rows
from coverage.data.i18n import format_date, format_km, format_number
from coverage.data.i18n import gettext_ as _

if TYPE_CHECKING:
    from coverage.plan.kpis import DepartmentCounts
    from coverage.plan.plan import Plan

__all__ = ["add_run_command"]

#: Rows of the department table printed after a run (largest need first).
TOP_DEPARTMENTS = 10


def add_run_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Register ``coverage-plan run``."""
    run = commands.add_parser(
        "run",
        help="run a scenario file and write its plan, KPIs, map and lock file",
        description=(
            "Run a scenario: read the data, solve, print the KPIs and write an output folder "
            "(plan.gpkg, kpis_*.csv, open_sites.csv, map.html, summary.json, scenario.lock.toml; "
            "with a [rollout] table, trajectory.csv and trajectory.png: people accompanied month by "
            "month against the target). "
            "Rerun a locked scenario with 'coverage-plan run RUN_FOLDER/scenario.lock.toml'. "
            "Demand is built from the communes, or read from the file named by demand.source "
            "(CSV, GeoJSON, GeoPackage or zipped shapefile of units with their need). "
            "On a terminal the solve shows the best plan found so far, the bound and the gap, and the "
            "first Ctrl-C during the solve stops at that plan (labelled stopped by the planner); a second "
            "aborts."
        ),
    )
    run.add_argument(
        "scenario",
        metavar="SCENARIO",
        help="scenario TOML file or lock file, or the name of a shipped scenario ('demo')",
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a key of the scenario, e.g. --set partners.laposte.advisors=120 (repeatable)",
    )
    run.add_argument(
        "--data-dir", type=Path, metavar="DIR", help="folder of official files (default: $COVERAGE_DATA_DIR)"
    )
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default: runs/<scenario name>-<YYYYmmdd-HHMMSS> in the current folder)",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace an --out folder that an earlier run wrote (never a folder of other files)",
    )
    run.add_argument("--no-map", action="store_true", help="do not write map.html")
    run.add_argument(
        "--ignore-lock-hashes",
        action="store_true",
        help="run a lock file even when its data files changed (prints a warning per file)",
    )
    add_marginal_option(run)
    run.add_argument(
        "--lang",
        choices=("en", "fr"),
        default=argparse.SUPPRESS,  # else it would undo the global 'coverage-plan --lang'
        help="language of the trajectory chart (trajectory.png, with a [rollout] table), as the global "
        "--lang; default en",
    )
    run.set_defaults(run=_run)


# --------------------------------------------------------------------------- run


def _run(args: argparse.Namespace) -> int:
    from coverage.scenario.loading import load_scenario
    from coverage.scenario.lock import read_lock
    from coverage.scenario.output import check_out_folder, default_run_folder, repeatability_note, write_run
    from coverage.scenario.progress import phases
    from coverage.scenario.run import run_scenario

    path = _scenario_path(args.scenario)
    lock = read_lock(path)
    if lock is not None and args.ignore_lock_hashes:
        for line in lock.mismatches():
            print(f"warning: {line}; running on the current file (--ignore-lock-hashes)", file=sys.stderr)
    scenario = load_scenario(path, overrides=args.set, check_lock=not args.ignore_lock_hashes)
    out = args.out if args.out is not None else default_run_folder(scenario.name)
    check_out_folder(out, force=args.force)
    data_dir = args.data_dir
    if data_dir is None and lock is not None and lock.data_dir and _no_data_dir_set():
        data_dir = Path(lock.data_dir)
        print(f"data folder from the lock file: {data_dir}", file=sys.stderr)

    print(_("scenario {name}: {path}").format(name=scenario.name, path=path), file=sys.stderr)
    printer = _PhasePrinter(phases(scenario))
    if printer.live and interactive():  # the solver's figures, and Ctrl-C to stop at the best plan
        from coverage.models.live import SolveWatch, watching

        watch = SolveWatch(printer.solver)
        with watching(watch), stop_on_first_interrupt(watch, printer):
            run = run_scenario(scenario, data_dir=data_dir, progress=printer)
    else:
        run = run_scenario(scenario, data_dir=data_dir, progress=printer)
    plan = run.plan
    if plan.status not in ("optimal", "feasible"):
        print(
            f"planning failed: the solver found no plan (status {plan.status}); "
            "relax the rules or the target, or raise solver.time_limit",
            file=sys.stderr,
        )
        return EXIT_PLANNING_FAILED
    _print_kpis(plan, scenario_name=scenario.name)
    if scenario.access.rule == "road_time":
        print(f"access: {run.reach.rule}")
    note = repeatability_note(
        plan.status, plan.gap, deterministic=scenario.solver.deterministic, stopped=plan.stopped
    )
    if note:
        print()
        print(f"note: {note}")
    for layer, shortlist in run.shortlists.items():
        print(_shortlist_line(layer, shortlist))
    run = analyse(run, args.marginal)
    assert run.analysis is not None  # analyse always sets it
    print_binding(run.analysis)
    used_dir = data_dir if data_dir is not None else _settings_data_dir()
    written = write_run(
        run, out, force=args.force, with_map=not args.no_map, data_dir=used_dir, lang=args.lang or "en"
    )
    print()
    print(_("Output: {folder}").format(folder=out))
    for file in written:
        print(f"  {file.name}")
    print(_("rerun it: {command}").format(command=f"coverage-plan run {out / 'scenario.lock.toml'}"))
    return EXIT_OK


def _scenario_path(text: str) -> Path:
    """A file path, else the shipped scenario of that name."""
    from coverage.errors import MissingDataError
    from coverage.scenario.run import shipped_scenario
    from coverage.scenario.tables import is_path_like

    path = Path(text)
    if path.exists() or is_path_like(text):
        return path
    try:
        return shipped_scenario(text)
    except MissingDataError as exc:
        raise MissingDataError(f"no scenario file {text!r} in the current folder, and {exc}") from None


def _no_data_dir_set() -> bool:
    return _settings_data_dir() is None


def _settings_data_dir() -> Path | None:
    """``COVERAGE_DATA_DIR``, or None when unset or not a folder (the run reports that itself)."""
    from coverage.data.settings import get_settings
    from coverage.errors import MissingDataError

    try:
        return get_settings().data_dir
    except MissingDataError:
        return None


def _shortlist_line(layer: str, shortlist: Plan) -> str:
    """The shortlist's outcome in one line, in the language in use."""
    from coverage.data.i18n import format_percent

    gap = ""
    if shortlist.gap is not None:
        share = f"{shortlist.gap:.2%}" if english() else format_percent(shortlist.gap, 2)
        gap = _(", gap {gap}").format(gap=share)
    bound = "" if shortlist.bound is None else _(", bound {bound}").format(bound=_figure(shortlist.bound))
    return _(
        "shortlist [sites.{layer}]: {sites} sites reaching {need} need "
        "({status}{gap}{bound}; method {method})"
    ).format(
        layer=layer,
        sites=count(len(shortlist.open_site_ids)),
        need=_figure(shortlist.objective or 0.0),
        status=_status_name(shortlist.status),
        gap=gap,
        bound=bound,
        method=shortlist.method,
    )


def _status_name(status: str) -> str:
    """A solver status as the table shows it: the id in English, its display name otherwise."""
    from coverage.data.i18n.names import STATUSES

    return status if english() else _(STATUSES.get(status, status))


def _status_text(plan: Plan) -> str:
    status = _status_name(plan.status)
    return _("{status} (stopped by the planner)").format(status=status) if plan.stopped else status


def _print_kpis(plan: Plan, *, scenario_name: str) -> None:
    unit = plan.distance_unit
    departments = plan.kpis("department")
    from coverage.data.i18n.names import model_name

    model = plan.model if english() else model_name(plan.model)
    rows = [
        [_("scenario"), scenario_name],
        [_("model"), f"{model} ({plan.solver})"],
        [_("status"), _status_text(plan)],
        [_("gap"), _("n/a") if plan.gap is None else percent(plan.gap)],
        *([[_("bound"), _figure(plan.bound)]] if plan.stopped and plan.bound is not None else []),
        [_("objective"), _figure(plan.objective)],
        [_("need (people)"), _figure(plan.total_need)],
        [_("need reached"), f"{_figure(plan.reached_need)} ({_share(plan.reached_need, plan.total_need)})"],
        [_("need served"), f"{_figure(plan.served_need)} ({_share(plan.served_need, plan.total_need)})"],
        [
            _("open sites"),
            _("{n} of {total} candidates").format(
                n=count(len(plan.open_site_ids)), total=count(plan.n_candidates)
            ),
        ],
    ]
    staffed = plan.kpis("partner")
    staffed = staffed[staffed["slots"] > 0]
    if len(staffed):
        advisors = ", ".join(
            f"{p} {a:g}" for p, a in zip(staffed["partner"], staffed["advisors"], strict=True)
        )
        rows.append([_("advisors by partner"), advisors])
    counts = plan.department_counts()
    if counts is not None:
        rows.extend(_department_rows(counts))
    rows.append([_("mean distance"), _distance(plan.mean_distance, unit)])
    rows.append([_("worst distance"), _distance(plan.worst_distance, unit)])
    projection = plan.projection()
    if projection is not None:
        date = projection.date.isoformat() if english() else format_date(projection.date)
        line = _("{people} people by {date}").format(people=_figure(projection.people), date=date)
        if projection.target is not None:
            line += " " + _("(target {target}, {share})").format(
                target=_figure(projection.target), share=_share(projection.people, projection.target)
            )
        rows.append([_("projection"), line])
    if plan.trajectory is not None:
        rows.extend(trajectory_rows(plan.trajectory))
    rows.append([_("unreached QPV / rural units"), count(len(plan.explanations))])
    print(table([_("figure"), _("value")], rows))
    print()
    top = departments.sort_values("need", ascending=False).head(TOP_DEPARTMENTS)
    if len(departments) <= TOP_DEPARTMENTS:
        print(_("Departments (by need)"))
    else:
        print(_("Top {n} departments (by need)").format(n=TOP_DEPARTMENTS))
    table_rows = [
        [
            str(row.dep),
            _figure(row.need),
            _figure(row.need_reached),
            _figure(row.need_served),
            percent(row.share) if not math.isnan(row.share) else _("n/a"),
            count(int(getattr(row, "open_sites", 0))),
            f"{float(getattr(row, 'advisors', 0.0)):g}"
            if english()
            else _figure(getattr(row, "advisors", 0.0)),
        ]
        for row in top.itertuples(index=False)
    ]
    print(
        table(
            [_("dep"), _("need"), _("reached"), _("served"), _("share"), _("open sites"), _("advisors")],
            table_rows,
            right=frozenset(range(1, 7)),
        )
    )


def _department_rows(counts: DepartmentCounts) -> list[list[str]]:
    """The department counts of :class:`~coverage.plan.kpis.DepartmentCounts`, one figure a row."""
    of = _("of {n} with need").format(n=count(counts.with_need))
    rows = [
        [_("departments with an open site"), f"{count(counts.with_open_site)} {of}"],
        [
            _("departments with need served"),
            f"{count(counts.served)} {of} "
            + _("({n} only from sites across a border)").format(n=count(counts.served_from_outside)),
        ],
    ]
    if counts.without_population:
        from coverage.plan.kpis import POPULATION_SOURCES

        missing = [
            f"{dep} ({_(POPULATION_SOURCES[dep])})" if dep in POPULATION_SOURCES else dep
            for dep in counts.without_population
        ]
        rows.append([_("departments without population data (not counted)"), "; ".join(missing)])
    return rows


# --------------------------------------------------------------------------- formatting


def _share(part: float, whole: float | None) -> str:
    return percent(part / whole) if whole else _("n/a")


def _distance(value: float, unit: str) -> str:
    if math.isnan(value):
        return _("n/a")
    if not english():
        return format_km(value) if unit == "m" else f"{format_number(value, 1)} {unit}"
    return f"{value / 1000:.1f} km" if unit == "m" else f"{value:.1f} {unit}"
