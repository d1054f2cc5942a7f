"""What every subcommand of ``coverage-plan`` shares: exit codes and plain-text tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_OK",
    "EXIT_PLANNING_FAILED",
    "count",
    "percent",
    "relative",
    "size",
    "table",
]

#: Exit codes: 0 success, 1 planning failure (infeasible, or a failed batch case), 2 bad input.
EXIT_OK = 0
EXIT_PLANNING_FAILED = 1
EXIT_BAD_INPUT = 2


def table(
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


def relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def english() -> bool:
    """The command line speaks English (``--lang en``, the default): its figures keep their plain format."""
    from coverage.data.i18n import get_language

    return get_language() == "en"


def count(value: int | None) -> str:
    """A whole number with thousands separators (``79,689``; ``79 689`` under ``--lang fr``)."""
    from coverage.data.i18n import format_number

    return "" if value is None else f"{value:,}" if english() else format_number(value)


def percent(share: float) -> str:
    """A share (0..1) as a percentage (``85.2 %``; ``85,2 %`` under ``--lang fr``)."""
    from coverage.data.i18n import format_percent

    return f"{100 * share:.1f} %" if english() else format_percent(share)


def points(delta: float) -> str:
    """A difference of two shares, in percentage points (0.124 -> ``12.4 pp``; ``12,4 pts`` in French)."""
    from coverage.data.i18n import format_number, gettext_

    if english():
        return f"{100 * delta:.1f} pp"
    return gettext_("{value} pp").format(value=format_number(100 * delta, 1))


def size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:.1f} {unit}"
