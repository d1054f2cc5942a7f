"""``coverage-plan roads``: a scenario's reach by road against the straight line.

    coverage-plan roads SCENARIO [--set KEY=VALUE ...] [--data-dir DIR] [--radius-metres M] [--out DIR]

Runs the scenario (its ``access.rule`` must be ``road_time``), then prints the
pairs the road gains and loses against the straight-line rule, the units whose
nearest site changes, the snapping of units and sites, and the same per
department; ``--out`` writes them as CSV files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from coverage.cli.common import EXIT_OK, table

__all__ = ["add_roads_command"]


def add_roads_command(commands: argparse._SubParsersAction[Any]) -> None:
    """Register ``coverage-plan roads``."""
    roads = commands.add_parser(
        "roads",
        help="compare a road_time scenario's reach with the straight line (pairs gained, lost, nearest site)",
        description=(
            'Run a scenario with access.rule = "road_time" and compare its reach with a straight-line '
            "rule on the same units and sites: by default the radius per zone that the travel_time "
            "estimate gives for the same minutes (minutes x 15/30/50 km/h for qpv/urban/rural / 1.3)."
        ),
    )
    roads.add_argument(
        "scenario", metavar="SCENARIO", help="scenario TOML file, or a shipped scenario's name"
    )
    roads.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a key")
    roads.add_argument("--data-dir", type=Path, metavar="DIR", help="folder of official files")
    roads.add_argument(
        "--radius-metres", type=float, metavar="M", help="compare with one straight-line radius instead"
    )
    roads.add_argument(
        "--out", type=Path, metavar="DIR", help="write pairs.csv, units.csv, departments.csv here"
    )
    roads.set_defaults(run=_roads)


def _roads(args: argparse.Namespace) -> int:
    from coverage.cli.run import _PhasePrinter, _scenario_path
    from coverage.reach.rules import Radius
    from coverage.scenario.access import compare_access
    from coverage.scenario.loading import load_scenario
    from coverage.scenario.progress import phases
    from coverage.scenario.run import run_scenario

    scenario = load_scenario(_scenario_path(args.scenario), overrides=args.set)
    if scenario.access.rule != "road_time":
        compare_access_needs_road = 'set access.rule = "road_time" and access.extract (or --set them)'
        print(
            f"error: scenario {scenario.name!r} has access.rule {scenario.access.rule!r}; "
            f"{compare_access_needs_road}",
            file=sys.stderr,
        )
        return 2
    run = run_scenario(scenario, data_dir=args.data_dir, progress=_PhasePrinter(phases(scenario)))
    straight = Radius(args.radius_metres) if args.radius_metres else None
    difference = compare_access(run, straight=straight)
    units = difference.units
    print(
        table(
            ["figure", "value"],
            [
                ["straight line", difference.first_rule],
                ["road", difference.second_rule],
                ["pairs, straight line", f"{int(units['sites_first'].sum()):,}"],
                ["pairs, road", f"{int(units['sites_second'].sum()):,}"],
                ["pairs gained by road", f"{difference.gained:,}"],
                ["pairs lost by road", f"{difference.lost:,}"],
                ["units whose nearest site changes", f"{difference.nearest_changed:,} of {len(units):,}"],
                ["units with a site, straight line", f"{int((units['sites_first'] > 0).sum()):,}"],
                ["units with a site, road", f"{int((units['sites_second'] > 0).sum()):,}"],
            ],
        )
    )
    print()
    columns = ["dep", "units", "pairs_first", "pairs_second", "gained", "lost", "nearest_changed"]
    rows = [
        [str(v) if i == 0 else f"{int(v):,}" for i, v in enumerate(row)]
        for row in difference.by_department[columns].itertuples(index=False)
    ]
    print("By department")
    print(
        table(
            ["dep", "units", "pairs straight", "pairs road", "gained", "lost", "nearest changed"],
            rows,
            right=frozenset(range(1, 7)),
        )
    )
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        difference.pairs.to_csv(args.out / "pairs.csv", index=False)
        difference.units.to_csv(args.out / "units.csv", index=False)
        difference.by_department.to_csv(args.out / "departments.csv", index=False)
        print(f"\nWritten: {args.out / 'pairs.csv'}, units.csv, departments.csv")
    return EXIT_OK
