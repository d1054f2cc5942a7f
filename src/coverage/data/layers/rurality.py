"""Rurality layers: INSEE's 7-level communal density grid and the ZRR zoning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from coverage.data.layers._common import (
    LoadReport,
    Problems,
    check_path,
    finish,
    insee_codes,
    parse_numbers,
    read_text_table,
    require_columns,
    row_numbers,
)

__all__ = [
    "DENSITY_LABELS",
    "RURAL_MIN_DENSITY_CLASS",
    "ZRR_CLASSES",
    "read_density_grid",
    "read_zrr",
]

#: INSEE's labels of the 7 density classes (``DENS`` -> ``LIBDENS``).
DENSITY_LABELS = {
    1: "Grands centres urbains",
    2: "Centres urbains intermédiaires",
    3: "Petites villes",
    4: "Ceintures urbaines",
    5: "Bourgs ruraux",
    6: "Rural à habitat dispersé",
    7: "Rural à habitat très dispersé",
}

#: INSEE's rural definition: density class 5, 6 or 7.
RURAL_MIN_DENSITY_CLASS = 5

#: ``ZRR_SIMP`` codes: classed, not classed, partly classed.
ZRR_CLASSES = {"C": "Classée en ZRR", "NC": "Commune non classée", "P": "Partiellement classée"}

_GRID_COLUMNS = ["CODGEO", "LIBGEO", "DENS", "LIBDENS", "PMUN21"]
_ZRR_COLUMNS = ["CODGEO", "LIBGEO", "ZRR_SIMP", "ZONAGE_ZRR"]


def read_density_grid(path: str | Path) -> pd.DataFrame:
    """Read INSEE's communal density grid (*grille communale de densité à 7 niveaux*).

    The CSV export of the official workbook has the columns ``CODGEO, LIBGEO,
    DENS, LIBDENS, PMUN21, P1..P7``; ``P1..P7`` are not kept.

    Returns
    -------
    pandas.DataFrame
        One row per commune: ``insee_com`` (5-character code), ``name``,
        ``density_class`` (int 1-7), ``density_label``, ``rural`` (true for
        classes 5-7, INSEE's rural definition) and ``population`` (float,
        population municipale 2021, NaN when blank).

    Raises
    ------
    LayerValidationError
        Missing columns, missing/malformed/duplicate ``CODGEO``, ``DENS`` not an
        integer from 1 to 7, unparsable ``PMUN21`` (all listed at once).

    Examples
    --------
    Three communes of the INSEE grid: a large urban centre, a small town and a sparsely populated village.

    >>> import pathlib, tempfile
    >>> from coverage.data.layers import read_density_grid
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "grille_densite_7_niveaux.csv"
    >>> _ = path.write_text(
    ...     "CODGEO,LIBGEO,DENS,LIBDENS,PMUN21,P1,P2,P3,P4,P5,P6,P7\\n"
    ...     "75056,Paris,1,Grands centres urbains,2133111,100.0,0.0,0.0,0.0,0.0,0.0,0.0\\n"
    ...     "23096,Guéret,3,Petites villes,12999,0.0,0.0,71.2,0.0,10.1,18.7,0.0\\n"
    ...     "1002,L'Abergement-de-Varey,6,Rural à habitat dispersé,267,0.0,0.0,0.0,0.0,0.0,88.08,11.92\\n",
    ...     encoding="utf-8",
    ... )
    >>> grid = read_density_grid(path)
    >>> grid["insee_com"].tolist(), grid["density_class"].tolist(), grid["rural"].tolist()
    (['75056', '23096', '01002'], [1, 3, 6], [False, False, True])
    """
    source = str(check_path(path))
    raw = read_text_table(path)
    require_columns(raw, _GRID_COLUMNS, source)
    report = LoadReport(source, rows_read=len(raw))
    problems = Problems(source)

    codes = insee_codes(raw["CODGEO"], "CODGEO", problems)
    dens = raw["DENS"].str.strip()
    density = pd.to_numeric(dens.where(dens.str.fullmatch(r"[1-7]")), errors="coerce")
    bad = density.isna()
    if bad.any():
        problems.add_rows(
            row_numbers(raw)[bad.to_numpy()],
            "DENS",
            "density class must be an integer from 1 to 7",
            values=list(raw["DENS"][bad]),
        )
    population = parse_numbers(raw["PMUN21"], "PMUN21", problems, people=True)
    problems.raise_if_any()

    density_class = density.astype(np.int64)
    label = raw["LIBDENS"].str.strip()
    label = label.where(label.ne(""), density_class.map(DENSITY_LABELS))
    frame = pd.DataFrame(
        {
            "insee_com": codes,
            "name": raw["LIBGEO"].str.strip(),
            "density_class": density_class,
            "density_label": label,
            "rural": density_class >= RURAL_MIN_DENSITY_CLASS,
            "population": population,
        }
    )
    report.notes.append(
        "density classes: " + ", ".join(f"{k}: {v}" for k, v in sorted(density_class.value_counts().items()))
    )
    return finish(frame, report)


def read_zrr(path: str | Path) -> pd.DataFrame:
    """Read the ANCT list of communes classed in *zones de revitalisation rurale* (ZRR).

    Expects the CSV export of ``diffusion-zonages-zrr-cog2021.xls`` with the
    columns ``CODGEO, LIBGEO, ZRR_SIMP, ZONAGE_ZRR`` (values such as
    ``'C - Classée en ZRR'``).

    Returns
    -------
    pandas.DataFrame
        One row per commune: ``insee_com``, ``name``, ``zrr`` (``'C'``, ``'NC'``
        or ``'P'``: the code before ``' - '`` in ``ZRR_SIMP``), ``zrr_detail``
        (the code of ``ZONAGE_ZRR``: ``C``, ``A``, ``M``, ``D``, ``P``, ``PA``,
        ``PM``, ``CM`` or ``NC``) and ``in_zrr`` (true for ``C`` and ``P``).

    Raises
    ------
    LayerValidationError
        Missing columns, missing/malformed/duplicate ``CODGEO``, ``ZRR_SIMP``
        codes other than :data:`ZRR_CLASSES` (all listed at once).

    Examples
    --------
    Three communes of the ANCT list: classed, not classed, and partly classed.

    >>> import pathlib, tempfile
    >>> from coverage.data.layers import read_zrr
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "zrr_communes_cog2021.csv"
    >>> _ = path.write_text(
    ...     "CODGEO,LIBGEO,ZRR_SIMP,ZONAGE_ZRR\\n"
    ...     "01001,L'Abergement-Clémenciat,NC - Commune non classée,NC - Commune non classée\\n"
    ...     "23001,Ahun,C - Classée en ZRR,C - Classée en ZRR\\n"
    ...     "64024,Anglet,P - Partiellement classée,PM - Partiellement classée en ZRR (montagne)\\n",
    ...     encoding="utf-8",
    ... )
    >>> zrr = read_zrr(path)
    >>> zrr["zrr"].tolist(), zrr["zrr_detail"].tolist(), zrr["in_zrr"].tolist()
    (['NC', 'C', 'P'], ['NC', 'C', 'PM'], [False, True, True])
    """
    source = str(check_path(path))
    raw = read_text_table(path)
    require_columns(raw, _ZRR_COLUMNS, source)
    report = LoadReport(source, rows_read=len(raw))
    problems = Problems(source)

    codes = insee_codes(raw["CODGEO"], "CODGEO", problems)
    zrr = _code_before_dash(raw["ZRR_SIMP"])
    unknown = ~zrr.isin(list(ZRR_CLASSES))
    if unknown.any():
        problems.add_rows(
            row_numbers(raw)[unknown.to_numpy()],
            "ZRR_SIMP",
            f"unknown ZRR class; expected a value starting with one of {list(ZRR_CLASSES)} followed by ' - '",
            values=list(raw["ZRR_SIMP"][unknown]),
        )
    problems.raise_if_any()

    frame = pd.DataFrame(
        {
            "insee_com": codes,
            "name": raw["LIBGEO"].str.strip(),
            "zrr": zrr,
            "zrr_detail": _code_before_dash(raw["ZONAGE_ZRR"]),
            "in_zrr": zrr.isin(["C", "P"]),
        }
    )
    report.notes.append(
        "ZRR classes: " + ", ".join(f"{k}: {v}" for k, v in sorted(zrr.value_counts().items()))
    )
    return finish(frame, report)


def _code_before_dash(values: pd.Series) -> pd.Series:
    """``'C - Classée en ZRR'`` -> ``'C'`` (a bare code is kept)."""
    return values.str.split(" - ", n=1).str[0].astype(str).str.strip().str.upper()
