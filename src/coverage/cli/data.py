"""``coverage-plan data``: what the embedded data and a data folder hold, and fetching the official files.

The three actions:

    coverage-plan data summary [--data-dir DIR]   embedded data + files read
    coverage-plan data list [--data-dir DIR]      files present / missing (fast)
    coverage-plan data fetch [--dest DIR] [--only KEY ...] [--base-url URL]
    coverage-plan data roads [--data-dir DIR]     OpenStreetMap road extracts: where, how big
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coverage.cli.common import EXIT_BAD_INPUT, EXIT_OK, count, percent, relative, size, table

if TYPE_CHECKING:
    from coverage.data.catalogue import DataFile

__all__ = ["add_data_command"]


def add_data_command(commands: Any) -> None:
    """Add ``data summary | list | fetch`` to the ``coverage-plan`` subparsers."""
    data = commands.add_parser("data", help="the embedded data and the official data files")
    data_commands = data.add_subparsers(title="data commands", metavar="ACTION")
    data.set_defaults(run=lambda _args: _help(data))

    data_dir_help = "folder of official files (default: $COVERAGE_DATA_DIR)"
    summary = data_commands.add_parser(
        "summary", help="what the embedded data and the data folder hold (reads every file)"
    )
    summary.add_argument("--data-dir", type=Path, help=data_dir_help)
    summary.set_defaults(run=_data_summary)

    listing = data_commands.add_parser("list", help="files present and missing (reads nothing)")
    listing.add_argument("--data-dir", type=Path, help=data_dir_help)
    listing.set_defaults(run=_data_list)

    fetch = data_commands.add_parser("fetch", help="download the official files (needs network)")
    fetch.add_argument("--dest", type=Path, help="destination folder (default: $COVERAGE_DATA_DIR)")
    fetch.add_argument("--only", nargs="+", metavar="KEY", help="only these files (see 'list')")
    fetch.add_argument("--base-url", help="fetch from this mirror: URL/<relative path>")
    fetch.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    fetch.set_defaults(run=_data_fetch)

    roads = data_commands.add_parser(
        "roads", help='OpenStreetMap road extracts for access.rule = "road_time": where to get them, sizes'
    )
    roads.add_argument("--data-dir", type=Path, help=data_dir_help)
    roads.set_defaults(run=_data_roads)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_BAD_INPUT


def _data_summary(args: argparse.Namespace) -> int:
    from coverage.data.folder import embedded_summary, scan
    from coverage.data.settings import resolve_data_dir

    data_dir = resolve_data_dir(args.data_dir)
    embedded = embedded_summary()
    print("Embedded data")
    print(
        table(
            ["item", "value"],
            [
                ["departments", f"{embedded.departments:,}"],
                ["communes", f"{embedded.communes:,}"],
                ["total population", f"{embedded.population:,}"],
                ["communes with a town hall point", f"{embedded.communes_with_town_hall:,}"],
                [
                    "rural (approx.), share of communes",
                    percent(embedded.rural_approx_communes_share),
                ],
                [
                    "rural (approx.), share of population",
                    percent(embedded.rural_approx_population_share),
                ],
            ],
        )
    )
    print(f"source: {embedded.note}")
    print()
    if data_dir is None:
        _print_no_data_dir()
        return EXIT_OK
    found = scan(data_dir, read=True)
    print(f"Data folder {data_dir}")
    rows = [
        [
            f.key,
            relative(f.path, data_dir),
            f.entry.vintage,
            count(f.rows_read),
            count(f.rows_kept),
            count(f.rows_dropped),
            f"{f.seconds:.2f}" if f.seconds is not None else "",
            f"error: {f.error}" if f.error else (f"{f.warnings} warnings" if f.warnings else ""),
        ]
        for f in found
    ]
    print(
        table(
            ["key", "file", "vintage", "read", "kept", "dropped", "seconds", "notes"],
            rows,
            right=frozenset({3, 4, 5, 6}),
        )
    )
    _print_missing(data_dir)
    return EXIT_OK


def _data_list(args: argparse.Namespace) -> int:
    from coverage.data.folder import scan
    from coverage.data.settings import resolve_data_dir

    data_dir = resolve_data_dir(args.data_dir)
    if data_dir is None:
        _print_no_data_dir()
        return EXIT_OK
    found = scan(data_dir)
    print(f"Data folder {data_dir}")
    rows = [
        [f.key, relative(f.path, data_dir), f.entry.vintage, size(f.size), f.entry.publisher] for f in found
    ]
    print(table(["key", "file", "vintage", "size", "publisher"], rows, right=frozenset({3})))
    _print_missing(data_dir)
    print("Road extracts for access.rule = \"road_time\": see 'coverage-plan data roads'")
    return EXIT_OK


def _data_roads(args: argparse.Namespace) -> int:
    from coverage.data.settings import resolve_data_dir

    print_road_extracts(resolve_data_dir(args.data_dir))
    return EXIT_OK


def print_road_extracts(data_dir: Path | None) -> None:
    """Where to get a road extract, and the extracts a data folder holds."""
    from coverage.reach.roads import ROAD_EXTRACTS

    print('Road extracts (access.rule = "road_time", access.extract = PATH): OpenStreetMap .osm.pbf')
    print(table(["extract", "download", "size"], [list(row) for row in ROAD_EXTRACTS]))
    print(
        "The network is built on first use (minutes for France) and cached in .coverage-roads "
        "beside the extract; take the smallest extract that covers the scenario's departments."
    )
    if data_dir is not None:
        found = sorted(data_dir.rglob("*.osm.pbf"))
        rows = [[relative(path, data_dir), size(path.stat().st_size)] for path in found]
        print(f"Extracts in {data_dir}:" + (" none" if not rows else ""))
        if rows:
            print(table(["file", "size"], rows, right=frozenset({1})))


def _data_fetch(args: argparse.Namespace) -> int:
    from coverage.data.catalogue import CATALOGUE
    from coverage.data.folder import FetchEvent, fetch
    from coverage.data.settings import resolve_data_dir

    known = [item.key for item in CATALOGUE]
    unknown = [key for key in args.only or [] if key not in known]
    if unknown:
        print(
            f"error: unknown file key(s) {', '.join(unknown)}; known: {', '.join(known)}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    dest = args.dest if args.dest is not None else resolve_data_dir(None)
    if dest is None:
        print(
            "error: no destination; pass --dest DIR or set COVERAGE_DATA_DIR to an existing folder",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT

    def progress(event: FetchEvent) -> None:
        if event.bytes_done == 0 and not event.finished:
            print(f"fetching {event.key} from {event.url}", flush=True)
        elif event.finished:
            print(f"  {event.key}: {size(event.bytes_done)} -> {event.path}", flush=True)

    written = fetch(dest, keys=args.only, base_url=args.base_url, timeout=args.timeout, progress=progress)
    print(f"{len(written)} file(s) written under {dest}")
    if args.only is None and args.base_url is None:
        from coverage.data.folder import missing

        manual = missing(dest)
        if manual:
            print("Not downloadable directly (get them by hand):")
            for item in manual:
                print(f"  {item.key}: {item.how_to_get}")
    return EXIT_OK


def _print_no_data_dir() -> None:
    from coverage.data.folder import missing

    print("Data folder: none (pass --data-dir DIR or set COVERAGE_DATA_DIR)")
    print("Official files the library can use:")
    print(table(["key", "file", "how to get it"], [_missing_row(m) for m in missing(None)]))


def _print_missing(data_dir: Path) -> None:
    from coverage.data.folder import missing

    absent = missing(data_dir)
    if not absent:
        print("Missing: none (every catalogue file is present)")
        return
    print(f"Missing ({len(absent)}):")
    print(table(["key", "file", "how to get it"], [_missing_row(m) for m in absent]))


def _missing_row(item: DataFile) -> list[str]:
    return [item.key, item.file_name, item.how_to_get]
