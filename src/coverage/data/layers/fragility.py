"""La Mednum's *indice de fragilité numérique* (2020), per IRIS or per commune.

Scores are indices centred on 100; **higher means more fragile** (a score above
100 means a higher risk of digital exclusion than the reference).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from coverage.data.layers._common import (
    LoadReport,
    Problems,
    check_path,
    check_unique,
    finish,
    insee_codes,
    parse_numbers,
    read_text_table,
    require_columns,
    row_numbers,
)
from coverage.errors import LayerValidationError, Problem

__all__ = ["SCORE_COLUMNS", "fragility_by_commune", "read_fragility_index"]

#: Official column name (typos kept, trailing space stripped) -> output column.
SCORE_COLUMNS = {
    "SCORE GLOBAL": "score_global",
    "ACCES A L'INFORMATION": "access_information",
    "ACCÈS AUX INTERFACES NUMERIQUES": "access_interfaces",
    "COMPETENCES ADMINISTATIVES": "skills_administrative",
    "COMPÉTENCES NUMÉRIQUES / SCOLAIRES": "skills_digital",
    "GLOBAL ACCES": "global_access",
    "GLOBAL COMPETENCES": "global_skills",
}

_IRIS_COLUMNS = ["code_iris", "nom_com", "nom_iris", "Population", *SCORE_COLUMNS]
_COMMUNE_COLUMNS = ["code_commune", "nom_com", "n_iris", "population", *SCORE_COLUMNS]
_IRIS_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})\d{4}$")
_OUTPUT = [
    "code",
    "level",
    "insee_com",
    "name",
    "commune_name",
    "population",
    *SCORE_COLUMNS.values(),
]


def read_fragility_index(path: str | Path) -> pd.DataFrame:
    """Read the Mednum digital-fragility index, per IRIS or per commune.

    The level is detected from the header: a ``code_iris`` column means the
    IRIS file (``code_iris, nom_com, nom_iris, ..., Population, SCORE GLOBAL``),
    a ``code_commune`` column the commune file (``code_commune, nom_com,
    n_iris, population, ...``). Column names are compared without surrounding
    spaces (the IRIS file has ``'SCORE GLOBAL '``).

    Returns
    -------
    pandas.DataFrame
        One row per IRIS or commune: ``code`` (9-character IRIS code or
        5-character INSEE code), ``level`` (``'iris'`` or ``'commune'``),
        ``insee_com`` (first 5 characters of ``code``), ``name`` (IRIS or
        commune name), ``commune_name``, ``population`` (float, may be
        fractional) and the float scores ``score_global, access_information,
        access_interfaces, skills_administrative, skills_digital,
        global_access, global_skills`` (NaN where the file has none; the
        count is in the load report's notes).

    Raises
    ------
    LayerValidationError
        Neither code column, missing columns, malformed or duplicate codes,
        unparsable or negative numbers (all listed at once).

    Examples
    --------
    Two IRIS of the Mednum file, whose header ends with ``'SCORE GLOBAL '``; the code that lost its
    leading zero gets it back.

    >>> import pathlib, tempfile
    >>> from coverage.data.layers import read_fragility_index
    >>> header = (
    ...     "code_iris,nom_com,nom_iris,Classement de SCORE GLOBAL region 1,ACCES A L'INFORMATION,"
    ...     "ACCÈS AUX INTERFACES NUMERIQUES,COMPETENCES ADMINISTATIVES,COMPÉTENCES NUMÉRIQUES / SCOLAIRES,"
    ...     "GLOBAL ACCES,GLOBAL COMPETENCES,Population,SCORE GLOBAL "
    ... )
    >>> rows = [
    ...     "10010000,L'Abergement-Clémenciat,L'Abergement-Clémenciat,39632,53,104,75,91,70,86,767.0,78.0",
    ...     "230960101,Guéret,Centre,1200,130.0,112.0,121.0,118.0,124.0,119.0,2310.5,122.0",
    ... ]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "indice_fragilite_iris.csv"
    >>> _ = path.write_text("\\n".join([header, *rows]), encoding="utf-8")
    >>> index = read_fragility_index(path)
    >>> index["code"].tolist(), index["insee_com"].tolist(), index["level"].tolist()
    (['010010000', '230960101'], ['01001', '23096'], ['iris', 'iris'])
    >>> index["score_global"].tolist()
    [78.0, 122.0]
    """
    source = str(check_path(path))
    raw = read_text_table(path)
    level: Literal["iris", "commune"]
    if "code_iris" in raw.columns:
        level = "iris"
        require_columns(raw, _IRIS_COLUMNS, source)
    elif "code_commune" in raw.columns:
        level = "commune"
        require_columns(raw, _COMMUNE_COLUMNS, source)
    else:
        raise LayerValidationError(
            Problem(
                source,
                "neither a 'code_iris' column (Mednum IRIS file) nor a 'code_commune' column "
                f"(commune file); columns present: {', '.join(map(str, raw.columns[:12]))}",
            )
        )
    report = LoadReport(source, rows_read=len(raw))
    report.notes.append(f"{level}-level file")
    problems = Problems(source)

    if level == "iris":
        code_column, population_column = "code_iris", "Population"
        codes = raw[code_column].str.strip().str.upper()
        codes = codes.where(~codes.str.fullmatch(r"\d{8}"), "0" + codes)
        bad = ~codes.str.match(_IRIS_CODE)
        if bad.any():
            problems.add_rows(
                row_numbers(raw)[bad.to_numpy()],
                code_column,
                "not an IRIS code (9 characters such as '010010000' or '2A0040101')",
                values=list(raw[code_column][bad]),
            )
        check_unique(codes, code_column, problems)
        names = raw["nom_iris"].str.strip()
    else:
        code_column, population_column = "code_commune", "population"
        codes = insee_codes(raw[code_column], code_column, problems)
        names = raw["nom_com"].str.strip()

    population = parse_numbers(raw[population_column], population_column, problems)
    negative = population < 0
    if negative.any():
        problems.add_rows(
            row_numbers(raw)[negative].tolist(),
            population_column,
            "population cannot be negative",
            values=list(raw[population_column][negative]),
        )
    scores = {
        output: parse_numbers(raw[column], column, problems) for column, output in SCORE_COLUMNS.items()
    }
    problems.raise_if_any()

    frame = pd.DataFrame(
        {
            "code": codes,
            "level": level,
            "insee_com": codes.str[:5],
            "name": names,
            "commune_name": raw["nom_com"].str.strip(),
            "population": population,
            **scores,
        }
    )
    null_scores = int(np.isnan(scores["score_global"]).sum())
    report.notes.append(f"{null_scores} rows without a global score")
    for output, values in scores.items():
        if output != "score_global" and np.isnan(values).sum() != null_scores:
            report.notes.append(f"{int(np.isnan(values).sum())} rows without {output}")
    missing_population = int(np.isnan(population).sum())
    if missing_population:
        report.notes.append(f"{missing_population} rows without a population")
    return finish(frame, report)


def fragility_by_commune(frame: pd.DataFrame) -> pd.DataFrame:
    """Aggregate an IRIS-level index to communes by population-weighted means.

    Each score of a commune is the mean of its IRIS scores weighted by their
    population, over the IRIS that have that score; it is NaN when that
    population is zero (as for the Meuse villages destroyed in 1916). A weighted
    mean of indices is an approximation, not an official Mednum figure.

    Parameters
    ----------
    frame
        Output of :func:`read_fragility_index`. A commune-level frame is
        returned unchanged.

    Returns
    -------
    pandas.DataFrame
        Same columns as :func:`read_fragility_index`, one row per
        ``insee_com``, with ``level == 'commune'``, ``code == insee_com``,
        ``name == commune_name`` and ``population`` the sum over the IRIS.

    Examples
    --------
    Guéret's two IRIS, of 3,000 and 1,000 inhabitants, make one commune scored 0.75 × 120 + 0.25 × 80.

    >>> import pathlib, tempfile
    >>> from coverage.data.layers import fragility_by_commune, read_fragility_index
    >>> header = (
    ...     "code_iris,nom_com,nom_iris,Classement de SCORE GLOBAL region 1,ACCES A L'INFORMATION,"
    ...     "ACCÈS AUX INTERFACES NUMERIQUES,COMPETENCES ADMINISTATIVES,COMPÉTENCES NUMÉRIQUES / SCOLAIRES,"
    ...     "GLOBAL ACCES,GLOBAL COMPETENCES,Population,SCORE GLOBAL "
    ... )
    >>> rows = [
    ...     "230960101,Guéret,Centre,1200,130.0,112.0,121.0,118.0,124.0,119.0,3000.0,120.0",
    ...     "230960102,Guéret,Nord,30000,70.0,90.0,80.0,82.0,78.0,81.0,1000.0,80.0",
    ...     "230010000,Ahun,Ahun,21000,95.0,101.0,99.0,97.0,98.0,98.0,1432.0,98.0",
    ... ]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "indice_fragilite_iris.csv"
    >>> _ = path.write_text("\\n".join([header, *rows]), encoding="utf-8")
    >>> communes = fragility_by_commune(read_fragility_index(path))
    >>> communes["code"].tolist(), communes["population"].tolist(), communes["score_global"].tolist()
    (['23001', '23096'], [1432.0, 4000.0], [98.0, 110.0])
    """
    missing = [c for c in _OUTPUT if c not in frame.columns]
    if missing:
        raise LayerValidationError(
            f"missing columns {missing}; pass the output of read_fragility_index",
            source="fragility frame",
        )
    levels = set(frame["level"])
    if levels == {"commune"}:
        return frame
    if levels != {"iris"}:
        raise LayerValidationError(
            f"expected one level, 'iris' or 'commune', got {sorted(levels)}",
            source="fragility frame",
        )
    weight = frame["population"].fillna(0.0).clip(lower=0.0)
    groups = frame["insee_com"]
    columns: dict[str, pd.Series] = {
        "commune_name": frame.groupby(groups, sort=True)["commune_name"].first(),
        "population": frame["population"].groupby(groups, sort=True).sum(min_count=1),
    }
    for score in SCORE_COLUMNS.values():
        values = frame[score]
        used = weight.where(values.notna(), 0.0)
        weighted = (values.fillna(0.0) * used).groupby(groups, sort=True).sum()
        total = used.groupby(groups, sort=True).sum()
        columns[score] = weighted / total.where(total > 0)
    communes = pd.DataFrame(columns).rename_axis("insee_com").reset_index()
    communes["code"] = communes["insee_com"]
    communes["level"] = "commune"
    communes["name"] = communes["commune_name"]
    communes = communes[_OUTPUT]
    communes.attrs = {}
    return communes
