"""The library's settings: one validated object, read from the environment in one place.

Only :func:`get_settings` reads the environment (``COVERAGE_DATA_DIR``); every
other module asks :func:`resolve_data_dir`, where an explicit option (a CLI
``--data-dir``, a function argument) wins over the environment variable.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from coverage.errors import MissingDataError

__all__ = ["DATA_DIR_ENV", "Settings", "get_settings", "resolve_data_dir"]

#: Environment variable naming the folder of official data files.
DATA_DIR_ENV = "COVERAGE_DATA_DIR"

_FIX = (
    f"create the folder, or point {DATA_DIR_ENV} (or the CLI option --data-dir) at the "
    "folder holding the official files ('coverage-plan data fetch --dest DIR' fills one)"
)


class Settings(BaseModel):
    """Validated settings of the library.

    Attributes
    ----------
    data_dir
        Folder of official data files (La Poste, ANCT, INSEE, ...), searched
        recursively by :func:`coverage.data.folder.scan`; ``None`` when none is set.
        It must exist and be a folder.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path | None = None

    @field_validator("data_dir", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("data_dir")
    @classmethod
    def _must_be_a_folder(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        origin = (info.context or {}).get("origin", "data_dir")
        path = value.expanduser()
        if not path.exists():
            raise MissingDataError(f"data folder {path} (from {origin}) does not exist; {_FIX}")
        if not path.is_dir():
            raise MissingDataError(f"data folder {path} (from {origin}) is a file, not a folder; {_FIX}")
        return path.resolve()


def get_settings() -> Settings:
    """Settings from the environment: the only place that reads ``COVERAGE_DATA_DIR``.

    Read afresh at each call (cheap), so a changed environment is seen.

    Raises
    ------
    MissingDataError
        ``COVERAGE_DATA_DIR`` names a folder that does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> from coverage.data.settings import get_settings
    >>> folder = tempfile.mkdtemp()
    >>> os.environ["COVERAGE_DATA_DIR"] = folder
    >>> str(get_settings().data_dir) == os.path.realpath(folder)
    True
    >>> del os.environ["COVERAGE_DATA_DIR"]
    >>> print(get_settings().data_dir)
    None
    """
    raw = os.environ.get(DATA_DIR_ENV)
    return Settings.model_validate(
        {"data_dir": raw}, context={"origin": f"environment variable {DATA_DIR_ENV}"}
    )


def resolve_data_dir(explicit: str | Path | None = None) -> Path | None:
    """The data folder to use: ``explicit`` when given, else ``COVERAGE_DATA_DIR``, else ``None``.

    Raises
    ------
    MissingDataError
        The chosen folder does not exist or is a file.

    Examples
    --------
    >>> import os, tempfile
    >>> from coverage.data.settings import resolve_data_dir
    >>> folder = tempfile.mkdtemp()
    >>> str(resolve_data_dir(folder)) == os.path.realpath(folder)
    True
    >>> resolve_data_dir(os.path.join(folder, "absent"))
    Traceback (most recent call last):
    ...
    coverage.errors.MissingDataError: data folder ... does not exist; ...
    """
    if explicit is not None:
        settings = Settings.model_validate(
            {"data_dir": Path(explicit)}, context={"origin": "the data_dir option"}
        )
        return settings.data_dir
    return get_settings().data_dir
