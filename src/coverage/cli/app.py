"""``coverage-plan app``: start the map app from the installed package.

    coverage-plan app [--port 8501] [--address localhost] [--headless] [-- STREAMLIT OPTIONS]

It runs ``python -m streamlit run`` on :data:`coverage.app.PAGE` with this
interpreter, so the app sees the same installed library as the command.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from coverage.cli.common import EXIT_BAD_INPUT

__all__ = ["add_app_command", "app_command", "app_environment"]

#: The modules of the ``app`` extra that the app cannot start without.
APP_MODULES = ("streamlit", "streamlit_folium")


def add_app_command(commands: Any) -> None:
    """Add ``app`` to the ``coverage-plan`` subparsers."""
    app = commands.add_parser(
        "app",
        help="start the map app (needs the 'app' extra: pip install 'coverage-planning[app]')",
        description="Start the Streamlit map app of the installed package and serve it until Ctrl-C.",
    )
    app.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    app.add_argument("--address", default="localhost", help="address to serve on (default localhost)")
    app.add_argument("--headless", action="store_true", help="do not open a browser window")
    app.add_argument(
        "streamlit_options",
        nargs=argparse.REMAINDER,
        metavar="-- STREAMLIT OPTIONS",
        help="further options for 'streamlit run', after '--'",
    )
    app.set_defaults(run=lambda args: _run_app(args))


def app_command(
    *, port: int = 8501, address: str = "localhost", headless: bool = False, extra: tuple[str, ...] = ()
) -> list[str]:
    """The ``streamlit run`` command line that serves the app with this interpreter.

    Examples
    --------
    >>> command = app_command(port=8600, headless=True)
    >>> command[1:4]
    ['-m', 'streamlit', 'run']
    >>> command[4].endswith("page.py"), "8600" in command
    (True, True)
    """
    from coverage.app import PAGE

    command = [sys.executable, "-m", "streamlit", "run", str(PAGE)]
    command += ["--server.address", address, "--server.port", str(port)]
    command += ["--browser.gatherUsageStats", "false"]
    # the map's Leaflet comes from the package's static folder, not a CDN (see coverage.app.assets)
    command += ["--server.enableStaticServing", "true"]
    if headless:
        command += ["--server.headless", "true"]
    return command + list(extra)


def app_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The app server's environment: ``environ`` with a lasting folder for uploaded layers.

    Links name uploaded layers by their content's hash; the layers are kept in
    ``COVERAGE_UPLOADS``, by default ``coverage-planning/uploads`` in the user's
    cache folder (``XDG_CACHE_HOME`` or ``~/.cache``), so that a link still opens
    after the server restarts. A ``COVERAGE_UPLOADS`` already set is kept.

    Examples
    --------
    >>> app_environment({"XDG_CACHE_HOME": "/srv/cache"})["COVERAGE_UPLOADS"]
    '/srv/cache/coverage-planning/uploads'
    >>> app_environment({"COVERAGE_UPLOADS": "/data/uploads"})["COVERAGE_UPLOADS"]
    '/data/uploads'
    """
    from coverage.app.upload import UPLOADS_ENV

    env = dict(environ)
    if not env.get(UPLOADS_ENV):
        cache = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        env[UPLOADS_ENV] = str(Path(cache) / "coverage-planning" / "uploads")
    return env


def _run_app(args: argparse.Namespace) -> int:
    absent = [name for name in APP_MODULES if importlib.util.find_spec(name) is None]
    if absent:
        print(
            f"error: the map app needs {', '.join(absent)}, which come with the 'app' extra; "
            "install it with: pip install 'coverage-planning[app]'",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    extra = tuple(a for a in args.streamlit_options if a != "--")
    command = app_command(port=args.port, address=args.address, headless=args.headless, extra=extra)
    process = subprocess.Popen(command, env=app_environment(os.environ))
    try:
        return process.wait()
    except KeyboardInterrupt:  # Ctrl-C reaches streamlit too (same process group): let it stop
        return process.wait()
