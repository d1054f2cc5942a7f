"""An uploaded file checked and saved before anything reads it, and the server's store of read layers.

The checks: its size (at most :data:`MAX_UPLOAD_BYTES`), its type
(:data:`UPLOAD_SUFFIXES`; a zip must hold a shapefile), a zip's unzipped size
(at most :data:`MAX_UNZIPPED_BYTES`, from the zip's directory, nothing
extracted) and its rows or features (at most :data:`MAX_UPLOAD_FEATURES`,
counted without reading the layer); a refused file is deleted at once. A CSV's
encoding is detected (:func:`detect_encoding`) and the file saved as UTF-8.
Read layers are kept in :func:`upload_store` under the SHA-256 of their content
(:func:`store_layer`), so a shareable link names content, never a path.
:mod:`coverage.app.upload` reads the saved file with the column mapping.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from coverage.data.i18n import N_
from coverage.errors import LayerValidationError, LimitExceededError, Problem

__all__ = [
    "ENCODINGS",
    "MAX_UNZIPPED_BYTES",
    "MAX_UPLOAD_BYTES",
    "MAX_UPLOAD_FEATURES",
    "UPLOADS_ENV",
    "UPLOAD_SUFFIXES",
    "detect_encoding",
    "save_upload",
    "store_layer",
    "upload_store",
]

#: Largest upload accepted, in bytes.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: Largest content of an uploaded zip once unzipped, in bytes (checked from the zip's directory).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
#: Most rows or features an uploaded layer may hold (counted before it is read).
MAX_UPLOAD_FEATURES = 100_000
#: Suffixes accepted for site and demand layers.
UPLOAD_SUFFIXES = (".csv", ".geojson", ".json", ".gpkg", ".zip")


#: Encodings a planner's CSV comes in, as :func:`detect_encoding` names them, with their Python codec.
ENCODINGS = {
    "UTF-8": "utf-8",
    "UTF-8 with BOM": "utf-8-sig",
    "Windows-1252": "cp1252",
    "Latin-1 (ISO-8859-1)": "latin-1",
    "Latin-9 (ISO-8859-15)": "iso8859-15",
}


def detect_encoding(data: bytes) -> str:
    """The text encoding of a CSV upload: UTF-8 (with or without BOM), Windows-1252 or Latin-1/9.

    UTF-8 is recognised exactly (a BOM, or bytes that decode); anything else
    is left to charset-normalizer among the Western European encodings Excel
    and older tools write, Windows-1252 first when they read the same.

    Examples
    --------
    >>> detect_encoding("code;nom\\nA1;Guéret\\n".encode("utf-8"))
    'UTF-8'
    >>> detect_encoding("code;nom\\nA1;Guéret\\n".encode("utf-8-sig"))
    'UTF-8 with BOM'
    >>> detect_encoding("code;libellé\\nA1;Guéret centre ; à côté de l'église\\n".encode("cp1252"))
    'Windows-1252'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "UTF-8 with BOM"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "UTF-8"
    from charset_normalizer import from_bytes

    codecs = {
        "cp1252": "Windows-1252",
        "latin_1": "Latin-1 (ISO-8859-1)",
        "iso8859_15": "Latin-9 (ISO-8859-15)",
    }
    best = from_bytes(data, cp_isolation=list(codecs)).best()
    if best is None or best.encoding not in codecs:
        return "Windows-1252"  # decodes every byte but five; the read names any row it cannot use
    if best.encoding != "cp1252" and data.decode("cp1252", errors="replace") == str(best):
        return "Windows-1252"
    return codecs[best.encoding]


#: The environment variable naming the folder of uploaded layers (see :func:`upload_store`).
UPLOADS_ENV = "COVERAGE_UPLOADS"


def upload_store() -> Path:
    """The server's folder of read upload layers, each named after its content's SHA-256.

    A link names a layer by that file name (``upload:<name>``), never by a
    path; another server, or this one after a clean-up, says it lacks it.
    The folder is ``COVERAGE_UPLOADS`` when set (``coverage-plan app`` sets it
    to a cache folder that outlives the server, so links survive a restart),
    else ``coverage-app-uploads`` in the temp folder.

    Examples
    --------
    >>> upload_store().name
    'coverage-app-uploads'
    """
    import os
    import tempfile

    chosen = os.environ.get(UPLOADS_ENV)
    store = Path(chosen) if chosen else Path(tempfile.gettempdir()) / "coverage-app-uploads"
    store.mkdir(parents=True, exist_ok=True)
    return store


def store_layer(path: str | Path, kind: str) -> Path:
    """Move a written layer into :func:`upload_store` as ``<kind>-<sha256 of its bytes>.geojson``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> written = pathlib.Path(tempfile.mkdtemp()) / "mine.geojson"
    >>> _ = written.write_text('{"type": "FeatureCollection", "features": []}')
    >>> stored = store_layer(written, "sites")
    >>> stored.parent == upload_store(), stored.name.startswith("sites-"), written.exists()
    (True, True, False)
    """
    import hashlib
    import shutil

    path = Path(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    target = upload_store() / f"{kind}-{digest}.geojson"
    shutil.move(str(path), target)
    return target


def save_upload(name: str, data: bytes, folder: str | Path) -> Path:
    """Check an upload's size and type, and save it in ``folder`` under a safe name.

    A CSV file is saved as UTF-8 whatever it came in (see :func:`detect_encoding`).

    Raises
    ------
    LayerValidationError
        Too large, an unsupported suffix, or a zip without a shapefile.
    LimitExceededError
        A zip above :data:`MAX_UNZIPPED_BYTES` unzipped, or a layer of more than
        :data:`MAX_UPLOAD_FEATURES` rows or features.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> data = (
    ...     "code;nom;longitude;latitude;personnes\\n"
    ...     "LIM-1;Limoges centre;1.2611;45.8336;1200\\n"
    ...     "GUE-1;Guéret gare;1.8717;46.1703;450\\n"
    ... ).encode()
    >>> save_upload("Mes lieux (2024).csv", data, folder).name
    'Mes_lieux_2024_.csv'
    >>> save_upload("notes.txt", b"...", folder)
    Traceback (most recent call last):
    ...
    coverage.errors.LayerValidationError: 1 problem:
      notes.txt: unsupported file type '.txt'; upload one of .csv, .geojson, .json, .gpkg, .zip
    """
    suffix = Path(name).suffix.lower()
    if len(data) > MAX_UPLOAD_BYTES:
        raise LayerValidationError(
            Problem(
                name,
                N_(
                    "file is {num_size} MB, above the {num_limit} MB limit; "
                    "keep only the rows and columns you need"
                ).format(num_size=f"{len(data) / 1e6:.1f}", num_limit=f"{MAX_UPLOAD_BYTES / 1e6:.0f}"),
            )
        )
    if suffix not in UPLOAD_SUFFIXES:
        raise LayerValidationError(
            Problem(
                name,
                N_("unsupported file type {suffix}; upload one of {suffixes}").format(
                    suffix=repr(suffix or "(none)"), suffixes=", ".join(UPLOAD_SUFFIXES)
                ),
            )
        )
    if suffix == ".csv":
        data = data.decode(ENCODINGS[detect_encoding(data)], errors="replace").encode("utf-8")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(name).stem)[:60] or "upload"
    path = Path(folder) / f"{stem}{'.geojson' if suffix == '.json' else suffix}"
    path.write_bytes(data)
    try:
        _check_content(name, path)
    except (LayerValidationError, LimitExceededError):
        path.unlink(missing_ok=True)
        raise
    return path


def _check_content(name: str, path: Path) -> None:
    """A zip's unzipped size and shapefile, and the feature count, before anything reads the layer."""
    from coverage.data.layers.limits import check_rows

    if path.suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.infolist()
        except zipfile.BadZipFile:
            members = []
        unzipped = sum(member.file_size for member in members)
        if unzipped > MAX_UNZIPPED_BYTES:
            raise LimitExceededError(
                f"{name}: "
                + N_(
                    "unzipped, the files hold {num_size} MiB, above the {num_limit} MiB limit; "
                    "keep only the features and columns you need"
                ).format(num_size=f"{unzipped / 2**20:,.0f}", num_limit=f"{MAX_UNZIPPED_BYTES / 2**20:,.0f}")
            )
        if not any(member.filename.lower().endswith(".shp") for member in members):
            raise LayerValidationError(
                Problem(name, N_("the zip holds no shapefile (.shp with its .dbf, .shx, .prj)"))
            )
    try:
        check_rows(path, MAX_UPLOAD_FEATURES, what="rows or features")
    except LimitExceededError as exc:
        raise LimitExceededError(str(exc).replace(str(path), name, 1)) from None
