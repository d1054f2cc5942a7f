"""QPV (*quartiers prioritaires de la politique de la ville*): polygons and demography."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from coverage.data.layers._common import (
    LoadReport,
    Problems,
    check_crs_matches,
    check_path,
    check_unique,
    finish,
    french_department,
    normalise_insee,
    parse_numbers,
    read_text_table,
    repair_geometries,
    require_columns,
    row_numbers,
)
from coverage.errors import CRSError, LayerValidationError, Problem, out_of_resources

__all__ = [
    "QPV_COLUMN_SETS",
    "normalise_commune_name",
    "qpv_department",
    "read_qpv_demography",
    "read_qpv_polygons",
]

#: Recognised polygon layouts: name -> (list vintage, output column -> file column).
#: ``insee_com``/``dep`` absent: unknown / taken from the QPV code.
QPV_COLUMN_SETS: dict[str, tuple[str, dict[str, str]]] = {
    "official 2024": (
        "2024",
        {"qpv_id": "code_qp", "name": "lib_qp", "insee_com": "insee_com",
         "commune_name": "lib_com", "dep": "insee_dep", "dep_name": "lib_dep"},
    ),
    "2015 hackaviz/ANCT": (
        "2015",
        {"qpv_id": "code_qp", "name": "nom_qp", "commune_name": "commune_qp",
         "insee_com": "code_commune", "all_communes": "nom_commune", "dep": "code_departement"},
    ),
    "official 2015": (
        "2015",
        {"qpv_id": "CODE_QP", "name": "NOM_QP", "commune_name": "COMMUNE_QP"},
    ),
}  # fmt: skip

_POLYGON_OUTPUT = ["qpv_id", "name", "insee_com", "commune_name", "dep", "list_vintage"]
_DEMOGRAPHY_COLUMNS = ["CODGEO", "LIBGEO", "POP_MUN", "LIB_COM"]
_QPV_CODE = re.compile(r"^Q[PN](0\d[\dAB]|97\d)\w+$")


def qpv_department(code: str) -> str:
    """Department of a QPV code, from its characters 3-5.

    ``'QP001001'`` -> ``'01'``, ``'QP02A001'`` -> ``'2A'``, ``'QP971001'`` ->
    ``'971'``; ``''`` when the code does not have that shape.
    """
    code = str(code).strip().upper()
    if not _QPV_CODE.match(code):
        return ""
    part = code[2:5]
    return part if part.startswith("97") else part[1:]


def read_qpv_polygons(path: str | Path) -> gpd.GeoDataFrame:
    """Read QPV contours from a GeoJSON, GeoPackage or shapefile.

    Three attribute sets are recognised (:data:`QPV_COLUMN_SETS`): the official
    2024 list (``code_qp, lib_qp, insee_com, lib_com, insee_dep, lib_dep``),
    the 2015 list as published by ANCT for the Toulouse hackaviz
    (``code_qp, nom_qp, commune_qp, code_commune, nom_commune,
    code_departement``) and the official 2015 shapefile (``CODE_QP, NOM_QP,
    COMMUNE_QP``; no commune code, the department comes from the QPV code).
    The set used is written in the load report's notes.

    Invalid polygons are repaired (counted in the report; only their polygonal
    parts are kept) and features without a polygon are dropped (counted).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 polygons with columns ``qpv_id, name, insee_com`` (main
        commune, ``''`` when the file has none), ``commune_name``, ``dep``,
        ``list_vintage`` (``'2015'`` or ``'2024'``), ``geometry``.

    Raises
    ------
    CRSError
        The file has no CRS.
    LayerValidationError
        No recognised column set, missing or duplicate QPV codes, geometries
        that are not polygons (all listed at once).

    Examples
    --------
    A GeoJSON in the 2015 hackaviz layout, with one self-crossing contour that gets repaired.

    >>> import pathlib, tempfile
    >>> import geopandas as gpd
    >>> from shapely.geometry import Polygon, box
    >>> from coverage.data.layers import read_qpv_polygons, report_of
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "qpv.geojson"
    >>> gpd.GeoDataFrame(
    ...     {
    ...         "code_qp": ["QP031001", "QP031002"],
    ...         "nom_qp": ["Bagatelle", "Empalot"],
    ...         "commune_qp": ["Toulouse", "Toulouse"],
    ...         "code_commune": ["31555", "31555"],
    ...         "nom_commune": ["Toulouse", "Toulouse"],
    ...         "code_departement": ["31", "31"],
    ...     },
    ...     geometry=[
    ...         box(1.40, 43.57, 1.41, 43.58),
    ...         Polygon([(1.45, 43.57), (1.46, 43.58), (1.46, 43.57), (1.45, 43.58)]),  # a bow tie
    ...     ],
    ...     crs=4326,
    ... ).to_file(path)
    >>> qpv = read_qpv_polygons(path)
    >>> qpv["qpv_id"].tolist(), qpv["dep"].tolist(), qpv["list_vintage"].tolist()
    (['QP031001', 'QP031002'], ['31', '31'], ['2015', '2015'])
    >>> report_of(qpv).repaired_geometries, bool(qpv.is_valid.all())
    (1, True)
    """
    source = str(check_path(path))
    try:
        raw = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        if out_of_resources(exc):
            raise
        raise LayerValidationError(
            Problem(source, f"cannot be read as a GeoJSON, GeoPackage or shapefile: {exc}")
        ) from None
    if len(raw) == 0:
        raise LayerValidationError(Problem(source, "the file has no features"))
    set_name = _column_set(raw, source)
    vintage, columns = QPV_COLUMN_SETS[set_name]
    if raw.crs is None:
        raise CRSError(
            f"{source}: the file has no CRS; declare it, e.g. add the .prj of the shapefile "
            "or run gdf.set_crs(4326) (or 2154 for Lambert-93) and save it again"
        )
    report = LoadReport(source, rows_read=len(raw))
    report.notes.append(f"column set recognised: {set_name} ({', '.join(columns.values())})")
    problems = Problems(source)

    text = {out: raw[col].fillna("").astype(str).str.strip() for out, col in columns.items()}
    frame = pd.DataFrame({out: text[out] for out in ("qpv_id", "name", "commune_name")})
    frame["insee_com"] = normalise_insee(text["insee_com"]) if "insee_com" in text else ""
    frame["dep"] = (
        text["dep"].map(french_department) if "dep" in text else frame["qpv_id"].map(qpv_department)
    )
    frame["list_vintage"] = vintage
    frame = frame[_POLYGON_OUTPUT]
    id_column = columns["qpv_id"]
    missing = frame["qpv_id"].eq("")
    problems.add_rows(row_numbers(raw)[missing.to_numpy()], id_column, "QPV code is missing")
    check_unique(frame["qpv_id"], id_column, problems)
    present = raw.geometry.notna() & ~raw.geometry.is_empty
    wrong_type = present & ~raw.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    problems.add_rows(
        row_numbers(raw)[wrong_type.to_numpy()],
        "geometry",
        "not a polygon; QPV contours must be polygons or multipolygons",
        values=list(raw.geometry.geom_type[wrong_type]),
    )
    problems.raise_if_any()

    polygons = gpd.GeoDataFrame(frame, geometry=raw.geometry.to_numpy(), crs=raw.crs)
    check_crs_matches(polygons, source)
    if polygons.crs.to_epsg() != 4326:
        report.notes.append(f"reprojected from {polygons.crs.to_string()} to EPSG:4326")
        polygons = polygons.to_crs(4326)
    polygons = repair_geometries(polygons, report)
    polygons["geometry"] = polygons.geometry.map(_polygonal)
    collapsed = polygons.geometry.is_empty
    report.drop("no polygon left after repair", int(collapsed.sum()))
    return finish(polygons[~collapsed.to_numpy()], report)


def _column_set(raw: pd.DataFrame, source: str) -> str:
    """Name of the first complete column set of ``raw``; else the closest one's problems."""
    present = set(map(str, raw.columns))
    for name, (_, columns) in QPV_COLUMN_SETS.items():
        if present.issuperset(columns.values()):
            return name
    closest = max(QPV_COLUMN_SETS, key=lambda n: len(present & set(QPV_COLUMN_SETS[n][1].values())))
    expected = QPV_COLUMN_SETS[closest][1].values()
    require_columns(raw, expected, f"{source} (closest layout: {closest})")
    raise AssertionError("unreachable")  # pragma: no cover


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """The polygonal part of a repaired geometry (drops slivers made lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


# --------------------------------------------------------------------------- demography

_ARRONDISSEMENT = re.compile(r"\s+\d+\s*(?:e|er|eme|ème)\s+arrondissement$", re.IGNORECASE)
_ARTICLE = re.compile(r"^(?:le|la|les|l)\s+")
_SEPARATORS = re.compile(r"[\s\-'’ʼ‘`.]+")


def normalise_commune_name(name: str) -> str:
    """A commune name reduced for matching.

    Casefolded, accents and ligatures removed, hyphens, apostrophes and spaces
    unified, ``st``/``ste`` spelled ``saint``/``sainte``, a leading article
    dropped (the embedded communes have none), and ``'Paris 18e
    Arrondissement'`` reduced to ``'paris'``.
    """
    text = _ARRONDISSEMENT.sub("", str(name).strip())
    text = text.casefold().replace("œ", "oe").replace("æ", "ae")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    words = _SEPARATORS.sub(" ", text).strip()
    words = re.sub(r"\bst\b", "saint", words)
    words = re.sub(r"\bste\b", "sainte", words)
    return _ARTICLE.sub("", words)


def read_qpv_demography(path: str | Path, *, communes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read INSEE's QPV demography file (``DEMO_2022``, ``;``-separated, French numbers).

    The file names the commune(s) of each QPV (``LIB_COM``, e.g.
    ``'Cusset, Vichy'`` or ``'Paris 18e Arrondissement'``) but gives no code;
    each name is matched within the QPV's department to ``communes``
    (arrondissements to their city). Every unmatched name is a load-report
    warning naming the row, the column ``LIB_COM`` and the value.

    Parameters
    ----------
    path
        The CSV file.
    communes
        Frame with ``insee_com, name, dep, population``; defaults to
        :func:`coverage.data.embedded.load_communes`.

    Returns
    -------
    pandas.DataFrame
        One row per QPV: ``qpv_id``, ``name``, ``dep`` (from characters 3-5 of
        the code), ``population`` (float ``POP_MUN``, NaN when secret),
        ``commune_names`` (``LIB_COM`` as written), ``insee_com`` (the most
        populous matched commune, ``''`` when none matched),
        ``insee_coms`` (every matched code, comma-separated, in ``LIB_COM``
        order) and ``matched`` (true when every listed commune was found).

    Raises
    ------
    LayerValidationError
        Missing columns, missing, malformed or duplicate QPV codes,
        unparsable ``POP_MUN`` (all listed at once).

    Examples
    --------
    Two QPV of the Allier in the INSEE file's French number format; one straddles two communes.

    >>> import pathlib, tempfile
    >>> import coverage
    >>> from coverage.data.layers import read_qpv_demography
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "DEMO_2022.csv"
    >>> _ = path.write_text(
    ...     "CODGEO;LIBGEO;POP_MUN;POP_COM_QP;POP_COM;LIB_COM;TX_F\\n"
    ...     "QP003005;Les Garets - Presles;3 420;;;Cusset, Vichy;52,1\\n"
    ...     "QP003006;Les Ailes;1 126;;;Vichy;\\n",
    ...     encoding="utf-8",
    ... )
    >>> qpv = read_qpv_demography(path, communes=coverage.load_communes(["03"]))
    >>> qpv["population"].tolist(), qpv["insee_com"].tolist(), qpv["insee_coms"].tolist()
    ([3420.0, 1126.0], ['03310', '03310'], ['03095,03310', '03310'])
    """
    source = str(check_path(path))
    raw = read_text_table(path, sep=";")
    require_columns(raw, _DEMOGRAPHY_COLUMNS, source)
    report = LoadReport(source, rows_read=len(raw))
    problems = Problems(source)

    qpv_id = raw["CODGEO"].str.strip().str.upper()
    dep = qpv_id.map(qpv_department)
    bad = dep.eq("")
    problems.add_rows(
        row_numbers(raw)[bad.to_numpy()],
        "CODGEO",
        "not a QPV code (such as 'QP001001', 'QP02A001' or 'QP971001')",
        values=list(raw["CODGEO"][bad]),
    )
    check_unique(qpv_id, "CODGEO", problems)
    population = parse_numbers(raw["POP_MUN"], "POP_MUN", problems, french=True, people=True)
    problems.raise_if_any()

    if communes is None:
        from coverage.data.embedded import load_communes

        communes = load_communes()
    require_columns(communes, ["insee_com", "name", "dep", "population"], "communes")
    matcher = _CommuneMatcher(communes)
    main, every, matched = [], [], []
    for row, department, listed in zip(row_numbers(raw), dep, raw["LIB_COM"], strict=True):
        found: list[tuple[str, float]] = []
        names = [n.strip() for n in str(listed).split(",") if n.strip()]
        complete = bool(names)
        if not names:
            report.warn([Problem(source, "no commune name", row=int(row), column="LIB_COM")])
        for name in names:
            hit = matcher.match(name, department)
            if hit is None:
                complete = False
                message = (
                    f"commune {name!r} not found in department {department} "
                    "(renamed or merged since?); insee_com left empty for it"
                )
                report.warn([Problem(source, message, row=int(row), column="LIB_COM")])
            elif hit[0] not in [code for code, _ in found]:
                found.append(hit)
        every.append(",".join(code for code, _ in found))
        main.append(max(found, key=lambda item: item[1])[0] if found else "")
        matched.append(complete)

    frame = pd.DataFrame(
        {
            "qpv_id": qpv_id,
            "name": raw["LIBGEO"].str.strip(),
            "dep": dep,
            "population": population,
            "commune_names": raw["LIB_COM"].str.strip(),
            "insee_com": main,
            "insee_coms": every,
            "matched": np.array(matched, dtype=bool),
        }
    )
    rate = frame["matched"].mean()
    report.notes.append(
        f"commune names matched for {int(frame['matched'].sum())} of {len(frame)} QPV "
        f"({rate:.1%}); {int(np.isnan(population).sum())} secret populations"
    )
    if matcher.approximate:
        report.notes.append(
            f"{len(matcher.approximate)} names matched approximately: " + "; ".join(matcher.approximate)
        )
    return finish(frame, report)


class _CommuneMatcher:
    """Finds a commune code from a name and a department.

    Tried in order: the exact normalised name in the department; the only
    commune of the department whose name contains it as whole words (renamed
    ``Grigny`` -> ``Grigny-sur-Rhône``, merged ``Oullins`` ->
    ``Oullins-Pierre-Bénite``); the only commune of that name in France (QPV
    straddling a department border). The last two are listed in
    :attr:`approximate`.
    """

    def __init__(self, communes: pd.DataFrame) -> None:
        self.exact: dict[tuple[str, str], tuple[str, float]] = {}
        self.by_name: dict[str, list[tuple[str, float]]] = {}
        self.by_dep: dict[str, list[tuple[str, str, float]]] = {}
        self.approximate: list[str] = []
        self._memo: dict[tuple[str, str], tuple[str, float] | None] = {}
        population = pd.to_numeric(communes["population"], errors="coerce").fillna(0.0)
        for code, name, dep, people in zip(
            communes["insee_com"].astype(str),
            communes["name"].astype(str),
            communes["dep"].astype(str),
            population,
            strict=True,
        ):
            key = normalise_commune_name(name)
            entry = (code, float(people))
            if (dep, key) not in self.exact or people > self.exact[(dep, key)][1]:
                self.exact[(dep, key)] = entry
            self.by_name.setdefault(key, []).append(entry)
            self.by_dep.setdefault(dep, []).append((key, code, float(people)))

    def match(self, name: str, dep: str) -> tuple[str, float] | None:
        key = normalise_commune_name(name)
        if (dep, key) in self.exact:
            return self.exact[(dep, key)]
        if (dep, key) in self._memo:
            return self._memo[(dep, key)]
        pattern = re.compile(rf"(?:^| ){re.escape(key)}(?: |$)")
        within = [(c, p) for k, c, p in self.by_dep.get(dep, []) if pattern.search(k)]
        hit: tuple[str, float] | None = None
        if len(within) == 1:
            hit = within[0]
            where = "in its department"
        elif len(self.by_name.get(key, [])) == 1:
            hit = self.by_name[key][0]
            where = "in another department"
        if hit is not None:
            self.approximate.append(f"{name!r} (department {dep}) -> {hit[0]} {where}")
        self._memo[(dep, key)] = hit
        return hit
