"""The frame of the library's error messages in the language in use, with every located detail kept.

Errors are raised in English (:mod:`coverage.errors`); the command line and
the app show them through :func:`frame_error`, which translates the frame
(the problem count, ``row``, ``column``, the "more problems" line) and keeps
the file, the row and column numbers and names, and what was received.
"""

from __future__ import annotations

import re

from coverage.data.i18n import get_language, gettext_

__all__ = ["frame_error"]

_COUNT = re.compile(r"^(\d+) problems?:", re.MULTILINE)
_ROW = re.compile(r", row (\d+)")
_COLUMN = re.compile(r", column '([^']*)'")
_MORE = re.compile(r"\.\.\. and (\d+) more problems of the same kinds")


def frame_error(message: str) -> str:
    """``message`` with its frame translated; places, names and values unchanged.

    Examples
    --------
    >>> from coverage.data.i18n import language
    >>> text = "2 problems:\\n  sites.csv, row 3, column 'latitude': 91.0 is not a latitude"
    >>> with language("fr"):
    ...     print(frame_error(text))
    2 problèmes :
      sites.csv, ligne 3, colonne 'latitude': 91.0 is not a latitude
    >>> frame_error(text) == text  # English: unchanged
    True
    """
    if get_language() == "en":
        return message

    def count(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return (gettext_("1 problem:") if n == 1 else gettext_("{n} problems:")).format(n=n)

    out = _COUNT.sub(count, message)
    out = _ROW.sub(lambda m: ", " + gettext_("row {n}").format(n=m.group(1)), out)
    out = _COLUMN.sub(lambda m: ", " + gettext_("column '{name}'").format(name=m.group(1)), out)
    return _MORE.sub(
        lambda m: gettext_("... and {n} more problems of the same kinds").format(n=m.group(1)), out
    )
