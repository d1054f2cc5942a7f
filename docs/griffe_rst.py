"""A griffe extension for the documentation site: the docstrings' reST roles, read as Markdown.

The library's numpydoc docstrings use Sphinx roles (``:func:`~coverage.x.y```)
and math (``:math:`w_i```, ``.. math::``), which read well in ``help()``.
mkdocstrings renders Markdown, so before rendering this extension rewrites, in
every docstring, a role as inline code (the last name after ``~``, the whole
path otherwise), ``:math:`` as ``$...$`` and a ``.. math::`` block as
``$$...$$`` (MathJax, through pymdownx.arithmatex). The sources stay as they are.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|meth|class|mod|attr|data|exc|obj|py:\w+):`(~?)([^`]+)`")
MATH = re.compile(r":math:`([^`]+)`")
DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<first>.*)$")


def _role(match: re.Match[str]) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


def _continues(line: str, indent: str) -> bool:
    """Whether ``line`` still belongs to a directive indented by ``indent`` (blank or deeper)."""
    return not line.strip() or len(line) - len(line.lstrip()) > len(indent)


def _math_blocks(text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = DIRECTIVE.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent = match["indent"]
        body = [match["first"].strip()] if match["first"].strip() else []
        i += 1
        while i < len(lines) and (
            not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > len(indent)
        ):
            if lines[i].strip():
                body.append(lines[i].strip())
            i += 1
        out += [f"{indent}$$", *[f"{indent}{line}" for line in body], f"{indent}$$", ""]
    return "\n".join(out)


SECTION = re.compile(r"^\S.*\n-{3,}$", re.M)


def _definition_lists(text: str) -> str:
    """reST definition lists (a term, then its indented body) as a bold term and its body.

    Only before the first numpydoc section (``Parameters`` over a dashed line),
    whose ``name`` / indented description lines are griffe's to parse.
    """
    first = SECTION.search(text)
    head, tail = (text[: first.start()], text[first.start() :]) if first else (text, "")
    lines = head.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        is_term = (
            line.strip()
            and not line.startswith((" ", "\t", "-", "*"))
            and not line.rstrip().endswith("::")
            and (i == 0 or not lines[i - 1].strip())
            and i + 1 < len(lines)
            and lines[i + 1].startswith((" ", "\t"))
            and lines[i + 1].strip()
        )
        if not is_term:
            out.append(line)
            i += 1
            continue
        out += [f"**{line.strip()}**", ""]
        i += 1
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
            body.append(lines[i])
            i += 1
        out += [*textwrap.dedent("\n".join(body)).splitlines(), ""]
    return "\n".join(out) + ("\n" if tail and not head.endswith("\n") else "") + tail


def markdown_of(text: str) -> str:
    """The docstring ``text`` with its reST roles and math rewritten for Markdown."""
    text = _definition_lists(text)
    text = _math_blocks(text)
    text = MATH.sub(lambda m: f"${m.group(1)}$", text)
    return ROLE.sub(_role, text)


class RstRoles(griffe.Extension):
    """Rewrite every docstring with :func:`markdown_of` once the object tree is built."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_of(obj.docstring.value)
