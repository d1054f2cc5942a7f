"""Library messages in the language in use, with every located detail kept.

Errors (and the binding constraints' lines) are made in English where they
arise, from templates marked with :func:`coverage.data.i18n.N_`:
``N_("duplicate id {value} (first seen at row {num_row}); ids must be unique")``.
The command line, the app and the report show them through
:func:`frame_error` / :func:`translate_text`, which recognise each line's
template among the catalogue's (a msgid with ``{named}`` fields), read its
values back and write them into the French template. So the catalogue is the
one place of both languages, and the file, row, column and value received stay
exactly as the error gave them. Fields named ``num...`` are numbers, written
again in the language's format (``2,172`` becomes ``2 172``); fields named
``message`` are texts, translated in turn. A line no template matches stays in
English.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache

from coverage.data.i18n import _CATALOGUES, _LOCALES, N_, format_number, get_language, gettext_

__all__ = ["ERROR_FRAMES", "PYDANTIC_MESSAGES", "frame_error", "translate_text"]

#: The scenario validator's (pydantic's) messages planners meet most, for the catalogue.
PYDANTIC_MESSAGES = (
    N_("Input should be a valid integer"),
    N_("Input should be a valid number"),
    N_("Input should be a valid boolean"),
    N_("Input should be a valid string"),
    N_("Input should be a valid list"),
    N_("Input should be greater than or equal to {num_limit}"),
    N_("Input should be greater than {num_limit}"),
    N_("Input should be less than or equal to {num_limit}"),
    N_("Input should be a finite number"),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be a valid integer, got a number with a fractional part"),
    N_("Input should be less than {num_limit}"),
    N_("Input should be a valid dictionary"),
    N_("Input should be a valid dictionary or instance of {name}"),
    N_("Input should be a valid date"),
    N_("String should have at least {num_limit} character"),
    N_("String should have at least {num_limit} characters"),
    # a closed choice (a Literal): "Input should be 'a', 'b' or 'c'"
    N_("Input should be '{choices}' or '{last}'"),
    N_("Input should be '{choice}'"),
)

#: The frames of the library's error messages made in the errors stage, which cannot mark them itself.
ERROR_FRAMES = (
    N_("the plan breaks {num_count} of its model's constraints:"),
    N_("... and {num_count} more broken constraints"),
)

_COUNT = re.compile(r"^(\d+) problems?:", re.MULTILINE)
_ROW = re.compile(r", row (\d+)")
_COLUMN = re.compile(r", column '([^']*)'")
_MORE = re.compile(r"\.\.\. and (\d+) more problems of the same kinds")
_ENGLISH_NUMBER = re.compile(r"^-?\d{1,3}(?:,\d{3})*(?:\.\d+)?$|^-?\d+(?:\.\d+)?$")
_MIN_LITERAL = 6  # a template with less fixed text than this is too loose to recognise a line by


@dataclass(frozen=True)
class _Template:
    pattern: re.Pattern[str]
    translation: str
    literal: int


def _pattern(msgid: str) -> tuple[re.Pattern[str], int] | None:
    parts, seen, literal = [], set(), 0
    try:
        parsed = list(string.Formatter().parse(msgid))
    except ValueError:
        return None
    for text, field, spec, conversion in parsed:
        parts.append(re.escape(text))
        literal += len(text.strip())
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            return None
        # a value holds no ": " (what precedes one is a place: a file, a key, a group), but a text may;
        # a number is one word (``1,234.5``, ``-3``, ``5.9e+04``), never a phrase that follows it
        if field.startswith("message"):
            value = ".+?"
        elif field.startswith("num"):
            value = r"[^\s()\[\];]+?"
        else:
            value = "(?:(?!: ).)+?"
        parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>{value})")
        seen.add(field)
    if not seen or literal < _MIN_LITERAL:
        return None
    return re.compile("".join(parts), re.DOTALL), literal


@cache
def _templates(lang: str) -> tuple[_Template, ...]:
    po = _CATALOGUES / lang / "LC_MESSAGES" / "coverage.po"
    if lang == "en" or not po.is_file():
        return ()
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=_LOCALES[lang])
    found = []
    for message in catalog:
        if not isinstance(message.id, str) or "{" not in message.id or not message.string:
            continue
        compiled = _pattern(message.id)
        if compiled is not None:
            found.append(_Template(compiled[0], str(message.string), compiled[1]))
    # the most specific first: a longer fixed text wins over a looser template
    return tuple(sorted(found, key=lambda t: -t.literal))


def _value(name: str, text: str, depth: int) -> str:
    if name.startswith("num") and _ENGLISH_NUMBER.match(text):
        digits = len(text.partition(".")[2])
        return format_number(float(text.replace(",", "")), digits)
    if name.startswith("message"):
        return _line(text, depth + 1)
    return text


def _translate(text: str, depth: int) -> str:
    exact = gettext_(text)
    if exact != text or depth > 3:
        return exact
    for template in _templates(get_language()):
        match = template.pattern.fullmatch(text)
        if match:
            values = {k: _value(k, v, depth) for k, v in match.groupdict().items()}
            return template.translation.format(**values)
    return text


def translate_text(text: str) -> str:
    """``text`` (one line made from a marked English template) in the language in use.

    The whole line is tried first, then what follows each ``": "`` (a file, a
    key path or a group name before it stays as is).

    Examples
    --------
    >>> from coverage.data.i18n import language
    >>> line = "sites.csv, row 3, column 'x': not a number (received 'abc')"
    >>> with language("fr"):
    ...     print(translate_text(line))
    sites.csv, row 3, column 'x': pas un nombre (reçu 'abc')
    >>> translate_text(line) == line  # English: unchanged
    True
    """
    if get_language() == "en":
        return text
    return _line(text, 0)


def _line(text: str, depth: int) -> str:
    whole = _translate(text, depth)
    if whole != text or depth > 3:
        return whole
    if text.startswith("- ") and ": " in text:
        return _finding(text, depth)
    start = 0
    while (cut := text.find(": ", start)) >= 0:
        rest = text[cut + 2 :]
        translated = _translate(rest, depth)
        if translated != rest:
            head = ": ".join(_translate(part, depth + 1) for part in text[:cut].split(": "))
            return f"{head}: {translated}"
        start = cut + 2
    return text


def _finding(text: str, depth: int) -> str:
    """A line of the infeasibility diagnosis, ``- group (detail): subject: short row; ...``, part by part."""
    head, _, rest = text[2:].partition(": ")
    group = re.fullmatch(r"(.+?) \((.+)\)", head)
    if group:
        each = re.fullmatch(r"(\S+) each", group.group(2))  # too short a template to be recognised alone
        detail = (
            gettext_("{num_value} each").format(num_value=_value("num", each.group(1), depth))
            if each
            else _line(group.group(2), depth + 1)
        )
        head = f"{gettext_(group.group(1))} ({detail})"
    else:
        head = gettext_(head)
    items = []
    for item in rest.split("; "):
        subject, cut, body = item.rpartition(": ")
        body = _translate(body, depth + 1)
        items.append(f"{_translate(subject, depth + 1)}{cut}{body}" if cut else body)
    return f"- {head}: " + "; ".join(items)


def frame_error(message: str) -> str:
    """``message`` in the language in use: its frame and each problem's text; places, names and values kept.

    Examples
    --------
    >>> from coverage.data.i18n import language
    >>> text = "2 problems:\\n  sites.csv, row 3, column 'longitude': not a number (received 'abc')"
    >>> with language("fr"):
    ...     print(frame_error(text))
    2 problèmes :
      sites.csv, ligne 3, colonne 'longitude': pas un nombre (reçu 'abc')
    >>> frame_error(text) == text  # English: unchanged
    True
    """
    if get_language() == "en":
        return message
    lines = []
    for line in message.split("\n"):
        indent = line[: len(line) - len(line.lstrip())]
        lines.append(indent + translate_text(line.strip()) if line.strip() else line)
    out = "\n".join(lines)

    def count(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return (gettext_("1 problem:") if n == 1 else gettext_("{n} problems:")).format(n=n)

    out = _COUNT.sub(count, out)
    out = _ROW.sub(lambda m: ", " + gettext_("row {n}").format(n=m.group(1)), out)
    out = _COLUMN.sub(lambda m: ", " + gettext_("column '{name}'").format(name=m.group(1)), out)
    return _MORE.sub(
        lambda m: gettext_("... and {n} more problems of the same kinds").format(n=m.group(1)), out
    )
