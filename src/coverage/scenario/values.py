"""The value checks of scenario files: department codes, quotas, shares, dates, file paths.

Used by the tables of :mod:`coverage.scenario.tables`; each raises a ``ValueError``
made from a marked template (:func:`coverage.data.i18n.N_`), so that the error reads
in French too. :func:`closest` is the hint of an unknown name (``did you mean``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator

from coverage.data.i18n import N_

__all__ = ["Date", "PerDepartment", "Share", "closest", "department_code", "is_path_like"]

_DEPARTMENT = re.compile(r"^(0[1-9]|1[0-9]|2[1-9]|2A|2B|[3-8][0-9]|9[0-5]|97[1-8])$")


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """Hint for an unknown name: ``"did you mean `x`?"`` or the list of valid names.

    Examples
    --------
    >>> closest("laposet", ["laposte", "mairie"]), closest("asso", ["laposte"])
    ('did you mean `laposte`?', 'valid: `laposte`')
    >>> closest("asso", [])
    'there is no valid name here'
    """
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if match:
        return N_("did you mean `{name}`?").format(name=match[0])
    if not choices:
        return N_("there is no valid name here")
    return N_("valid: {names}").format(names=", ".join(f"`{c}`" for c in choices))


def is_path_like(source: str) -> bool:
    """Whether a site ``source`` is a file path (has a folder or a suffix) rather than a name.

    Examples
    --------
    >>> is_path_like("sites.csv"), is_path_like("data/lieux"), is_path_like("laposte_points")
    (True, True, False)
    """
    return "/" in source or "\\" in source or Path(source).suffix != ""


def department_code(value: object) -> str:
    """A department code as the scenario writes it (``23``, ``"2a"``), checked and normalised.

    Examples
    --------
    >>> department_code(1), department_code(" 2a"), department_code("974")
    ('01', '2A', '974')
    """
    code = f"{value:02d}" if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(code, str) or not _DEPARTMENT.match(code.strip().upper()):
        raise ValueError(
            N_("invalid department code {value}: expected '01'..'95', '2A', '2B' or '971'..'978'").format(
                value=repr(value)
            )
        )
    return code.strip().upper()


def _per_department(value: object) -> object:
    """Check a quota: a number >= 0, or a table of department code -> number."""
    if value is None:
        return None
    numbers = value.items() if isinstance(value, dict) else [("", value)]
    out: dict[str, int | float] = {}
    for code, number in numbers:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(
                N_("expected a number or a table of department -> number, got {value}").format(
                    value=repr(number)
                )
            )
        if not number >= 0:
            raise ValueError(N_("must be >= 0, got {num_value}").format(num_value=repr(number)))
        if code:
            out[department_code(code)] = number
    return out if isinstance(value, dict) else value


def _share(value: object) -> object:
    value = _per_department(value)
    numbers = value.values() if isinstance(value, dict) else [] if value is None else [value]
    for number in numbers:
        if isinstance(number, int | float) and number > 1:
            raise ValueError(
                N_("min_share is a share in [0, 1], got {num_value}").format(num_value=repr(number))
            )
    return value


def _date(value: object) -> object:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(
                N_("not a date: {value}; write it as YYYY-MM-DD").format(value=repr(value))
            ) from None
    return value


PerDepartment = Annotated[int | float | dict[str, int | float] | None, BeforeValidator(_per_department)]
Share = Annotated[int | float | dict[str, int | float] | None, BeforeValidator(_share)]
Date = Annotated[dt.date, BeforeValidator(_date)]
