"""Lock records: what a run used, so that ``scenario.lock.toml`` reruns the identical plan.

A lock file is the fully resolved scenario (:func:`coverage.scenario.loading.dump_scenario`)
plus a ``[lock]`` table::

    [lock]
    created = "2026-01-31T09:12:00+00:00"
    library_version = "0.1.0"
    python_version = "3.12.3"
    platform = "Linux-6.8.0-x86_64-with-glibc2.39"
    data_dir = "/data/coverage"          # when the run read official files

    [lock.solver]
    name = "cbc"                          # the solver that made the plan
    pulp = "3.3.2"
    cbc_path = "/.../cbc"
    highspy = "1.16.0"

    [[lock.files]]
    path = "/data/coverage/laposte_poincont2_2020-12.csv"
    sha256 = "9f8e..."
    size = 6120341
    key = "laposte_points"               # catalogue key, "file:<layer>" or "file:demand"
    vintage = "2020-12"

:class:`Lock` builds that table from a :class:`~coverage.scenario.run.ScenarioRun`
(:meth:`Lock.from_run`), validates it when read back (:meth:`Lock.from_table`,
:func:`read_lock`) and compares the files on disk with their recorded SHA-256
(:meth:`Lock.mismatches`). :func:`coverage.scenario.loading.load_scenario` strips and
checks the table of a lock file before validating the scenario.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import platform
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coverage.data.catalogue import CATALOGUE
from coverage.data.i18n import N_
from coverage.errors import MissingDataError, ScenarioError
from coverage.scenario.tables import is_path_like

if TYPE_CHECKING:
    from coverage.scenario.run import ScenarioRun

__all__ = ["LOCK_FILE", "Lock", "LockedFile", "file_sha256", "read_lock", "read_toml"]

#: File name of the lock written beside a run's outputs.
LOCK_FILE = "scenario.lock.toml"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LockedFile(_Table):
    """One ``[[lock.files]]`` entry: a data file the run read."""

    path: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    key: str = ""
    vintage: str = ""


class SolverRecord(_Table):
    """``[lock.solver]``: the solver that made the plan and the versions of both solvers."""

    name: str
    pulp: str = ""
    cbc_path: str = ""
    highspy: str = ""


class Lock(_Table):
    """The ``[lock]`` table of a lock file."""

    created: str
    library_version: str
    python_version: str
    platform: str
    data_dir: str = ""
    solver: SolverRecord
    files: list[LockedFile] = Field(default_factory=list)

    @classmethod
    def from_run(cls, run: ScenarioRun, *, data_dir: str | Path | None = None) -> Lock:
        """The lock of ``run``.

        ``data_dir`` is the folder of official files the run used; it is recorded
        when the run read catalogue files, and reused by a rerun that names none.
        """
        own = [(f"file:{name}", layer.source) for name, layer in run.scenario.sites.items()]
        own.append(("file:demand", run.scenario.demand.source or ""))
        layer_files: dict[str, str] = {}
        for key, source in own:
            if source and is_path_like(source):
                # A relative source was found in the data folder (or the current one).
                for folder in (Path.cwd(), *([Path(data_dir)] if data_dir is not None else [])):
                    layer_files[str((folder / source).resolve())] = key
        files = []
        for path, sha256, size in run.files:
            key, vintage = _catalogue_key(path)
            files.append(
                LockedFile(
                    path=str(path),
                    sha256=sha256,
                    size=size,
                    key=layer_files.get(str(path), key),
                    vintage=vintage,
                )
            )
        official = any(f.key and not f.key.startswith("file:") for f in files)
        return cls(
            created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            library_version=_version("coverage-planning"),
            python_version=platform.python_version(),
            platform=platform.platform(),
            data_dir=str(Path(data_dir).resolve()) if data_dir is not None and official else "",
            solver=SolverRecord(
                name=run.plan.solver,
                pulp=_version("pulp"),
                cbc_path=_cbc_path(),
                highspy=_version("highspy"),
            ),
            files=files,
        )

    @classmethod
    def from_table(cls, table: object, *, source: str) -> Lock:
        """Validate a parsed ``[lock]`` table.

        Raises
        ------
        ScenarioError
            Every problem of the table, each naming ``source`` and the key.
        """
        try:
            return cls.model_validate(table)
        except ValidationError as exc:
            problems = []
            for error in exc.errors():
                key = ".".join(str(part) for part in ("lock", *error["loc"]))
                problems.append(f"{source}: `{key}`: {error['msg']}")
            raise ScenarioError(problems) from None

    def to_table(self) -> dict[str, Any]:
        """The table as TOML-able Python (empty values left out)."""
        table = self.model_dump(mode="python")
        table["solver"] = {k: v for k, v in table["solver"].items() if v}
        table["files"] = [{k: v for k, v in f.items() if v != ""} for f in table["files"]]
        return {k: v for k, v in table.items() if v not in ("", [])}

    def mismatches(self) -> list[str]:
        """One line per locked file that is missing or whose SHA-256 changed (empty: all match)."""
        out = []
        for locked in self.files:
            path = Path(locked.path)
            label = f"{locked.path}" + (f" ({locked.key})" if locked.key else "")
            if not path.is_file():
                out.append(f"locked file {label} is missing (expected sha256 {locked.sha256})")
                continue
            actual = file_sha256(path)
            if actual != locked.sha256:
                out.append(f"locked file {label} changed: expected sha256 {locked.sha256}, found {actual}")
        return out


def read_lock(path: str | Path) -> Lock | None:
    """The validated ``[lock]`` table of the TOML file ``path``, or None when it has none.

    Raises
    ------
    MissingDataError
        ``path`` does not exist.
    ScenarioError
        Invalid TOML, or an invalid ``[lock]`` table.

    Examples
    --------
    A scenario file has no lock; the ``scenario.lock.toml`` of a run folder has one:

    >>> import pathlib, platform, tempfile
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.output import write_run
    >>> from coverage.scenario.run import run_scenario, shipped_scenario
    >>> demo = shipped_scenario("demo")
    >>> read_lock(demo) is None
    True
    >>> run = run_scenario(load_scenario(demo, overrides=["objective.max_sites=5"]))
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "demo-5"
    >>> _ = write_run(run, folder, with_map=False)
    >>> lock = read_lock(folder / "scenario.lock.toml")
    >>> lock.python_version == platform.python_version()
    True
    >>> lock.files  # the demo reads the embedded data only
    []
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(
            N_("scenario file {path} does not exist; check the path and the current folder").format(path=path)
        )
    data = read_toml(path)
    table = data.get("lock")
    return None if table is None else Lock.from_table(table, source=str(path))


def read_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file's tables; a file that is not UTF-8 TOML text is a :class:`ScenarioError`.

    The message names the file and the place of the problem, never its content
    (the file may not be the planner's own).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "binary.toml"
    >>> _ = path.write_bytes(b'name = "x"\\n\\xff\\xfe')
    >>> read_toml(path)
    Traceback (most recent call last):
    ...
    coverage.errors.ScenarioError: ...binary.toml: not a UTF-8 text file (byte 0xff at offset 11); ...
    """
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: not a UTF-8 text file (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "a scenario is TOML text: save it as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: invalid TOML: {exc}") from None


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _catalogue_key(path: Path) -> tuple[str, str]:
    name = path.name.lower()
    for item in CATALOGUE:
        if any(fnmatch.fnmatch(name, pattern.lower()) for pattern in item.patterns):
            return item.key, item.vintage
    return "", ""


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


def _cbc_path() -> str:
    from coverage.models.solver import cbc_path

    try:
        return str(Path(cbc_path()).resolve())
    except (RuntimeError, OSError):  # no CBC binary: the lock still records the rest
        return ""
