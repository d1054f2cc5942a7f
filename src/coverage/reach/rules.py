"""Access rules and distance decay for :func:`coverage.reach.layers.build_reach`.

Import them from here.

A rule says which (demand unit, site) pairs count as "within reach":

=======================  ====================================================
rule                     a pair is within reach when
=======================  ====================================================
:class:`Radius`          the straight-line distance is <= ``metres``
:class:`ZoneRadius`      the distance is <= the radius of the unit's zone
                         (QPV 1 km, urban 5 km, rural 15 km by default)
:class:`TravelTime`      the estimated time ``distance x detour / speed`` is
                         <= ``max_minutes``, the speed depending on the zone
:class:`TravelTimeMatrix`  the user's table has the pair, with minutes <=
                         ``max_minutes`` when that is set
=======================  ====================================================

The zone of a demand unit is ``'qpv'`` when its ``qpv`` flag is set, else
``'rural'`` when its ``rural`` flag is set, else ``'urban'``.

A :class:`Decay` turns each pair's distance (or time) into a coverage weight in
(0, 1], for weighted coverage: a unit 14 km from its nearest site counts less
than one next door.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from coverage.data.layers._common import (
    Problems,
    as_text,
    check_path,
    check_unique,
    parse_numbers,
    read_text_table,
    require_columns,
)
from coverage.errors import LayerValidationError, Problem, out_of_resources

__all__ = [
    "DEFAULT_SPEED_KMH",
    "ZONES",
    "Decay",
    "Radius",
    "Rule",
    "TravelTime",
    "TravelTimeMatrix",
    "ZoneRadius",
    "read_travel_times",
]

FloatArray = npt.NDArray[np.float64]
Zone = Literal["qpv", "urban", "rural"]
#: Zone names, in the order a unit's flags are tested (qpv first, then rural, else urban).
ZONES: tuple[Zone, ...] = ("qpv", "urban", "rural")

#: Door-to-door speeds (km/h) assumed by :class:`TravelTime`; scenario assumptions, not
#: measurements. QPV: the public of the advisors often has no car (bus, tram, walking);
#: urban: car or bus in town traffic; rural: car on departmental roads.
DEFAULT_SPEED_KMH: Mapping[str, float] = MappingProxyType({"qpv": 15.0, "urban": 30.0, "rural": 50.0})


def _settings_error(rule: str, column: str, message: str) -> LayerValidationError:
    return LayerValidationError(Problem(f"{rule} rule", message, column=column))


def _check_positive(rule: str, name: str, value: object) -> None:
    number = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else math.nan
    if not math.isfinite(number) or number <= 0:
        raise _settings_error(rule, name, f"{name} must be a finite number > 0 (received {value!r})")


@dataclass(frozen=True)
class Radius:
    """Sites within ``metres`` (straight line, in the territory's metric CRS)."""

    metres: float

    def __post_init__(self) -> None:
        _check_positive("radius", "metres", self.metres)

    def describe(self) -> str:
        return f"within {self.metres:g} m"


@dataclass(frozen=True)
class ZoneRadius:
    """One radius (metres) per zone type of the demand unit.

    Defaults follow the issue's example: 1 km in a QPV (walking distance in a
    dense neighbourhood), 5 km elsewhere in town, 15 km in rural communes.
    Needs boolean ``qpv`` and ``rural`` columns on the demand units
    (:func:`coverage.inputs.demand.build_demand` makes them).
    """

    qpv: float = 1000.0
    urban: float = 5000.0
    rural: float = 15000.0

    def __post_init__(self) -> None:
        for zone in ZONES:
            _check_positive("zone radius", zone, getattr(self, zone))

    def by_zone(self) -> dict[str, float]:
        """Radius in metres of each zone."""
        return {zone: float(getattr(self, zone)) for zone in ZONES}

    def describe(self) -> str:
        return "within " + ", ".join(f"{getattr(self, z):g} m ({z})" for z in ZONES)


@dataclass(frozen=True)
class TravelTime:
    """Travel time estimated from the straight-line distance.

    ``minutes = distance_km x detour / speed_kmh[zone] x 60``, with the speed
    of the demand unit's zone; pairs with ``minutes <= max_minutes`` are kept.

    Parameters
    ----------
    max_minutes
        Longest acceptable trip.
    detour
        Road distance over straight-line distance. 1.3 is the usual circuity
        of road networks at the scale of a department (1.2 to 1.4 in studies).
    speed_kmh
        Door-to-door speed per zone; zones left out keep :data:`DEFAULT_SPEED_KMH`
        (QPV 15, urban 30, rural 50 km/h).
    """

    max_minutes: float
    detour: float = 1.3
    speed_kmh: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SPEED_KMH))

    def __post_init__(self) -> None:
        _check_positive("travel time", "max_minutes", self.max_minutes)
        _check_positive("travel time", "detour", self.detour)
        if self.detour < 1:
            raise _settings_error(
                "travel time",
                "detour",
                f"detour must be >= 1 (received {self.detour}): "
                "a road is never shorter than the straight line",
            )
        unknown = sorted(set(self.speed_kmh) - set(ZONES))
        if unknown:
            raise _settings_error(
                "travel time",
                "speed_kmh",
                f"unknown zones {unknown}; speeds are given for {', '.join(ZONES)}",
            )
        speeds = {**DEFAULT_SPEED_KMH, **self.speed_kmh}
        for zone in ZONES:
            _check_positive("travel time", f"speed_kmh['{zone}']", speeds[zone])
        object.__setattr__(self, "speed_kmh", {zone: float(speeds[zone]) for zone in ZONES})

    def __hash__(self) -> int:
        return hash((self.max_minutes, self.detour, tuple(self.speed_kmh.items())))

    def radius_by_zone(self) -> dict[str, float]:
        """Straight-line radius (metres) reachable within ``max_minutes`` in each zone."""
        return {z: self.max_minutes * self.metres_per_minute(z) / self.detour for z in ZONES}

    def metres_per_minute(self, zone: str) -> float:
        return self.speed_kmh[zone] * 1000.0 / 60.0

    def describe(self) -> str:
        speeds = "/".join(f"{self.speed_kmh[z]:g}" for z in ZONES)
        return f"within {self.max_minutes:g} min at {speeds} km/h ({'/'.join(ZONES)}), detour {self.detour:g}"


@dataclass(frozen=True, eq=False)
class TravelTimeMatrix:
    """Travel times supplied by the user: a CSV or Parquet file, or a DataFrame.

    One row per (demand unit, site) pair with a path: ``origin`` holds demand
    unit ids, ``destination`` site ids, ``minutes`` the travel time. Pairs
    absent from the table are out of reach. CSV files may use ``,`` ``;`` or
    tab separators and a decimal comma. See :func:`read_travel_times`.
    """

    table: str | Path | pd.DataFrame
    max_minutes: float | None = None
    origin: str = "origin"
    destination: str = "destination"
    minutes: str = "minutes"

    def __post_init__(self) -> None:
        if self.max_minutes is not None:
            _check_positive("travel-time matrix", "max_minutes", self.max_minutes)

    @property
    def source(self) -> str:
        return "travel-time table" if isinstance(self.table, pd.DataFrame) else str(self.table)

    def describe(self) -> str:
        limit = "" if self.max_minutes is None else f", within {self.max_minutes:g} min"
        return f"travel times from {self.source}{limit}"


Rule: TypeAlias = Radius | ZoneRadius | TravelTime | TravelTimeMatrix


@dataclass(frozen=True)
class Decay:
    """Coverage weight of a pair from its distance ``d`` (in the reach's unit, m or min).

    =============  =================================================  ==================
    kind           weight                                             ``scale`` is
    =============  =================================================  ==================
    linear         ``1 - d / scale``                                  where it reaches 0
    power          ``min(1, (d / scale) ** -beta)``                   where it starts to fall
    exponential    ``exp(-d / scale)``                                where it is 1/e (0.37)
    =============  =================================================  ==================

    Weights lie in (0, 1]; pairs whose weight would be 0 (linear, ``d >= scale``)
    are dropped from the reach. Without ``scale``, linear decay falls to 0 at the
    edge of the access rule: at each unit's own radius for :class:`Radius` and
    :class:`ZoneRadius`, at ``max_minutes`` for the travel-time rules.
    """

    kind: Literal["linear", "power", "exponential"]
    scale: float | None = None
    beta: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("linear", "power", "exponential"):
            raise _settings_error(
                "decay",
                "kind",
                f"unknown decay kind {self.kind!r}; choose 'linear', 'power' or 'exponential'",
            )
        if self.scale is not None:
            _check_positive("decay", "scale", self.scale)
        elif self.kind != "linear":
            raise _settings_error(
                "decay",
                "scale",
                f"{self.kind} decay needs a scale (distance in the reach's unit, metres or minutes)",
            )
        if self.beta is not None:
            if self.kind != "power":
                raise _settings_error("decay", "beta", f"beta applies to power decay only, not {self.kind}")
            _check_positive("decay", "beta", self.beta)

    def weights(self, dist: npt.ArrayLike, *, limit: float | npt.ArrayLike | None = None) -> FloatArray:
        """Weight of each distance; ``limit`` is the linear decay's default scale (per pair or one)."""
        d = np.asarray(dist, dtype=np.float64)
        if self.kind == "linear":
            scale = self.scale if self.scale is not None else limit
            if scale is None:
                raise _settings_error(
                    "decay",
                    "scale",
                    "linear decay needs a scale here: the access rule "
                    "has no maximum distance (set max_minutes, or Decay(scale=...))",
                )
            return np.clip(1.0 - d / np.asarray(scale, dtype=np.float64), 0.0, 1.0)
        scale = float(self.scale or 1.0)  # set for power and exponential (__post_init__)
        if self.kind == "power":
            beta = 1.0 if self.beta is None else self.beta
            return np.asarray(np.maximum(d / scale, 1.0) ** -beta, dtype=np.float64)
        return np.exp(-d / scale)

    def describe(self) -> str:
        scale = "rule limit" if self.scale is None else f"{self.scale:g}"
        beta = "" if self.beta is None else f", beta {self.beta:g}"
        return f"{self.kind} decay (scale {scale}{beta})"


def read_travel_times(
    table: str | Path | pd.DataFrame,
    *,
    origin: str = "origin",
    destination: str = "destination",
    minutes: str = "minutes",
) -> pd.DataFrame:
    """Read and check a travel-time table.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``destination`` (text ids) and ``minutes`` (float),
        one row per pair, in file order.

    Raises
    ------
    LayerValidationError
        A column is missing (the message lists those present); an id is
        missing; minutes are not a number or negative; a pair is repeated.
        Every problem names its 1-based data row.

    Examples
    --------
    A ``;``-separated CSV as a French spreadsheet saves it, with a decimal comma:

    >>> import pathlib, tempfile
    >>> from coverage.reach.rules import read_travel_times
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "travel_times.csv"
    >>> _ = path.write_text(
    ...     "origin;destination;minutes\\n"
    ...     "com:23096;mairie:23096;4,5\\n"
    ...     "com:23096;mairie:23001;22\\n"
    ...     "com:23001;mairie:23001;3\\n",
    ...     encoding="utf-8",
    ... )
    >>> table = read_travel_times(path)
    >>> table.columns.tolist(), len(table)
    (['origin', 'destination', 'minutes'], 3)
    >>> table["minutes"].tolist()
    [4.5, 22.0, 3.0]
    """
    source = "travel-time table" if isinstance(table, pd.DataFrame) else str(table)
    if isinstance(table, pd.DataFrame):
        frame = table
    elif Path(table).suffix.lower() in (".parquet", ".pq"):
        frame = _read_parquet(Path(table))
    else:
        frame = read_text_table(table)
    frame = frame.reset_index(drop=True)
    require_columns(frame, [origin, destination, minutes], source)
    problems = Problems(source)
    ids = {}
    for column in (origin, destination):
        ids[column] = id_text(frame[column])
        missing = np.flatnonzero(ids[column].eq("").to_numpy())
        problems.add_rows(missing + 1, column, "id is missing")
    values = _minutes(frame[minutes], minutes, problems)
    negative = np.flatnonzero(values < 0)
    problems.add_rows(negative + 1, minutes, "minutes must be >= 0", values=list(values[negative]))
    pairs = pd.DataFrame({"origin": ids[origin], "destination": ids[destination], "minutes": values})
    repeated = np.flatnonzero(pairs.duplicated(["origin", "destination"], keep="first").to_numpy())
    for i in repeated[:50]:
        problems.add(
            f"pair ({pairs['origin'][i]!r}, {pairs['destination'][i]!r}) is repeated; "
            "keep one travel time per pair",
            row=int(i) + 1,
        )
    if len(repeated) > 50:
        problems.add(f"... and {len(repeated) - 50} more repeated pairs")
    problems.raise_if_any()
    return pairs


# -- what the rules read from the layers -------------------------------------


def layer_ids(frame: pd.DataFrame, column: str, layer: str) -> npt.NDArray[np.object_]:
    """The text ids of a layer; missing and repeated ids are errors naming their rows."""
    require_columns(frame, [column], layer)
    ids = id_text(frame[column])
    problems = Problems(layer)
    problems.add_rows(np.flatnonzero(ids.eq("").to_numpy()) + 1, column, "id is missing")
    check_unique(ids, column, problems)
    problems.raise_if_any()
    return ids.to_numpy(dtype=object)


def zone_index(demand: pd.DataFrame, by_zone: Mapping[str, float], rule: str) -> npt.NDArray[np.int64]:
    """Index in :data:`ZONES` of each unit's zone; flags are read only when the zones differ."""
    if len(set(by_zone.values())) == 1:
        return np.zeros(len(demand), dtype=np.int64)
    missing = [c for c in ("qpv", "rural") if c not in demand.columns]
    if missing:
        raise LayerValidationError(
            Problem(
                "demand",
                f"missing column(s) {', '.join(repr(c) for c in missing)}: the {rule} rule needs "
                "boolean 'qpv' and 'rural' columns (coverage.build_demand makes them), or use Radius(metres)",
            )
        )
    problems = Problems("demand")
    flags = {c: _flag(demand[c].reset_index(drop=True), c, problems) for c in ("qpv", "rural")}
    problems.raise_if_any()
    return np.where(flags["qpv"], 0, np.where(flags["rural"], 2, 1)).astype(np.int64)


_TRUE = {"true", "1", "1.0", "yes", "oui", "vrai"}
_FALSE = {"false", "0", "0.0", "no", "non", "faux"}


def _flag(values: pd.Series, column: str, problems: Problems) -> npt.NDArray[np.bool_]:
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return values.to_numpy(dtype=bool)
    text = values.astype(str).str.strip().str.lower()
    bad = ~(text.isin(_TRUE) | text.isin(_FALSE)) | values.isna()
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        problems.add_rows(rows[:20] + 1, column, "expected True or False", values=list(values[rows[:20]]))
    return text.isin(_TRUE).to_numpy()


def _read_parquet(path: Path) -> pd.DataFrame:
    check_path(path)
    try:
        return pd.read_parquet(path, use_threads=False)
    except Exception as exc:  # pyarrow raises several unrelated classes
        if out_of_resources(exc):
            raise
        raise LayerValidationError(Problem(str(path), f"cannot be read as Parquet: {exc}")) from None


def _minutes(values: pd.Series, column: str, problems: Problems) -> FloatArray:
    """Minutes as floats; numbers stay numbers, text is parsed (a decimal comma is accepted)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        problems.add_rows(np.flatnonzero(np.isnan(numbers)) + 1, column, "value is missing")
        problems.add_rows(np.flatnonzero(np.isinf(numbers)) + 1, column, "not a finite number")
        return numbers
    text = values.where(values.notna(), "").astype(str)
    quick = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isfinite(quick).all():  # plain numbers: skip the slower French-aware parser
        return quick
    return parse_numbers(text, column, problems, french=True, allow_missing=False)


def id_text(values: pd.Series) -> pd.Series:
    """Ids as text: ``1.0`` (a float column) becomes ``'1'``, missing becomes ``''``."""
    missing = values.isna().to_numpy()
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "integer", "empty"):
        text = values.astype(str)
    else:  # floats, or a mix of types: 1.0 -> '1'
        text = values.map(as_text).astype(str)
    text = text.str.strip().where(~missing, "")
    return text.reset_index(drop=True)
