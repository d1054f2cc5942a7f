"""Public exceptions of the coverage library.

Every error a planner can trigger with bad input subclasses a builtin, so
callers can catch either the precise class or the builtin family:

- :class:`LayerValidationError` (``ValueError``): a data file or frame breaks
  its schema (missing column, unparsable number, duplicate id, ...);
- :class:`CRSError` (``ValueError``): a layer has no CRS, or a mixed one;
- :class:`MissingDataError` (``FileNotFoundError``): a file the run needs is
  not there, with where to get it;
- :class:`OfflineError` (``ConnectionError``): a download was asked for and the
  publisher could not be reached;
- :class:`InfeasibleScenarioError`: the scenario asks for more than the data
  allows, with the constraint group and the numbers;
- :class:`PlanVerificationError`: a solved plan breaks a constraint of its own
  model (:func:`coverage.plan.verify.verify_plan`): a bug, never written out;
- :class:`ScenarioError` (``ValueError``): a scenario file or an override is
  invalid (file, key path, value received, closest valid key);
- :class:`LimitExceededError` (``ValueError``): an input is larger than a
  stated limit (rows of a layer, features or unzipped size of an upload,
  pairs of a reach), found before the work that would exhaust the machine.

Validators collect every problem of a file before raising once; the problems
are kept on the exception as :class:`Problem` records.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

__all__ = [
    "CRSError",
    "CoverageError",
    "InfeasibleScenarioError",
    "LayerValidationError",
    "LimitExceededError",
    "MissingDataError",
    "OfflineError",
    "PlanVerificationError",
    "Problem",
    "ScenarioError",
    "out_of_resources",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place of one input.

    Attributes
    ----------
    source
        File path or layer name.
    message
        What is wrong and how to fix it.
    row
        1-based data row (header excluded) or feature number, when it applies.
    column
        Column or property name, when it applies.
    """

    source: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.source]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class CoverageError(Exception):
    """Base class of every error raised on purpose by this library."""


class LayerValidationError(CoverageError, ValueError):
    """A data layer does not satisfy its schema.

    Parameters
    ----------
    problems
        Every problem found; the message lists them (the first 20 in full).
    """

    max_listed = 20

    def __init__(self, problems: list[Problem] | Problem | str, *, source: str = "input") -> None:
        if isinstance(problems, str):
            problems = [Problem(source, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        lines = [str(p) for p in self.problems[: self.max_listed]]
        hidden = len(self.problems) - len(lines)
        if hidden > 0:
            lines.append(f"... and {hidden} more problems of the same kinds")
        head = "1 problem" if len(self.problems) == 1 else f"{len(self.problems)} problems"
        super().__init__(f"{head}:\n  " + "\n  ".join(lines))


class LimitExceededError(CoverageError, ValueError):
    """An input is larger than a stated limit; raised before the work it would make too large."""


class CRSError(CoverageError, ValueError):
    """A layer has no CRS, a mixed CRS, or one the operation cannot use."""


class MissingDataError(CoverageError, FileNotFoundError):
    """A data file needed by the run is missing; the message says how to get it."""


class OfflineError(CoverageError, ConnectionError):
    """A download was requested but the publisher could not be reached."""


class InfeasibleScenarioError(CoverageError):
    """The scenario cannot be satisfied; the message names the constraint group."""


class ScenarioError(CoverageError, ValueError):
    """A scenario file (or an override) is invalid; the message lists every problem, one a line.

    Parameters
    ----------
    problems
        One line per problem, each naming the file and the key path.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            super().__init__(self.problems[0])
        else:
            super().__init__(f"{len(self.problems)} problems:\n  " + "\n  ".join(self.problems))


class PlanVerificationError(CoverageError):
    """A solved plan breaks constraints of its own model; ``violations`` lists them.

    Raised by :func:`coverage.plan.verify.check_plan`. It is a defect of the
    library or the solver, not of the input: please report it with the scenario.
    """

    def __init__(self, violations: list) -> None:  # list of coverage.plan.verify.Violation
        self.violations = list(violations)
        lines = [f"the plan breaks {len(self.violations)} of its model's constraints:"]
        lines += [str(v) for v in self.violations[:20]]
        if len(self.violations) > 20:
            lines.append(f"... and {len(self.violations) - 20} more broken constraints")
        super().__init__("\n  ".join(lines))


#: Words of the messages that pyarrow, GEOS and the threading module give when
#: the machine (or the process's address-space cap) has no memory or thread left.
_EXHAUSTED = (
    "out of memory",
    "failed to allocate",
    "unable to allocate",
    "cannot allocate memory",
    "malloc",
    "failed to launch worker thread",
    "can't start new thread",
    "resource temporarily unavailable",
)


def out_of_resources(exc: BaseException) -> bool:
    """Whether ``exc`` says the machine ran out of memory or threads, whatever library raised it.

    ``MemoryError`` is the plain case; pyarrow raises ``ArrowException`` ("Failed
    to launch worker thread") and the threading module ``RuntimeError`` ("can't
    start new thread") when a memory cap leaves no room for a thread's stack, and
    the operating system ``OSError`` with ``ENOMEM``/``EAGAIN``. The command line
    and the app turn each into one readable message instead of a traceback.

    Parameters
    ----------
    exc
        Any exception.

    Examples
    --------
    >>> from coverage.errors import out_of_resources
    >>> out_of_resources(MemoryError()), out_of_resources(RuntimeError("can't start new thread"))
    (True, True)
    >>> out_of_resources(ValueError("need must be a number"))
    False
    """
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ENOMEM, errno.EAGAIN):
        return True
    arrow = any(kind.__name__ == "ArrowException" for kind in type(exc).__mro__)
    if arrow or isinstance(exc, (RuntimeError, OSError)):
        text = str(exc).lower()
        return any(words in text for words in _EXHAUSTED)
    return False
