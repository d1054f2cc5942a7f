"""Clean interrupts for ``coverage-plan``: SIGINT and SIGTERM stop everything a command started.

:func:`clean_interrupts` wraps one command. While it runs:

- the temporary files of the command (the solver's ``.mps``/``.mst``/``.sol``
  files and its log, and those of batch workers, which inherit the setting)
  go to a private folder (``TMPDIR`` and :data:`tempfile.tempdir` point there),
  removed when the command ends, however it ends;
- on SIGINT or SIGTERM, every descendant process (the CBC solver, batch
  workers and their solvers) is stopped at once, while it is still a
  descendant: SIGTERM, then SIGKILL after a grace period (psutil walks the
  process tree portably); then SIGTERM raises :class:`Interrupted` in the main
  thread (SIGINT :class:`KeyboardInterrupt`), so the ``finally`` blocks of the
  writers run and remove their partial outputs (``.out.<random>.tmp`` folders);
- an error of the command stops nothing else: no solver runs while Python
  raises (PuLP waits for CBC), and a program calling
  :func:`coverage.cli.main.main` keeps its other children.

The command then exits with ``128 + signal`` (130 for SIGINT, 143 for SIGTERM)
after one line saying what was stopped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

# Imported here, not in the handlers: a second Ctrl-C during the first handler's import found
# the module half-initialised ("partially initialized module 'psutil'") and a traceback.
import psutil

__all__ = ["Interrupted", "clean_interrupts", "stop_children"]

#: Seconds a child gets to end after SIGTERM before it is killed.
GRACE_SECONDS = 3.0


class Interrupted(BaseException):  # noqa: N818  (like KeyboardInterrupt, not an error of the input)
    """The command received a stop signal; ``exit_code`` is ``128 + signal number``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


def stop_children(grace: float = GRACE_SECONDS) -> int:
    """Stop every descendant process of this one; return how many were running.

    Examples
    --------
    A process whose child sleeps a minute stops it at once (run apart, so that
    nothing else of this process is stopped):

    >>> import subprocess, sys
    >>> code = (
    ...     "import subprocess, sys, time\\n"
    ...     "from coverage.cli.interrupts import stop_children\\n"
    ...     "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\\n"
    ...     "start = time.monotonic()\\n"
    ...     "print(stop_children(), child.poll() is not None, time.monotonic() - start < 30)\\n"
    ... )
    >>> subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split()
    ['1', 'True', 'True']
    """
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return 0
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=grace)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(alive, timeout=grace)
    return len(children)


@contextmanager
def clean_interrupts() -> Iterator[Path]:
    """Run a command with private temporary files, its children stopped on SIGINT and SIGTERM.

    Yields the private temporary folder. Signal handlers are installed only in
    the main thread (elsewhere Python does not allow it); they, ``TMPDIR`` and
    :data:`tempfile.tempdir` are restored on exit.

    Examples
    --------
    >>> import os, pathlib, tempfile
    >>> with clean_interrupts() as folder:
    ...     inside = pathlib.Path(tempfile.mkstemp(suffix=".mps")[1])
    ...     inside.parent == folder and os.environ["TMPDIR"] == str(folder)
    True
    >>> inside.exists(), folder.exists()
    (False, False)
    """
    folder = Path(tempfile.mkdtemp(prefix="coverage-plan-"))
    old_env, old_tempdir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = str(folder)
    main = threading.current_thread() is threading.main_thread()
    old = {signum: signal.getsignal(signum) for signum in _SIGNALS} if main else {}
    for signum in old:
        signal.signal(signum, _on_signal)
    try:
        yield folder
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)
        if old_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = old_env
        tempfile.tempdir = old_tempdir
        shutil.rmtree(folder, ignore_errors=True)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Stop the children first (a worker's solver is orphaned once its worker dies), then unwind."""
    stop_children()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Interrupted(signum)
