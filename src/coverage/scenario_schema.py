"""Schema of scenario files: one pydantic model per TOML table.

:mod:`coverage.scenario` reads, merges and validates the files; this module
says what a resolved scenario holds and turns each table into the library's
own records (:class:`~coverage.partners.Partner`,
:class:`~coverage.rules.DepartmentRules`, :class:`~coverage.solver.SolverOptions`,
the access rules of :mod:`coverage.reach_rules`, ...).

Every table forbids unknown keys, numbers are strict (``"12"`` is not 12), and
cross-table checks (sharing names, horizon order, objective parameters) are
collected into the validation context's ``problems`` list when the loader asks,
so that one message lists every problem of a file.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from coverage.demand import DEFAULT_ILLECTRONISME_RATE
from coverage.partners import Horizon, Partner, Sharing
from coverage.reach_rules import Decay, Radius, Rule, TravelTime, TravelTimeMatrix, ZoneRadius
from coverage.rules import DepartmentRules
from coverage.solver import SolverOptions

__all__ = [
    "ACCESS_DEFAULTS",
    "SITE_SOURCES",
    "TABLES",
    "AccessSpec",
    "DecaySpec",
    "DemandSpec",
    "HorizonSpec",
    "ObjectiveSpec",
    "PartnerSpec",
    "RulesSpec",
    "Scenario",
    "SiteLayerSpec",
    "SolverSpec",
    "TerritorySpec",
    "closest",
    "is_path_like",
]

#: Site sources known by name: official files of :mod:`coverage.catalogue` and the embedded town halls.
SITE_SOURCES = (
    "laposte_points",
    "france_services_2024",
    "france_services_2020",
    "cnfs_structures_2021",
    "mediation_places_2022",
    "cnfs_partner_permanences_2022",
    "town_halls",
)

#: Keys each access rule takes, with their defaults (None: no default).
ACCESS_DEFAULTS: Mapping[str, Mapping[str, object]] = {
    "radius": {"metres": 10_000.0},
    "zone_radius": {"qpv": 1_000.0, "urban": 5_000.0, "rural": 15_000.0},
    "travel_time": {"max_minutes": 20.0, "detour": 1.3},
    "travel_time_matrix": {"table": None, "max_minutes": None},
}

_DEPARTMENT = re.compile(r"^(0[1-9]|1[0-9]|2[1-9]|2A|2B|[3-8][0-9]|9[0-5]|97[1-8])$")


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """Hint for an unknown name: ``"did you mean `x`?"`` or the list of valid names."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if match:
        return f"did you mean `{match[0]}`?"
    return "valid: " + (", ".join(f"`{c}`" for c in choices) if choices else "none")


def is_path_like(source: str) -> bool:
    """Whether a site ``source`` is a file path (has a folder or a suffix) rather than a name."""
    return "/" in source or "\\" in source or Path(source).suffix != ""


def _department(value: object) -> str:
    code = f"{value:02d}" if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(code, str) or not _DEPARTMENT.match(code.strip().upper()):
        raise ValueError(
            f"invalid department code {value!r}: expected '01'..'95', '2A', '2B' or '971'..'978'"
        )
    return code.strip().upper()


def _per_department(value: object) -> object:
    """Check a quota: a number >= 0, or a table of department code -> number."""
    if value is None:
        return None
    numbers = value.items() if isinstance(value, dict) else [("", value)]
    out: dict[str, int | float] = {}
    for code, number in numbers:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(f"expected a number or a table of department -> number, got {number!r}")
        if not number >= 0:
            raise ValueError(f"must be >= 0, got {number!r}")
        if code:
            out[_department(code)] = number
    return out if isinstance(value, dict) else value


def _share(value: object) -> object:
    value = _per_department(value)
    numbers = value.values() if isinstance(value, dict) else [] if value is None else [value]
    for number in numbers:
        if isinstance(number, int | float) and number > 1:
            raise ValueError(f"min_share is a share in [0, 1], got {number!r}")
    return value


def _date(value: object) -> object:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a date: {value!r}; write it as YYYY-MM-DD") from None
    return value


PerDepartment = Annotated[int | float | dict[str, int | float] | None, BeforeValidator(_per_department)]
Share = Annotated[int | float | dict[str, int | float] | None, BeforeValidator(_share)]
Date = Annotated[dt.date, BeforeValidator(_date)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TerritorySpec(_Table):
    """``[territory]``: ``departments = ["23", "87"]`` or ``"all"``."""

    departments: Literal["all"] | list[str] = "all"

    @field_validator("departments", mode="before")
    @classmethod
    def _codes(cls, value: object) -> object:
        if isinstance(value, list):
            return [_department(code) for code in value]
        if value != "all":
            raise ValueError(f'expected "all" or a list of department codes, got {value!r}')
        return value


class DemandSpec(_Table):
    """``[demand]``: the parameters of :func:`coverage.demand.build_demand`.

    ``qpv_units`` splits QPV residents out of their communes: ``"none"``,
    ``"demography"`` (INSEE QPV demography file; QPV units at their commune's
    point) or ``"polygons"`` (also the QPV polygons, which place units and
    give sites their "in or near a QPV" flag). ``rurality`` is ``"embedded"``
    (an approximation from commune density) or ``"density_grid"`` (INSEE's
    grid, classes 5-7 rural). The official files come from the data folder.

    ``source`` replaces the communes' units with those of a file (CSV with
    ``lon_column``/``lat_column``, GeoJSON, GeoPackage with ``layer``, zipped
    shapefile; see :func:`coverage.demand.demand_from_file`): relative paths
    are looked up next to the scenario file, then in the data folder. The
    file's ``need_column`` is the need as is (``illectronisme_rate`` and the
    multipliers do not apply; default ``"need"``), ``id_column`` the unique
    unit ids (``"unit_id"``), ``name_column`` the names (``"name"``; the ids
    when absent), ``qpv_column`` an optional in-QPV flag (``lon_column`` and
    ``lat_column`` default to ``"longitude"`` and ``"latitude"``). A source
    excludes ``qpv_units`` and ``use_fragility``; ``rurality`` applies.
    """

    illectronisme_rate: float = Field(default=DEFAULT_ILLECTRONISME_RATE, ge=0, le=1)
    qpv_multiplier: float = Field(default=1.5, ge=0)
    rural_multiplier: float = Field(default=1.2, ge=0)
    use_fragility: bool = False
    qpv_units: Literal["none", "demography", "polygons"] = "none"
    rurality: Literal["embedded", "density_grid"] = "embedded"
    source: str | None = Field(default=None, min_length=1)
    id_column: str | None = Field(default=None, min_length=1)
    need_column: str | None = Field(default=None, min_length=1)
    name_column: str | None = Field(default=None, min_length=1)
    qpv_column: str | None = Field(default=None, min_length=1)
    lon_column: str | None = Field(default=None, min_length=1)
    lat_column: str | None = Field(default=None, min_length=1)
    layer: str | None = Field(default=None, min_length=1)

    @field_validator("source")
    @classmethod
    def _file_source(cls, value: str | None) -> str | None:
        if value is not None and not is_path_like(value):
            raise ValueError(f"expected a file path such as 'demand.csv' or 'data/units.gpkg', got {value!r}")
        return value

    #: Keys that only apply with a ``source``.
    FILE_KEYS: ClassVar[tuple[str, ...]] = (
        "id_column",
        "need_column",
        "name_column",
        "qpv_column",
        "lon_column",
        "lat_column",
        "layer",
    )


class SiteLayerSpec(_Table):
    """``[sites.<layer>]``: one layer of candidate sites.

    ``source`` is a name of :data:`SITE_SOURCES` or a file path (relative
    paths are looked up next to the scenario file, then in the data folder);
    ``partner`` owns the premises (the layer
    name by default); ``kinds`` keeps those kinds only (all when empty);
    ``owners`` keeps the sites of those partners only, for sources that tell
    the owner site by site (the mediation places); ``eligible_only`` keeps
    sites in or near a QPV or in a rural commune.

    ``shortlist = N`` keeps, before the main model, the N sites of this layer
    that reach the most need (a maximal-coverage solve over this layer alone),
    spread over exactly ``shortlist_departments`` departments when given: the
    founding case's 400 offices in 57 departments.
    """

    source: str
    partner: str = Field(min_length=1)
    kinds: list[str] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list)
    capacity: int = Field(default=1, ge=1)
    eligible_only: bool = False
    shortlist: int | None = Field(default=None, ge=1)
    shortlist_departments: int | None = Field(default=None, ge=1)

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if not is_path_like(value) and value not in SITE_SOURCES:
            raise ValueError(
                f"unknown site source {value!r}; {closest(value, SITE_SOURCES)} "
                "(or give a file path such as 'sites.csv')"
            )
        return value


class PartnerSpec(_Table):
    """``[partners.<name>]``: see :class:`coverage.partners.Partner`."""

    advisors: int = Field(ge=0)
    slots_per_advisor: int = Field(default=1, ge=1)
    people_per_slot_month: float = Field(default=40.0, gt=0)
    max_slots_per_site: int | None = Field(default=None, ge=1)


class DecaySpec(_Table):
    """``[access.decay]``: see :class:`coverage.reach_rules.Decay`."""

    kind: Literal["linear", "power", "exponential"]
    scale: float | None = Field(default=None, gt=0)
    beta: float | None = Field(default=None, gt=0)


class AccessSpec(_Table):
    """``[access]``: the access rule and its settings (see :data:`ACCESS_DEFAULTS`)."""

    rule: Literal["radius", "zone_radius", "travel_time", "travel_time_matrix"] = "radius"
    metres: float | None = Field(default=None, gt=0)
    qpv: float | None = Field(default=None, gt=0)
    urban: float | None = Field(default=None, gt=0)
    rural: float | None = Field(default=None, gt=0)
    max_minutes: float | None = Field(default=None, gt=0)
    detour: float | None = Field(default=None, ge=1)
    table: str | None = None
    decay: DecaySpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _rule_keys(cls, value: object) -> object:
        if not isinstance(value, dict) or value.get("rule", "radius") not in ACCESS_DEFAULTS:
            return value
        rule = value.get("rule", "radius")
        takes = ACCESS_DEFAULTS[rule]
        foreign = [key for key in value if key in cls.model_fields and key not in (*takes, "rule", "decay")]
        if foreign:
            raise ValueError(
                f"{', '.join(f'`{k}`' for k in foreign)} does not apply to rule {rule!r}, "
                f"which takes: {', '.join(takes)}"
            )
        defaults = {key: v for key, v in takes.items() if v is not None and key not in value}
        return {"rule": rule, **value, **defaults}


class ObjectiveSpec(_Table):
    """``[objective]``: the model and its size (``max_sites``, ``p``) or ``target``."""

    model: Literal["maximal_coverage", "set_cover", "staffing", "p_median", "p_center"] = "maximal_coverage"
    max_sites: int | None = Field(default=None, ge=1)
    p: int | None = Field(default=None, ge=1)
    target: float | None = Field(default=None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _default_size(cls, value: object) -> object:
        if isinstance(value, dict) and value.get("model", "maximal_coverage") == "maximal_coverage":
            return {"max_sites": 10, **value}
        return value


class RulesSpec(_Table):
    """``[rules]``: see :class:`coverage.rules.DepartmentRules`."""

    min_sites: PerDepartment = None
    max_sites: PerDepartment = None
    min_advisors: PerDepartment = None
    max_advisors: PerDepartment = None
    serve_exactly: int | None = Field(default=None, ge=0)
    min_share: Share = None
    maximise_min_share: bool = False


class HorizonSpec(_Table):
    """``[horizon]``: see :class:`coverage.partners.Horizon`."""

    start: Date = dt.date(2022, 1, 1)
    until: Date = dt.date(2023, 12, 31)
    target: float | None = Field(default=None, ge=0)


class SolverSpec(_Table):
    """``[solver]``: see :class:`coverage.solver.SolverOptions`."""

    solver: Literal["auto", "cbc", "highs"] = "auto"
    time_limit: float | None = Field(default=None, gt=0)
    gap: float | None = Field(default=None, ge=0, lt=1)
    threads: int | None = Field(default=None, ge=1)


def _town_halls() -> dict[str, SiteLayerSpec]:
    return {"mairie": SiteLayerSpec(source="town_halls", partner="mairie")}


class Scenario(_Table):
    """A fully resolved scenario: every table present, defaults filled, paths absolute."""

    name: str = Field(min_length=1)
    description: str = ""
    territory: TerritorySpec = Field(default_factory=TerritorySpec)
    demand: DemandSpec = Field(default_factory=DemandSpec)
    sites: dict[str, SiteLayerSpec] = Field(default_factory=_town_halls)
    partners: dict[str, PartnerSpec] = Field(default_factory=dict)
    sharing: dict[str, list[str]] = Field(default_factory=dict)
    access: AccessSpec = Field(default_factory=AccessSpec)
    objective: ObjectiveSpec = Field(default_factory=ObjectiveSpec)
    rules: RulesSpec = Field(default_factory=RulesSpec)
    horizon: HorizonSpec = Field(default_factory=HorizonSpec)
    solver: SolverSpec = Field(default_factory=SolverSpec)

    @model_validator(mode="before")
    @classmethod
    def _layer_partner(cls, value: object) -> object:
        if isinstance(value, dict) and isinstance(value.get("sites"), dict):
            sites = {
                name: {"partner": name, **layer} if isinstance(layer, dict) else layer
                for name, layer in value["sites"].items()
            }
            return {**value, "sites": sites}
        return value

    @model_validator(mode="after")
    def _cross_check(self, info: ValidationInfo) -> Scenario:
        problems = self.problems()
        collected = (info.context or {}).get("problems")
        if isinstance(collected, list):
            collected.extend(problems)
        elif problems:
            raise ValueError("; ".join(f"`{'.'.join(loc)}`: {message}" for loc, message in problems))
        return self

    def problems(self) -> list[tuple[tuple[str, ...], str]]:
        """Problems spanning several tables, as ``(key path, message)`` pairs."""
        out: list[tuple[tuple[str, ...], str]] = []
        if not self.sites:
            out.append((("sites",), "no site layer; add a [sites.<layer>] table"))
        known = sorted(set(self.partners) | {layer.partner for layer in self.sites.values()})
        for partner, owners in self.sharing.items():
            for name in [partner, *owners]:
                if name not in known:
                    out.append(
                        (("sharing", partner), f"unknown partner `{name}`; {closest(name, tuple(known))}")
                    )
        if self.horizon.until <= self.horizon.start:
            out.append(
                (
                    ("horizon", "until"),
                    f"{self.horizon.until} must come after start ({self.horizon.start})",
                )
            )
        model = self.objective.model
        if model in ("p_median", "p_center") and self.objective.p is None:
            out.append((("objective", "p"), f"model {model!r} needs p, the number of sites to open"))
        if model not in ("p_median", "p_center") and self.objective.p is not None:
            out.append((("objective", "p"), f"p applies to p_median and p_center only, not {model!r}"))
        if model == "staffing" and not self.partners:
            out.append((("partners",), "model 'staffing' needs at least one [partners.<name>] table"))
        for name, layer in self.sites.items():
            if layer.shortlist_departments is not None and layer.shortlist is None:
                out.append(
                    (
                        ("sites", name, "shortlist_departments"),
                        "needs `shortlist`, the number of sites to keep",
                    )
                )
            elif layer.shortlist is not None and layer.shortlist < (layer.shortlist_departments or 0):
                out.append(
                    (
                        ("sites", name, "shortlist_departments"),
                        f"{layer.shortlist_departments} departments cannot be served by "
                        f"{layer.shortlist} shortlisted sites",
                    )
                )
        demand = self.demand
        if demand.source is not None:
            if demand.qpv_units != "none":
                out.append(
                    (
                        ("demand", "qpv_units"),
                        "QPV units are split out of the communes' units, which `demand.source` replaces; "
                        'remove `qpv_units` (or set it to "none"), or give a `qpv_column` in the file',
                    )
                )
            if demand.use_fragility:
                out.append(
                    (
                        ("demand", "use_fragility"),
                        "the fragility index scales the communes' need, which `demand.source` replaces; "
                        "set use_fragility = false or put the fragility into the file's need",
                    )
                )
        else:
            for key in [k for k in DemandSpec.FILE_KEYS if getattr(demand, k) is not None]:
                out.append((("demand", key), "applies to a demand file only: set `demand.source` too"))
        if self.access.rule == "travel_time_matrix" and self.access.table is None:
            out.append(
                (("access", "table"), "rule 'travel_time_matrix' needs `table`, a CSV or Parquet path")
            )
        return out

    def departments(self) -> list[str] | None:
        """Department codes of the territory, or None for all of them."""
        return None if self.territory.departments == "all" else list(self.territory.departments)

    def to_partners(self) -> tuple[Partner, ...]:
        """The partners, in file order."""
        return tuple(Partner(name, **spec.model_dump()) for name, spec in self.partners.items())

    def to_sharing(self) -> Sharing:
        """The sharing matrix (every partner may always use its own premises)."""
        return Sharing({partner: frozenset(owners) for partner, owners in self.sharing.items()})

    def to_horizon(self) -> Horizon:
        return Horizon(self.horizon.start, self.horizon.until, self.horizon.target)

    def to_rules(self) -> DepartmentRules:
        return DepartmentRules(**self.rules.model_dump())

    def to_solver_options(self) -> SolverOptions:
        return SolverOptions(**self.solver.model_dump())

    def to_access_rule(self) -> Rule:
        """The access rule of :mod:`coverage.reach_rules`."""
        access = self.access
        if access.rule == "radius":
            return Radius(float(access.metres or 10_000.0))
        if access.rule == "zone_radius":
            zones: dict[str, Any] = {z: getattr(access, z) for z in ("qpv", "urban", "rural")}
            return ZoneRadius(**{z: v for z, v in zones.items() if v is not None})
        if access.rule == "travel_time":
            return TravelTime(float(access.max_minutes or 20.0), detour=float(access.detour or 1.3))
        return TravelTimeMatrix(str(access.table), max_minutes=access.max_minutes)

    def to_decay(self) -> Decay | None:
        """The distance decay, or None."""
        decay = self.access.decay
        return None if decay is None else Decay(decay.kind, scale=decay.scale, beta=decay.beta)


#: The model of each table, by key path; dotted wildcards ``*`` stand for a layer or partner name.
TABLES: Mapping[tuple[str, ...], type[BaseModel]] = {
    (): Scenario,
    ("territory",): TerritorySpec,
    ("demand",): DemandSpec,
    ("sites", "*"): SiteLayerSpec,
    ("partners", "*"): PartnerSpec,
    ("access",): AccessSpec,
    ("access", "decay"): DecaySpec,
    ("objective",): ObjectiveSpec,
    ("rules",): RulesSpec,
    ("horizon",): HorizonSpec,
    ("solver",): SolverSpec,
}
