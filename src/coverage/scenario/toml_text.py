"""A resolved scenario written back as TOML text, and any value as a TOML literal.

:func:`dump_scenario` writes what :func:`coverage.scenario.loading.load_scenario`
reads back to the same :class:`~coverage.scenario.schema.Scenario` (no
``extends``, defaults written out, None left out); :func:`toml_value` writes one
value as ``tomllib`` and :func:`coverage.scenario.loading.parse_override` read it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coverage.scenario.lock import Lock
    from coverage.scenario.schema import Scenario

__all__ = ["BARE_KEY", "dump_scenario", "toml_value"]

#: A TOML key written without quotes.
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def dump_scenario(scenario: Scenario, *, lock: Lock | None = None) -> str:
    """The resolved scenario as TOML text (no ``extends``, defaults written out, None left out).

    With ``lock``, the text ends with its ``[lock]`` table: a lock file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import shipped_scenario
    >>> scenario = load_scenario(shipped_scenario("demo"), overrides=["objective.max_sites=5"])
    >>> text = dump_scenario(scenario)
    >>> print(text.splitlines()[0])
    name = "demo"
    >>> "[objective]" in text, "max_sites = 5" in text
    (True, True)

    Loading the text back gives the same scenario:

    >>> path = pathlib.Path(tempfile.mkdtemp()) / "demo-5.toml"
    >>> _ = path.write_text(text, encoding="utf-8")
    >>> load_scenario(path) == scenario
    True
    """
    text = _table_text(scenario.model_dump(mode="python", exclude_none=True), ())
    if lock is not None:
        text += "\n" + _table_text(lock.to_table(), ("lock",))
    return text


def _key(name: str) -> str:
    return name if BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def toml_value(value: object) -> str:
    """``value`` as a TOML literal, as ``parse_override`` and ``tomllib`` read it back.

    Examples
    --------
    >>> toml_value({"max_sites": [4, 8], "name": "été"})
    '{max_sites = [4, 8], name = "été"}'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else f"{value:+}")
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, dt.date | dt.time):  # datetimes too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML: {value!r}")


def _is_table_array(value: object) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(v, dict) for v in value)


def _table_text(table: Mapping[str, Any], prefix: tuple[str, ...], *, header: str = "[{}]") -> str:
    lines = [
        f"{_key(str(k))} = {toml_value(v)}"
        for k, v in table.items()
        if not isinstance(v, dict) and not _is_table_array(v)
    ]
    text = ""
    if prefix:
        text += header.format(".".join(_key(part) for part in prefix)) + "\n"
    text += "".join(line + "\n" for line in lines)
    for key, value in table.items():
        if isinstance(value, dict):
            text += "\n" + _table_text(value, (*prefix, str(key)))
    for key, value in table.items():
        if _is_table_array(value):
            for item in value:
                text += "\n" + _table_text(item, (*prefix, str(key)), header="[[{}]]")
    return text
