"""Which data files a scenario reads, where they are, and their fingerprints.

Official files are looked up in the data folder (the ``data_dir`` argument of
:func:`coverage.scenario.run.run_scenario`, else ``COVERAGE_DATA_DIR``) by the
file-name patterns of :data:`coverage.data.catalogue.CATALOGUE`; the scenario's own
files (site layers, ``demand.source``) next to the scenario file, then in the
data folder. Every missing file is named at once, with its expected path and
how to get it, before anything is computed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from coverage.data.catalogue import DataFile, entry
from coverage.errors import MissingDataError
from coverage.scenario.schema import Scenario
from coverage.scenario.tables import is_path_like

__all__ = [
    "FRAGILITY_KEYS",
    "fingerprint",
    "layer_keys",
    "locate_files",
    "needs_data_dir",
    "optional_data_dir",
]

#: Where to get a road extract (``access.extract`` of ``rule = "road_time"``).
ROADS_HINT = (
    "download an OpenStreetMap extract: https://download.geofabrik.de/europe/france.html "
    "(regions 100-600 MB, France about 4.5 GB)"
)

#: Catalogue keys of the fragility index, most preferred first.
FRAGILITY_KEYS = ("fragility_communes", "fragility_iris")


def needs_data_dir(scenario: Scenario) -> bool:
    catalogue_sources = any(
        layer.source != "town_halls" and not is_path_like(layer.source) for layer in scenario.sites.values()
    )
    return catalogue_sources or bool(layer_keys(scenario)) or scenario.demand.use_fragility


def optional_data_dir(data_dir: str | Path | None) -> Path | None:
    """The data folder if one is set (for relative site files), else None.

    A bad ``data_dir`` argument is reported; a bad ``COVERAGE_DATA_DIR`` is
    not, since this scenario may not need it.
    """
    from coverage.data.settings import resolve_data_dir
    from coverage.errors import CoverageError

    if data_dir is not None:
        return resolve_data_dir(data_dir)
    try:
        return resolve_data_dir(None)
    except CoverageError:
        return None


def layer_keys(scenario: Scenario) -> list[str]:
    """Catalogue keys of the zone layers the demand settings ask for."""
    demand = scenario.demand
    keys = []
    if demand.qpv_units in ("demography", "polygons"):
        keys.append("qpv_demography")
    if demand.qpv_units == "polygons":
        keys.append("qpv_polygons")
    if demand.rurality == "density_grid":
        keys.append("density_grid")
    return keys


def locate_files(scenario: Scenario, folder: Path | None) -> dict[str, Path]:
    """Catalogue key (or ``'file:<layer>'``, ``'file:demand'``) -> path of every file the scenario reads.

    Raises
    ------
    MissingDataError
        Listing every missing file at once.
    """
    from coverage.data.folder import scan

    wanted: list[str] = []
    own: dict[str, Path] = {}
    given: dict[str, str] = {}
    for name, layer in scenario.sites.items():
        if is_path_like(layer.source):
            given[f"file:{name}"] = layer.source
        elif layer.source != "town_halls" and layer.source not in wanted:
            wanted.append(layer.source)
    if scenario.demand.source is not None:
        given["file:demand"] = scenario.demand.source
    if scenario.access.rule == "road_time" and scenario.access.extract is not None:
        given["file:roads"] = scenario.access.extract
    for key, source in given.items():
        path = Path(source)
        if not path.is_absolute() and folder is not None:
            path = folder / path  # not beside the scenario file: look in the data folder
        own[key] = path
    wanted.extend(layer_keys(scenario))
    found: dict[str, Path] = {}
    if folder is not None:
        keys = [*wanted, *FRAGILITY_KEYS] if scenario.demand.use_fragility else wanted
        found = {item.key: item.path for item in scan(folder, keys=keys)}
    problems = [_missing_file(entry(key), folder) for key in wanted if key not in found]
    if scenario.demand.use_fragility:
        present = [key for key in FRAGILITY_KEYS if key in found]
        if present:
            wanted.append(present[0])
        else:
            problems.append(
                _missing_file(entry(FRAGILITY_KEYS[0]), folder)
                + f" (or {FRAGILITY_KEYS[1]}; or set demand.use_fragility = false)"
            )
    for key, path in own.items():
        if not path.is_file():
            where = key.removeprefix("file:")
            table = {"file:demand": "demand", "file:roads": "access"}.get(key, f"sites.{where}")
            field = "extract" if key == "file:roads" else "source"
            looked = (
                ""
                if Path(given[key]).is_absolute()
                else (" (looked next to the scenario file and in the data folder)")
            )
            problems.append(
                f"[{table}] {field}: {path} does not exist{looked}; check the path in the scenario"
                + (f" ({ROADS_HINT})" if key == "file:roads" else "")
            )
    if problems:
        place = f"data folder {folder}" if folder is not None else "no data folder set (--data-dir)"
        head = "1 data file is missing" if len(problems) == 1 else f"{len(problems)} data files are missing"
        raise MissingDataError(f"{head} ({place}):\n  " + "\n  ".join(problems))
    return {**{key: found[key] for key in wanted}, **own}


def _missing_file(item: DataFile, folder: Path | None) -> str:
    expected = (folder / item.relative_path) if folder is not None else Path("DATA_DIR") / item.relative_path
    return f"{item.key}: expected {expected} ({item.title}); get it: {item.how_to_get}"


def fingerprint(path: Path) -> tuple[Path, str, int]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return path.resolve(), digest.hexdigest(), path.stat().st_size
