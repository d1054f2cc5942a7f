"""French first, English available: the words and number formats every user-facing text goes through.

In the data stage, right after the errors, so that the plan's exports, the
command line and the app all use it (the package keeps its twelve top-level entries).

Text is written in English in the code and translated through a gettext
catalogue (``locales/fr/LC_MESSAGES/coverage.po``, compiled to ``.mo`` in
memory when first used, with Babel); numbers and dates are formatted by
Babel in the language's conventions (``79 689``, ``85,2 %``, ``7,2 km``,
``31/12/2023`` in French). Display names of partners, models, access rules
and table columns live in :mod:`coverage.data.i18n.names`, one place for all.

The language is per thread of execution (a :class:`contextvars.ContextVar`):
the app sets it for each session's run, the command line from ``--lang``;
the library's default is English.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gettext
import io
import math
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "N_",
    "catalogue",
    "format_date",
    "format_km",
    "format_number",
    "format_percent",
    "get_language",
    "gettext_",
    "language",
    "set_language",
]

#: Languages with a catalogue; English is the source language.
LANGUAGES = ("fr", "en")
_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
_CATALOGUES = Path(__file__).resolve().parent / "locales"
_current: ContextVar[str] = ContextVar("coverage_language", default="en")


def set_language(lang: str) -> None:
    """Use ``lang`` (``"fr"`` or ``"en"``) for the texts and formats that follow, in this context.

    Raises
    ------
    ValueError
        ``lang`` is not one of :data:`LANGUAGES`.

    Examples
    --------
    >>> set_language("fr"); get_language()
    'fr'
    >>> set_language("de")
    Traceback (most recent call last):
    ...
    ValueError: unknown language 'de'; choose one of fr, en
    >>> set_language("en")
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    _current.set(lang)


def get_language() -> str:
    """The language in use (``"en"`` unless :func:`set_language` said otherwise).

    Examples
    --------
    >>> get_language()
    'en'
    """
    return _current.get()


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Use ``lang`` inside a ``with`` block.

    Examples
    --------
    >>> with language("fr"):
    ...     gettext_("Open sites")
    'Lieux ouverts'
    >>> gettext_("Open sites")
    'Open sites'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The translations of ``lang``: its ``.po`` catalogue compiled to ``.mo`` with Babel, once.

    Examples
    --------
    >>> catalogue("fr").gettext("Map")
    'Carte'
    >>> catalogue("en").gettext("Map")
    'Map'
    """
    po = _CATALOGUES / lang / "LC_MESSAGES" / "coverage.po"
    if lang == "en" or not po.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        compiled = read_po(handle, locale=_LOCALES[lang])
    buffer = io.BytesIO()
    write_mo(buffer, compiled)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_(message: str) -> str:
    """``message`` (English) in the language in use; unchanged when the catalogue lacks it.

    Examples
    --------
    >>> with language("fr"):
    ...     gettext_("Numbers"), gettext_("not in the catalogue")
    ('Chiffres', 'not in the catalogue')
    """
    return catalogue(get_language()).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` (an English template) for the catalogue and return it unchanged.

    For texts made in English where they arise (error messages, the binding
    constraints' lines) and translated where they are shown, by
    :func:`coverage.data.i18n.errors.translate_text`, which recognises the
    formatted template and puts its values into the French one.

    Examples
    --------
    >>> N_("{n} sites open").format(n=3)
    '3 sites open'
    """
    return message


def _locale() -> str:
    return _LOCALES[get_language()]


def format_number(value: float | None, digits: int = 0) -> str:
    """A number with the language's grouping and decimal signs (``n/a`` when missing).

    Examples
    --------
    >>> with language("fr"):
    ...     format_number(79689), format_number(6447.3211, 1)
    ('79\u202f689', '6\u202f447,3')
    >>> format_number(79689), format_number(float("nan"))
    ('79,689', 'n/a')
    """
    from babel.numbers import format_decimal

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return gettext_("n/a")
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale())


def format_percent(share: float | None, digits: int = 1) -> str:
    """A share (0..1) as a percentage: ``85,2 %`` in French, ``85.2%`` in English.

    Examples
    --------
    >>> with language("fr"):
    ...     format_percent(0.8523)
    '85,2\xa0%'
    >>> format_percent(0.6533)
    '65.3%'
    """
    from babel.numbers import format_percent as babel_percent

    if share is None or (isinstance(share, float) and math.isnan(share)):
        return gettext_("n/a")
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    if get_language() == "fr":
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "\xa0%"
    return babel_percent(share, format=pattern, locale=_locale())


def format_km(metres: float | None, digits: int = 1) -> str:
    """A distance in metres, written in kilometres: ``7,2 km`` in French.

    Examples
    --------
    >>> with language("fr"):
    ...     format_km(7234.0)
    '7,2\xa0km'
    >>> format_km(6447.3211)
    '6.4\xa0km'
    """
    if metres is None or (isinstance(metres, float) and math.isnan(metres)):
        return gettext_("n/a")
    return f"{format_number(metres / 1000, digits)}\xa0km"


def format_date(value: dt.date | str) -> str:
    """A date in the language's short form: ``31/12/2023`` in French and in British English.

    Examples
    --------
    >>> import datetime as dt
    >>> with language("fr"):
    ...     format_date(dt.date(2023, 12, 31)), format_date("2024-06-30")
    ('31/12/2023', '30/06/2024')
    """
    from babel.dates import format_date as babel_date

    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return babel_date(day, format="dd/MM/yyyy", locale=_locale())
