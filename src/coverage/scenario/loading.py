"""Scenario files: read, inherit (``extends``), override (``--set``), validate, write back.

A scenario is a TOML file whose tables are described in
:mod:`coverage.scenario.schema`. :func:`load_scenario` reads it, follows its
``extends`` chain (each path relative to the file that names it; tables are
merged deeply, the child wins), applies ``KEY.PATH=VALUE`` overrides, resolves
relative file paths against the folder of the file that wrote them (overrides:
the current folder) and validates the result, listing every problem of the
file at once::

    demo.toml: unknown key `partners.laposte.advisor`; did you mean `advisors`?

:func:`dump_scenario` writes the resolved scenario back as TOML, such that
``load_scenario`` of that text gives the same :class:`Scenario`; with a
:class:`~coverage.scenario.lock.Lock` it writes a lock file (``scenario.lock.toml``),
whose ``[lock]`` table :func:`load_scenario` validates, strips and checks
(every recorded file must still have its SHA-256).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from coverage.data.i18n import N_
from coverage.errors import MissingDataError, ScenarioError
from coverage.scenario.lock import Lock, read_lock, read_toml
from coverage.scenario.schema import TABLES, Scenario
from coverage.scenario.tables import closest, is_path_like
from coverage.scenario.toml_text import BARE_KEY, dump_scenario, toml_value

__all__ = ["Scenario", "ScenarioError", "dump_scenario", "load_scenario", "parse_override", "toml_value"]

Provenance = dict[tuple[str, ...], str]


def load_scenario(
    path: str | Path,
    *,
    overrides: Iterable[str] = (),
    check_lock: bool = True,
    allowed_folders: Iterable[str | Path] | None = None,
) -> Scenario:
    """Read, merge, override and validate a scenario file.

    Parameters
    ----------
    path
        The TOML file.
    overrides
        ``"KEY.PATH=VALUE"`` strings, applied in order after inheritance; the
        value is read as a TOML literal (``120``, ``true``, ``[1, 2]``,
        ``2022-01-01``), or as text when it is not one.
    check_lock
        For a lock file (one with a ``[lock]`` table): check that every file
        it records still has its SHA-256. False skips the check (see
        :meth:`coverage.scenario.lock.Lock.mismatches` to report the differences).
    allowed_folders
        A sandbox, for scenarios from someone else (the app's uploads and links):
        every file the scenario names (``extends``, site and demand sources,
        ``access.table``) must lie inside one of these folders, and a relative
        name left for the data folder may not climb out of it (no ``..``).
        None (the default, the CLI) allows any path.

    Returns
    -------
    Scenario
        Every table present, defaults filled, paths absolute.

    Raises
    ------
    MissingDataError
        The file, or a file it extends, does not exist.
    ScenarioError
        Invalid TOML (with the line), an ``extends`` cycle, a bad override or
        any schema problem (all of them, one a line); an invalid ``[lock]``
        table, or locked files missing or changed (each named with the
        expected and the actual hash).

    Examples
    --------
    A scenario for Creuse alone, extending the shipped demo, with one override:

    >>> import pathlib, tempfile
    >>> from coverage.scenario.run import shipped_scenario
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = folder / "creuse.toml"
    >>> demo = shipped_scenario("demo").as_posix()
    >>> _ = path.write_text(
    ...     f'extends = "{demo}"\\n'
    ...     'name = "creuse"\\n'
    ...     'description = "Creuse alone, 4 sites"\\n'
    ...     '[territory]\\n'
    ...     'departments = ["23"]\\n'
    ...     '[objective]\\n'
    ...     'max_sites = 4\\n',
    ...     encoding="utf-8",
    ... )
    >>> scenario = load_scenario(path, overrides=["access.rural=20000"])
    >>> scenario.name, scenario.territory.departments, scenario.objective.max_sites
    ('creuse', ['23'], 4)
    >>> scenario.access.rural, scenario.demand.illectronisme_rate  # overridden, inherited
    (20000.0, 0.17)

    A misspelt key is named, with the key meant:

    >>> load_scenario(path, overrides=["objective.max_site=6"])
    Traceback (most recent call last):
    ...
    coverage.errors.ScenarioError: --set objective.max_site=6: unknown key ...; did you mean `max_sites`?

    In a sandbox, a file outside the allowed folders is refused, and never read:

    >>> sandbox = [folder, pathlib.Path(demo).parent]
    >>> load_scenario(path, overrides=['demand.source="/etc/passwd"'], allowed_folders=sandbox)
    Traceback (most recent call last):
    ...
    coverage.errors.ScenarioError: --set demand.source="/etc/passwd": `demand.source`: /etc/passwd is ...
    """
    path = Path(path)
    allowed = None if allowed_folders is None else tuple(Path(f).resolve() for f in allowed_folders)
    data, provenance = _read_chain(path, (), allowed)
    lock = read_lock(path)
    if lock is not None and check_lock:
        _check_lock(lock, path)
    for text in overrides:
        keys, value = parse_override(text)
        if keys[0] == "extends":
            raise ScenarioError(
                f"--set {text}: "
                + N_(
                    "`extends` cannot be set from the command line; write it at the top of the scenario file"
                )
            )
        _set(data, keys, value, text)
        provenance.update(dict.fromkeys(_key_paths(keys, value), f"--set {text}"))
    _resolve_paths(data, Path.cwd())
    if allowed is not None:
        outside = _outside(data, allowed)
        if outside:
            raise ScenarioError([f"{_source(loc, provenance, str(path))}: {line}" for loc, line in outside])
    data.setdefault("name", path.stem)
    problems: list[tuple[tuple[str, ...], str]] = []
    try:
        scenario = Scenario.model_validate(data, context={"problems": problems})
    except ValidationError as exc:
        raise ScenarioError([_describe(dict(e), provenance, str(path)) for e in exc.errors()]) from None
    if problems:
        raise ScenarioError(
            [f"{_source(loc, provenance, str(path))}: `{'.'.join(loc)}`: {msg}" for loc, msg in problems]
        )
    if lock is not None and check_lock:
        unlocked = _unlocked_files(lock, scenario)
        if unlocked:
            hint = (
                "the lock was edited (its file records removed?), so the rerun could not check the data; "
                "use the lock file the run wrote, or pass check_lock=False "
                "(coverage-plan run --ignore-lock-hashes) to run on the current files"
            )
            raise ScenarioError([f"{path}: {line}" for line in unlocked] + [f"{path}: {hint}"])
    return scenario


def _unlocked_files(lock: Lock, scenario: Scenario) -> list[str]:
    """Files the scenario reads that its lock does not record with a hash."""
    from coverage.scenario.datafiles import layer_keys

    recorded_keys = {f.key for f in lock.files}
    recorded_names = {Path(f.path).name for f in lock.files}
    out = []
    named = [(f"file:{name}", layer.source) for name, layer in scenario.sites.items()]
    named.append(("file:demand", scenario.demand.source or ""))
    for key, source in named:
        if (
            source
            and is_path_like(source)
            and key not in recorded_keys
            and Path(source).name not in recorded_names
        ):
            out.append(f"`{key.removeprefix('file:')}` reads {source}, which the lock does not record")
    official = [layer.source for layer in scenario.sites.values() if not is_path_like(layer.source)]
    official = [key for key in official if key != "town_halls"] + layer_keys(scenario)
    for key in official:
        if key not in recorded_keys:
            out.append(f"the official file {key!r} is read but the lock records no file for it")
    return out


def parse_override(text: str) -> tuple[tuple[str, ...], Any]:
    """Split ``"partners.laposte.advisors=120"`` into ``(('partners', 'laposte', 'advisors'), 120)``.

    Examples
    --------
    >>> parse_override("partners.laposte.advisors=120")
    (('partners', 'laposte', 'advisors'), 120)
    >>> parse_override("horizon.until=2026-12-31")  # a TOML date
    (('horizon', 'until'), datetime.date(2026, 12, 31))
    >>> parse_override("demand.qpv_units=none")  # not a TOML literal: read as text
    (('demand', 'qpv_units'), 'none')
    """
    key, equals, raw = text.partition("=")
    keys = tuple(part.strip() for part in key.split("."))
    if not equals or not all(BARE_KEY.match(part) for part in keys):
        raise ScenarioError(
            N_(
                "bad override {text}: expected KEY.PATH=VALUE, for example partners.laposte.advisors=120"
            ).format(text=repr(text))
        )
    try:
        value = tomllib.loads(f"value = {raw.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return keys, value


def _check_lock(lock: Lock, path: Path) -> None:
    mismatches = lock.mismatches()
    if mismatches:
        hint = (
            "the data changed since the locked run; restore it, or pass check_lock=False "
            "(coverage-plan run --ignore-lock-hashes) to run on the current files"
        )
        raise ScenarioError([f"{path}: {line}" for line in mismatches] + [f"{path}: {hint}"])


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise MissingDataError(
            N_("scenario file {path} does not exist; check the path and the current folder").format(path=path)
        )
    return read_toml(path)


def _read_chain(
    path: Path, chain: tuple[Path, ...], allowed: tuple[Path, ...] | None
) -> tuple[dict[str, Any], Provenance]:
    resolved = path.resolve()
    if resolved in chain:
        names = " -> ".join(p.name for p in (*chain[chain.index(resolved) :], resolved))
        raise ScenarioError(f"{path}: " + N_("`extends` cycle: {names}").format(names=names))
    data = _read_file(path)
    data.pop("lock", None)  # a lock file's record, checked by load_scenario
    _resolve_paths(data, path.parent)
    parent = data.pop("extends", None)
    provenance: Provenance = dict.fromkeys(_key_paths((), data), str(path))
    if parent is None:
        return data, provenance
    if not isinstance(parent, str):
        raise ScenarioError(
            f"{path}: `extends`: " + N_("expected a file name, received {value}").format(value=repr(parent))
        )
    parent_path = path.parent / parent
    shipped = _shipped(parent) if not parent_path.is_file() else None
    if shipped is not None:  # a shipped scenario by its name: `extends = "demo"`
        parent_path = shipped
    elif allowed is not None and not _inside(parent_path, allowed):
        raise ScenarioError(f"{path}: `extends`: " + _OUTSIDE.format(path=parent_path))
    if not parent_path.is_file():
        raise MissingDataError(
            f"{path}: "
            + N_(
                "`extends` names {parent}, which does not exist; give a path relative to "
                "{name} or the name of a shipped scenario ({names})"
            ).format(parent=parent_path, name=path.name, names=", ".join(_shipped_names()))
        )
    base, base_provenance = _read_chain(parent_path, (*chain, resolved), allowed)
    return _merge(base, data), {**base_provenance, **provenance}


def _shipped(name: str) -> Path | None:
    """The shipped scenario called ``name`` (``demo`` or ``demo.toml``), when it is one."""
    if "/" in name or "\\" in name:
        return None
    from coverage.data.embedded import geodata_dir

    path = geodata_dir() / "scenarios" / (name if name.endswith(".toml") else f"{name}.toml")
    return path if path.is_file() else None


def _shipped_names() -> list[str]:
    from coverage.data.embedded import geodata_dir

    return sorted(p.stem for p in (geodata_dir() / "scenarios").glob("*.toml"))


_OUTSIDE = N_(
    "{path} is outside the folders this scenario may read (the uploaded files and the data folder); "
    "upload the file instead"
)


def _inside(path: Path, allowed: tuple[Path, ...]) -> bool:
    resolved = path.resolve()
    return any(resolved == folder or folder in resolved.parents for folder in allowed)


def _outside(data: Mapping[str, Any], allowed: tuple[Path, ...]) -> list[tuple[tuple[str, ...], str]]:
    """Every file named by ``data`` that lies outside ``allowed`` (the sandbox of ``load_scenario``)."""
    named: list[tuple[tuple[str, ...], object]] = []
    sites = data.get("sites")
    for layer, spec in sites.items() if isinstance(sites, dict) else []:
        if isinstance(spec, dict):
            named.append((("sites", str(layer), "source"), spec.get("source")))
    demand, access = data.get("demand"), data.get("access")
    named.append((("demand", "source"), demand.get("source") if isinstance(demand, dict) else None))
    named.append((("access", "table"), access.get("table") if isinstance(access, dict) else None))
    out = []
    for loc, source in named:
        if not isinstance(source, str) or not (is_path_like(source) or loc[-1] == "table"):
            continue
        path = Path(source)
        climbs = ".." in path.parts
        if (path.is_absolute() and not _inside(path, allowed)) or (not path.is_absolute() and climbs):
            out.append((loc, f"`{'.'.join(loc)}`: " + _OUTSIDE.format(path=source)))
    return out


def _merge(base: dict[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _key_paths(prefix: tuple[str, ...], value: object) -> list[tuple[str, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_key_paths((*prefix, str(key)), item))
    return out


def _set(data: dict[str, Any], keys: tuple[str, ...], value: object, text: str) -> None:
    node = data
    for depth, key in enumerate(keys[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            where = ".".join(keys[: depth + 1])
            raise ScenarioError(
                N_("override {text}: `{key}` holds {value}, not a table").format(
                    text=repr(text), key=where, value=repr(child)
                )
            )
        node = child
    node[keys[-1]] = value


def _resolve_paths(data: dict[str, Any], folder: Path) -> None:
    """Make the file paths of ``data`` absolute, relative ones against ``folder``.

    A relative site or demand file that is not in ``folder`` stays relative:
    the run looks for it in the data folder (:func:`coverage.scenario.run.run_scenario`).
    """
    sites = data.get("sites")
    for layer in sites.values() if isinstance(sites, dict) else []:
        source = layer.get("source") if isinstance(layer, dict) else None
        if isinstance(source, str) and is_path_like(source):
            beside = folder / source
            if beside.exists() or Path(source).is_absolute():
                layer["source"] = str(beside.resolve())
    demand = data.get("demand")
    source = demand.get("source") if isinstance(demand, dict) else None
    if isinstance(demand, dict) and isinstance(source, str) and is_path_like(source):
        beside = folder / source
        if beside.exists() or Path(source).is_absolute():
            demand["source"] = str(beside.resolve())
    access = data.get("access")
    if isinstance(access, dict) and isinstance(access.get("table"), str):
        access["table"] = str((folder / access["table"]).resolve())
    if isinstance(access, dict) and isinstance(access.get("extract"), str):
        beside = folder / access["extract"]
        if beside.exists() or Path(access["extract"]).is_absolute():
            access["extract"] = str(beside.resolve())
    if isinstance(access, dict) and isinstance(access.get("cache_dir"), str):
        access["cache_dir"] = str((folder / access["cache_dir"]).resolve())


def _source(loc: tuple[str, ...], provenance: Provenance, default: str) -> str:
    for end in range(len(loc), 0, -1):
        if loc[:end] in provenance:
            return provenance[loc[:end]]
    return default


def _valid_keys(loc: tuple[str, ...]) -> list[str]:
    model = next(
        (
            table
            for pattern, table in TABLES.items()
            if len(pattern) == len(loc)
            and all(p in ("*", part) for p, part in zip(pattern, loc, strict=True))
        ),
        None,
    )
    keys = list(model.model_fields) if model is not None else []
    return [*keys, "extends"] if not loc else keys


def _describe(error: dict[str, Any], provenance: Provenance, default: str) -> str:
    loc = tuple(str(part) for part in error["loc"])
    source = _source(loc, provenance, default)
    key = ".".join(loc)
    if error["type"] == "extra_forbidden":
        hint = closest(loc[-1], _valid_keys(loc[:-1]))
        return f"{source}: " + N_("unknown key `{key}`; {message}").format(key=key, message=hint)
    if error["type"] == "missing":
        return f"{source}: " + N_("missing key `{key}`").format(key=key)
    message = str(error["msg"]).removeprefix("Value error, ")
    received = error.get("input")
    if not isinstance(received, dict):
        message = N_("{message} (received {value})").format(message=message, value=repr(received))
    return f"{source}: `{key or 'scenario'}`: {message}"
