"""Command line: ``coverage-plan``.

Thin: every figure it prints comes from a library call. Exit codes: 0 ok,
1 planning failure, 2 bad input, missing data or offline.

    coverage-plan data summary [--data-dir DIR]   embedded data + files read
    coverage-plan data list [--data-dir DIR]      files present / missing (fast)
    coverage-plan data fetch [--dest DIR] [--only KEY ...] [--base-url URL]
    coverage-plan run SCENARIO [--set KEY=VALUE ...] [--data-dir DIR] [--out DIR] [--no-map]
    coverage-plan compare RUN_A RUN_B [--csv FILE]   (run and compare: coverage.cli_run)
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from coverage.errors import CoverageError, InfeasibleScenarioError

if TYPE_CHECKING:
    from coverage.catalogue import DataFile

__all__ = ["main"]

EXIT_OK = 0
EXIT_PLANNING_FAILED = 1
EXIT_BAD_INPUT = 2

logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    _configure_logging(args.verbose)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(args.run(args))
    except InfeasibleScenarioError as exc:
        logger.debug("planning failed", exc_info=True)
        print(f"planning failed: {exc}", file=sys.stderr)
        return EXIT_PLANNING_FAILED
    except (CoverageError, OSError) as exc:
        logger.debug("command failed", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coverage-planning")
    except PackageNotFoundError:
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coverage-plan",
        description="Plan where digital-inclusion advisors go (French geodata, coverage models).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log to stderr: -v progress and the readers' warnings, -vv debug",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
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

    from coverage.cli_run import add_compare_command, add_run_command

    add_run_command(commands)
    add_compare_command(commands)

    from coverage.cli_batch import add_batch_command

    add_batch_command(commands)
    return parser


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_BAD_INPUT


def _configure_logging(verbosity: int) -> None:
    """Log the library to stderr: errors only by default, more with -v / -vv.

    The library installs no handler; the CLI installs one (replacing its own
    from an earlier call of :func:`main` in the same process).
    """
    level = logging.ERROR if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    package = logging.getLogger("coverage")
    for old in [h for h in package.handlers if getattr(h, "_coverage_cli", False)]:
        package.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler._coverage_cli = True  # type: ignore[attr-defined]
    handler.setLevel(level)
    package.addHandler(handler)
    package.setLevel(level)


# --------------------------------------------------------------------------- commands


def _data_summary(args: argparse.Namespace) -> int:
    from coverage.datadir import embedded_summary, scan
    from coverage.settings import resolve_data_dir

    data_dir = resolve_data_dir(args.data_dir)
    embedded = embedded_summary()
    print("Embedded data")
    print(
        _table(
            ["item", "value"],
            [
                ["departments", f"{embedded.departments:,}"],
                ["communes", f"{embedded.communes:,}"],
                ["total population", f"{embedded.population:,}"],
                ["communes with a town hall point", f"{embedded.communes_with_town_hall:,}"],
                [
                    "rural (approx.), share of communes",
                    _percent(embedded.rural_approx_communes_share),
                ],
                [
                    "rural (approx.), share of population",
                    _percent(embedded.rural_approx_population_share),
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
            _relative(f.path, data_dir),
            f.entry.vintage,
            _count(f.rows_read),
            _count(f.rows_kept),
            _count(f.rows_dropped),
            f"{f.seconds:.2f}" if f.seconds is not None else "",
            f"error: {f.error}" if f.error else (f"{f.warnings} warnings" if f.warnings else ""),
        ]
        for f in found
    ]
    print(
        _table(
            ["key", "file", "vintage", "read", "kept", "dropped", "seconds", "notes"],
            rows,
            right=frozenset({3, 4, 5, 6}),
        )
    )
    _print_missing(data_dir)
    return EXIT_OK


def _data_list(args: argparse.Namespace) -> int:
    from coverage.datadir import scan
    from coverage.settings import resolve_data_dir

    data_dir = resolve_data_dir(args.data_dir)
    if data_dir is None:
        _print_no_data_dir()
        return EXIT_OK
    found = scan(data_dir)
    print(f"Data folder {data_dir}")
    rows = [
        [f.key, _relative(f.path, data_dir), f.entry.vintage, _size(f.size), f.entry.publisher] for f in found
    ]
    print(_table(["key", "file", "vintage", "size", "publisher"], rows, right=frozenset({3})))
    _print_missing(data_dir)
    return EXIT_OK


def _data_fetch(args: argparse.Namespace) -> int:
    from coverage.catalogue import CATALOGUE
    from coverage.datadir import FetchEvent, fetch
    from coverage.settings import resolve_data_dir

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
            print(f"  {event.key}: {_size(event.bytes_done)} -> {event.path}", flush=True)

    written = fetch(dest, keys=args.only, base_url=args.base_url, timeout=args.timeout, progress=progress)
    print(f"{len(written)} file(s) written under {dest}")
    if args.only is None and args.base_url is None:
        from coverage.datadir import missing

        manual = missing(dest)
        if manual:
            print("Not downloadable directly (get them by hand):")
            for item in manual:
                print(f"  {item.key}: {item.how_to_get}")
    return EXIT_OK


# --------------------------------------------------------------------------- printing


def _print_no_data_dir() -> None:
    from coverage.datadir import missing

    print("Data folder: none (pass --data-dir DIR or set COVERAGE_DATA_DIR)")
    print("Official files the library can use:")
    print(_table(["key", "file", "how to get it"], [_missing_row(m) for m in missing(None)]))


def _print_missing(data_dir: Path) -> None:
    from coverage.datadir import missing

    absent = missing(data_dir)
    if not absent:
        print("Missing: none (every catalogue file is present)")
        return
    print(f"Missing ({len(absent)}):")
    print(_table(["key", "file", "how to get it"], [_missing_row(m) for m in absent]))


def _missing_row(item: DataFile) -> list[str]:
    return [item.key, item.file_name, item.how_to_get]


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: frozenset[int] = frozenset()
) -> str:
    """Rows as aligned plain text; columns in ``right`` are right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _percent(share: float) -> str:
    return f"{100 * share:.1f} %"


def _size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


if __name__ == "__main__":
    raise SystemExit(main())
