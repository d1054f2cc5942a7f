"""The map app's settings: scenario <-> overrides <-> URL query parameters.

A view of the app is a base scenario (a shipped name such as ``"demo"``) and
the keys the planner changed, written as the command line's overrides
(``objective.max_sites=20``). :func:`overrides_between` finds those keys by
comparing two scenarios; :func:`to_query_params` and
:func:`from_query_params` put them in, and read them back from, a URL, so a
view can be shared; :func:`load_view` rebuilds the scenario with
:func:`coverage.scenario.loading.load_scenario`, which validates every value and
names every bad key. The scenario TOML the app downloads is
:func:`coverage.scenario.loading.dump_scenario` of that same scenario, so the command
line runs it to the same plan.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from coverage.scenario.loading import load_scenario, parse_override
from coverage.scenario.schema import Scenario

__all__ = [
    "LANG_PARAM",
    "SCENARIO_PARAM",
    "SHIPPED",
    "UPLOAD_PREFIX",
    "flatten",
    "link_overrides",
    "linked_uploads",
    "from_query_params",
    "load_view",
    "sandbox_folders",
    "overrides_between",
    "to_query_params",
]

#: Query parameter naming the base scenario; every other parameter but :data:`LANG_PARAM` is an override.
SCENARIO_PARAM = "scenario"
#: Query parameter of the app's language (``fr``, the default, or ``en``).
LANG_PARAM = "lang"
#: How a link names an uploaded file: ``upload:<file name in the server's upload store>``
#: (the name holds the content's SHA-256), never the server's path.
UPLOAD_PREFIX = "upload:"
#: Scenarios shipped with the library, in the order the app lists them.
SHIPPED = ("demo", "laposte-2021", "national-4000")


def flatten(scenario: Scenario) -> dict[str, Any]:
    """Dotted key -> value of every leaf of ``scenario`` (lists are leaves; None left out).

    Examples
    --------
    >>> from coverage.scenario.run import shipped_scenario
    >>> leaves = flatten(load_scenario(shipped_scenario("demo")))
    >>> leaves["territory.departments"], leaves["objective.max_sites"], leaves["access.rural"]
    (['23', '87'], 12, 15000.0)
    >>> leaves["sites.mairie.source"]
    'town_halls'
    """
    out: dict[str, Any] = {}

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict) and prefix not in _MAPPINGS:
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif value is not None:
            out[prefix] = value

    walk("", scenario.model_dump(mode="json", exclude_none=True))
    return out


#: Settings whose value is a mapping keyed by site id: one leaf each (a site id is no TOML bare key).
_MAPPINGS = frozenset({"objective.site_costs"})


def _literal(value: object) -> str:
    """A TOML literal for an override value (JSON strings, numbers, booleans and arrays are TOML).

    A mapping is an inline table: ``{"mairie:23096" = 8000.0}``.
    """
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k), ensure_ascii=False)} = {_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return json.dumps(value, ensure_ascii=False)


def overrides_between(base: Scenario, scenario: Scenario) -> dict[str, str]:
    """Overrides ``{dotted key: TOML literal}`` that turn ``base`` into ``scenario``.

    Keys present in ``base`` and absent from ``scenario`` cannot be written
    as overrides and are left out; ``name`` and ``description`` are never
    overrides.

    Examples
    --------
    >>> from coverage.scenario.run import shipped_scenario
    >>> demo = shipped_scenario("demo")
    >>> base = load_scenario(demo)
    >>> changed = load_scenario(demo, overrides=["objective.max_sites=5", "access.rural=20000"])
    >>> overrides_between(base, changed)
    {'access.rural': '20000.0', 'objective.max_sites': '5'}
    >>> overrides_between(base, base)
    {}
    """
    before, after = flatten(base), flatten(scenario)
    return {
        key: _literal(value)
        for key, value in after.items()
        if key not in ("name", "description") and before.get(key) != value
    }


def to_query_params(base: str, overrides: Mapping[str, str]) -> dict[str, str]:
    """Query parameters of a view: ``scenario=<base>`` and one parameter per override.

    Examples
    --------
    >>> to_query_params("demo", {"objective.max_sites": "5", "access.rural": "20000.0"})
    {'scenario': 'demo', 'access.rural': '20000.0', 'objective.max_sites': '5'}
    """
    return {SCENARIO_PARAM: base, **dict(sorted(overrides.items()))}


def from_query_params(params: Mapping[str, str | list[str]]) -> tuple[str, dict[str, str]]:
    """``(base scenario name, overrides)`` from query parameters (``"demo"`` when absent).

    Raises
    ------
    ScenarioError
        A parameter is not a valid override key (the message says how to write one).

    Examples
    --------
    >>> from_query_params({"scenario": "demo", "objective.max_sites": "5"})
    ('demo', {'objective.max_sites': '5'})
    >>> from_query_params({})  # a bare URL shows the demo
    ('demo', {})
    >>> from_query_params({"scenario": "demo", "lang": "en"})  # the language is not a setting
    ('demo', {})
    >>> from_query_params({"max sites": "5"})
    Traceback (most recent call last):
    ...
    coverage.errors.ScenarioError: bad override 'max sites=5': expected KEY.PATH=VALUE, ...
    """
    values = {key: value[-1] if isinstance(value, list) else value for key, value in params.items()}
    base = values.pop(SCENARIO_PARAM, "demo") or "demo"
    values.pop(LANG_PARAM, None)
    for key, value in values.items():
        parse_override(f"{key}={value}")
    return base, values


def load_view(
    path: str | Path, overrides: Mapping[str, str], *, allowed_folders: Sequence[str | Path] | None = None
) -> Scenario:
    """The scenario of file ``path`` with ``overrides`` applied and validated.

    ``allowed_folders`` sandboxes the files the scenario names (see
    :func:`coverage.scenario.loading.load_scenario`); the app passes
    :func:`sandbox_folders`, so neither an uploaded scenario nor a link reads
    a file of the server outside the session's uploads and the data folder.

    Raises
    ------
    ScenarioError
        Every bad key or value, named.

    Examples
    --------
    The view of a shared URL ``?scenario=demo&objective.max_sites=5``:

    >>> from coverage.scenario.run import shipped_scenario
    >>> base, overrides = from_query_params({"scenario": "demo", "objective.max_sites": "5"})
    >>> scenario = load_view(shipped_scenario(base), overrides)
    >>> scenario.name, scenario.objective.max_sites
    ('demo', 5)
    >>> load_view(shipped_scenario(base), {"objective.max_sites": "0"})
    Traceback (most recent call last):
    ...
    coverage.errors.ScenarioError: --set objective.max_sites=0: ...greater than or equal to 1 (received 0)
    """
    texts = [f"{key}={value}" for key, value in overrides.items()]
    return load_scenario(path, overrides=texts, allowed_folders=allowed_folders)


def sandbox_folders(upload_folder: str | Path) -> list[Path]:
    """The folders an app session may read: its upload folder and the configured data folder.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> folder.resolve() in sandbox_folders(folder)
    True
    """
    from coverage.data.settings import get_settings
    from coverage.errors import MissingDataError

    folders = [Path(upload_folder).resolve()]
    try:
        data_dir = get_settings().data_dir
    except MissingDataError:
        data_dir = None
    if data_dir is not None:
        folders.append(Path(data_dir).resolve())
    return folders


def link_overrides(overrides: Mapping[str, str], store: str | Path) -> dict[str, str]:
    """``overrides`` as a link writes them: a path inside ``store`` becomes ``upload:<file name>``.

    Examples
    --------
    >>> link_overrides({"sites.upload.source": '"/tmp/store/sites-9f2c.geojson"', "objective.max_sites": "5"},
    ...                "/tmp/store")
    {'sites.upload.source': '"upload:sites-9f2c.geojson"', 'objective.max_sites': '5'}
    """
    root = Path(store).resolve()
    out = {}
    for key, value in overrides.items():
        try:
            text = json.loads(value)
        except ValueError:
            text = None
        if isinstance(text, str) and Path(text).is_absolute() and Path(text).resolve().parent == root:
            value = json.dumps(UPLOAD_PREFIX + Path(text).name)
        out[key] = value
    return out


def linked_uploads(overrides: Mapping[str, str], store: str | Path) -> tuple[dict[str, str], list[str]]:
    """Overrides of a link with ``upload:<name>`` turned back into paths of ``store``, and the names absent.

    A name that is not a plain file name of the store is absent too (a link
    cannot point elsewhere on the server).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> store = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (store / "sites-9f2c.geojson").write_text("{}")
    >>> found, absent = linked_uploads({"sites.upload.source": '"upload:sites-9f2c.geojson"',
    ...                                 "demand.source": '"upload:demand-0000.geojson"'}, store)
    >>> found["sites.upload.source"] == json.dumps(str(store.resolve() / "sites-9f2c.geojson")), absent
    (True, ['demand-0000.geojson'])
    """
    root = Path(store).resolve()
    out, absent = {}, []
    for key, value in overrides.items():
        try:
            text = json.loads(value)
        except ValueError:
            text = None
        if isinstance(text, str) and text.startswith(UPLOAD_PREFIX):
            name = text[len(UPLOAD_PREFIX) :]
            path = root / name
            if Path(name).name != name or not path.is_file():
                absent.append(name)
                continue
            value = json.dumps(str(path))
        out[key] = value
    return out, absent
