"""Command line: ``coverage-plan``.

Thin: every figure it prints comes from a library call. Exit codes: 0 ok,
1 planning failure, 2 bad input, missing data or offline.

    coverage-plan data summary [--data-dir DIR]   embedded data + files read
    coverage-plan data list [--data-dir DIR]      files present / missing (fast)
    coverage-plan data fetch [--dest DIR] [--only KEY ...] [--base-url URL]
    coverage-plan run SCENARIO [--set KEY=VALUE ...] [--data-dir DIR] [--out DIR] [--no-map]
    coverage-plan compare RUN_A RUN_B [--csv FILE]   (coverage.cli.run, coverage.cli.compare)
    coverage-plan roads SCENARIO [--radius-metres M] [--out DIR]  (road vs straight line: coverage.cli.roads)
    coverage-plan batch SCENARIO GRID [--workers N | --scheduler ADDRESS]
    coverage-plan app [--port PORT] [--headless]      (the map app: coverage.cli.app)
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from coverage.cli.common import EXIT_BAD_INPUT, EXIT_PLANNING_FAILED
from coverage.cli.interrupts import Interrupted, clean_interrupts
from coverage.data.i18n import LANGUAGES, get_language, set_language
from coverage.data.i18n import gettext_ as _
from coverage.data.i18n.errors import frame_error, translate_text
from coverage.errors import (
    CoverageError,
    InfeasibleScenarioError,
    PlanVerificationError,
    out_of_resources,
)

__all__ = ["main"]


logger = logging.getLogger(__name__)

_STOPPED = (
    "stopped by {signal}: the solver and batch workers were stopped, and their temporary files "
    "and partial outputs removed (a batch resumes from the cases it finished)"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Examples
    --------
    Which official files a data folder holds (here an empty one):

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> main(["data", "list", "--data-dir", str(folder)])
    Data folder ...
    key  file  vintage  size  publisher
    ---  ----  -------  ----  ---------
    Missing (...):
    key  file  how to get it
    ...
    laposte_points  laposte_poincont2_2020-12.csv  'coverage-plan data fetch --only laposte_points', ...
    ...
    0

    Run the shipped demo with 5 sites (the progress goes to stderr):

    >>> main(["run", "demo", "--set", "objective.max_sites=5", "--out", str(folder / "demo-5"), "--no-map"])
    figure  value
    ...
    status  optimal
    ...
    need served  59,176 (63.2 %)
    open sites  5 of 450 candidates
    ...
    rerun it: coverage-plan run .../demo-5/scenario.lock.toml
    0

    Bad input gives exit code 2, with the error on stderr:

    >>> main(["run", "no-such-scenario"])
    2
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    _configure_logging(args.verbose)
    previous = get_language()
    set_language(args.lang or "en")
    try:
        return _command(parser, args)
    finally:  # a command run from Python leaves the caller's language as it was
        set_language(previous)


def _command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with clean_interrupts():
            return int(args.run(args))
    except KeyboardInterrupt:
        print(_STOPPED.format(signal="SIGINT (Ctrl-C)"), file=sys.stderr)
        return 130
    except Interrupted as exc:
        print(_STOPPED.format(signal=str(exc)), file=sys.stderr)
        return exc.exit_code
    except InfeasibleScenarioError as exc:
        logger.debug("planning failed", exc_info=True)
        print(_("planning failed:"), frame_error(str(exc)), file=sys.stderr)
        return EXIT_PLANNING_FAILED
    except PlanVerificationError as exc:
        logger.debug("plan verification failed", exc_info=True)
        print(
            _(
                "planning failed: the solved plan breaks {n} of its model's constraints, "
                "so nothing was written (please report this with the scenario):"
            ).format(n=len(exc.violations)),
            file=sys.stderr,
        )
        for violation in exc.violations:
            print(f"  {translate_text(str(violation))}", file=sys.stderr)
        return EXIT_PLANNING_FAILED
    except (CoverageError, OSError) as exc:
        if out_of_resources(exc):
            return _out_of_memory()
        logger.debug("command failed", exc_info=True)
        print(_("error:"), frame_error(str(exc)), file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # MemoryError, or pyarrow's and threading's words for it
        if not out_of_resources(exc):
            raise
        return _out_of_memory()


def _out_of_memory() -> int:
    logger.debug("out of memory", exc_info=True)
    print(
        _(
            "error: out of memory: this scenario needs more memory than the machine has; "
            "plan fewer departments, fewer candidate sites or a shorter reach "
            "(rerun with -vv to see the step that ran out)"
        ),
        file=sys.stderr,
    )
    return EXIT_PLANNING_FAILED


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
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=None,
        help="language of messages and maps (default en; reports default to fr): fr is French, "
        "with French number formats",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    from coverage.cli.data import add_data_command

    add_data_command(commands)

    from coverage.cli.compare import add_compare_command
    from coverage.cli.run import add_run_command

    add_run_command(commands)
    add_compare_command(commands)

    from coverage.cli.roads import add_roads_command

    add_roads_command(commands)

    from coverage.cli.batch import add_batch_command

    add_batch_command(commands)

    from coverage.cli.report import add_report_command

    add_report_command(commands)

    from coverage.cli.app import add_app_command

    add_app_command(commands)
    return parser


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
