"""Clean interrupts for ``coverage-plan``: SIGINT and SIGTERM stop everything a command started.

:func:`clean_interrupts` wraps one command. While it runs:

- the temporary files of the command (the solver's ``.mps``/``.mst``/``.sol``
  files and its log, and those of batch workers, which inherit the setting)
  go to a private folder (``TMPDIR`` and :data:`tempfile.tempdir` point there),
  removed when the command ends, however it ends;
- SIGTERM raises :class:`Interrupted` in the main thread (SIGINT raises
  :class:`KeyboardInterrupt` as usual), so the ``finally`` blocks of the
  writers run and remove their partial outputs (``.out.<random>.tmp`` folders);
- on the way out, every child process still running (the CBC solver, batch
  workers and their solvers) is stopped: SIGTERM, then SIGKILL after a grace
  period (psutil walks the process tree portably).

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
    >>> import subprocess, sys
    >>> child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    >>> stop_children() >= 1
    True
    >>> child.wait() != 0  # it did not sleep its minute
    True
    """
    import psutil

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
    """Run a command with private temporary files and SIGTERM raising :class:`Interrupted`.

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
    old_term = signal.getsignal(signal.SIGTERM) if main else None
    if main:
        signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        yield folder
    except BaseException:
        stop_children()
        raise
    finally:
        if main:
            signal.signal(signal.SIGTERM, old_term)
        if old_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = old_env
        tempfile.tempdir = old_tempdir
        shutil.rmtree(folder, ignore_errors=True)


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)
