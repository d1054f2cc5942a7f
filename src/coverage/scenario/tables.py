"""The tables of a scenario file, one pydantic model each (value checks: :mod:`coverage.scenario.values`).

``[territory]``, ``[demand]``, ``[sites.<layer>]``, ``[partners.<name>]``,
``[access]`` (with ``[access.decay]``), ``[objective]``, ``[rules]``,
``[horizon]`` and ``[solver]``. Every table forbids unknown keys and numbers are
strict (``"12"`` is not 12). The whole scenario, its cross-table checks and its
converters to the library's records are :class:`coverage.scenario.schema.Scenario`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from coverage.data.i18n import N_
from coverage.inputs.demand import DEFAULT_ILLECTRONISME_RATE
from coverage.scenario.values import Date, PerDepartment, Share, closest, department_code, is_path_like

__all__ = [
    "ACCESS_DEFAULTS",
    "SITE_SOURCES",
    "AccessSpec",
    "DecaySpec",
    "DemandSpec",
    "HorizonSpec",
    "ObjectiveSpec",
    "PartnerSpec",
    "RulesSpec",
    "SiteLayerSpec",
    "SolverSpec",
    "TerritorySpec",
    "closest",
    "is_path_like",
]

#: Site sources known by name: official files of :mod:`coverage.data.catalogue` and the embedded town halls.
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
    "road_time": {
        "extract": None,
        "qpv": 10.0,
        "urban": 15.0,
        "rural": 20.0,
        "snap_metres": 1_000.0,
        "far_points": "drop",
        "cache_dir": None,
    },
}


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TerritorySpec(_Table):
    """``[territory]``: ``departments = ["23", "87"]`` or ``"all"``."""

    departments: Literal["all"] | list[str] = "all"

    @field_validator("departments", mode="before")
    @classmethod
    def _codes(cls, value: object) -> object:
        if isinstance(value, list):
            return [department_code(code) for code in value]
        if value != "all":
            raise ValueError(
                N_('expected "all" or a list of department codes, got {value}').format(value=repr(value))
            )
        return value


class DemandSpec(_Table):
    """``[demand]``: the parameters of :func:`coverage.inputs.demand.build_demand`.

    ``qpv_units`` splits QPV residents out of their communes: ``"none"``,
    ``"demography"`` (INSEE QPV demography file; QPV units at their commune's
    point) or ``"polygons"`` (also the QPV polygons, which place units and
    give sites their "in or near a QPV" flag). ``rurality`` is ``"embedded"``
    (an approximation from commune density) or ``"density_grid"`` (INSEE's
    grid, classes 5-7 rural). The official files come from the data folder.

    ``source`` replaces the communes' units with those of a file (CSV with
    ``lon_column``/``lat_column``, GeoJSON, GeoPackage with ``layer``, zipped
    shapefile; see :func:`coverage.inputs.demand.demand_from_file`): relative paths
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
            raise ValueError(
                N_("expected a file path such as 'demand.csv' or 'data/units.gpkg', got {value}").format(
                    value=repr(value)
                )
            )
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

    ``capacity`` is the slots of every site, or, for a file source, the name
    of the file's column that holds each site's capacity. ``cost`` is what
    opening one of its sites costs, counted against ``objective.budget``: a
    number for every site, or, for a file source, the name of the file's column
    that holds each site's cost.
    """

    source: str
    partner: str = Field(min_length=1)
    kinds: list[str] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list)
    capacity: Annotated[int, Field(ge=1)] | Annotated[str, Field(min_length=1)] = 1
    cost: Annotated[float, Field(ge=0)] | Annotated[str, Field(min_length=1)] | None = None
    eligible_only: bool = False
    shortlist: int | None = Field(default=None, ge=1)
    shortlist_departments: int | None = Field(default=None, ge=1)

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if not is_path_like(value) and value not in SITE_SOURCES:
            raise ValueError(
                N_("unknown site source {value}; {message} (or give a file path such as 'sites.csv')").format(
                    value=repr(value), message=closest(value, SITE_SOURCES)
                )
            )
        return value

    @model_validator(mode="after")
    def _capacity_column_of_a_file(self) -> SiteLayerSpec:
        if isinstance(self.capacity, str) and not is_path_like(self.source):
            raise ValueError(
                N_(
                    "capacity {value} names a column, which only a file source has; "
                    "give a number of slots for source {source}"
                ).format(value=repr(self.capacity), source=repr(self.source))
            )
        if isinstance(self.cost, str) and not is_path_like(self.source):
            raise ValueError(
                N_(
                    "cost {value} names a column, which only a file source has; "
                    "give the cost of one site for source {source}"
                ).format(value=repr(self.cost), source=repr(self.source))
            )
        return self


class PartnerSpec(_Table):
    """``[partners.<name>]``: see :class:`coverage.inputs.partners.Partner`."""

    advisors: int = Field(ge=0)
    slots_per_advisor: int = Field(default=1, ge=1)
    people_per_slot_month: float = Field(default=40.0, gt=0)
    max_slots_per_site: int | None = Field(default=None, ge=1)
    min_advisors: int = Field(default=0, ge=0)
    min_sites: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _minimum_within_team(self) -> PartnerSpec:
        if self.min_advisors > self.advisors:
            raise ValueError(
                N_("min_advisors ({num_min}) is more than the {num_advisors} advisors").format(
                    num_min=self.min_advisors, num_advisors=self.advisors
                )
            )
        slots = self.advisors * self.slots_per_advisor
        if self.min_sites > slots:
            raise ValueError(
                N_(
                    "min_sites ({num_min}) is more than the partner's {num_slots} slots (one slot a site)"
                ).format(num_min=self.min_sites, num_slots=slots)
            )
        return self


class DecaySpec(_Table):
    """``[access.decay]``: see :class:`coverage.reach.rules.Decay`."""

    kind: Literal["linear", "power", "exponential"]
    scale: float | None = Field(default=None, gt=0)
    beta: float | None = Field(default=None, gt=0)


class AccessSpec(_Table):
    """``[access]``: the access rule and its settings (see :data:`ACCESS_DEFAULTS`).

    ``rule = "road_time"`` drives on the roads of an OpenStreetMap ``extract``
    (``.osm.pbf``; relative paths are looked up next to the scenario file, then
    in the data folder): ``qpv``, ``urban`` and ``rural`` are then minutes, not
    metres; points farther than ``snap_metres`` from a road are dropped and
    reported (``far_points = "drop"``) or an error (``"error"``); see
    :class:`coverage.reach.roads.RoadTime`.
    """

    rule: Literal["radius", "zone_radius", "travel_time", "travel_time_matrix", "road_time"] = "radius"
    metres: float | None = Field(default=None, gt=0)
    qpv: float | None = Field(default=None, gt=0)
    urban: float | None = Field(default=None, gt=0)
    rural: float | None = Field(default=None, gt=0)
    max_minutes: float | None = Field(default=None, gt=0)
    detour: float | None = Field(default=None, ge=1)
    table: str | None = None
    extract: str | None = Field(default=None, min_length=1)
    snap_metres: float | None = Field(default=None, gt=0)
    far_points: Literal["drop", "error"] | None = None
    cache_dir: str | None = Field(default=None, min_length=1)
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
                N_("{keys} does not apply to rule {rule}, which takes: {names}").format(
                    keys=", ".join(f"`{k}`" for k in foreign), rule=repr(rule), names=", ".join(takes)
                )
            )
        defaults = {key: v for key, v in takes.items() if v is not None and key not in value}
        return {"rule": rule, **value, **defaults}


class ObjectiveSpec(_Table):
    """``[objective]``: the model and its size (``max_sites``, ``p``) or ``target``.

    ``forced`` and ``closed`` are candidate site ids kept open (existing
    sites) or kept shut; ``budget`` bounds the total ``cost`` of the open
    sites, each site costing its layer's ``cost`` (``[sites.<layer>] cost``, a
    number or a column of the layer's file; maximal coverage, set cover and
    staffing), or what ``site_costs`` gives for it (``{"mairie:23096" = 8000}``;
    it wins over the layer's cost).
    """

    model: Literal["maximal_coverage", "set_cover", "staffing", "p_median", "p_center"] = "maximal_coverage"
    max_sites: int | None = Field(default=None, ge=1)
    p: int | None = Field(default=None, ge=1)
    target: float | None = Field(default=None, gt=0)
    forced: list[str] = Field(default_factory=list)
    closed: list[str] = Field(default_factory=list)
    budget: float | None = Field(default=None, gt=0)
    site_costs: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _forced_or_closed(self) -> ObjectiveSpec:
        both = sorted(set(self.forced) & set(self.closed))
        if both:
            raise ValueError(
                N_("site ids both forced and closed: {ids}; keep each in one list").format(
                    ids=", ".join(both)
                )
            )
        if self.budget is not None and self.model in ("p_median", "p_center"):
            raise ValueError(
                N_("budget applies to maximal_coverage, set_cover and staffing, not {model}").format(
                    model=self.model
                )
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _default_size(cls, value: object) -> object:
        if isinstance(value, dict) and value.get("model", "maximal_coverage") == "maximal_coverage":
            return {"max_sites": 10, **value}
        return value


class RulesSpec(_Table):
    """``[rules]``: see :class:`coverage.models.rules.DepartmentRules`."""

    min_sites: PerDepartment = None
    max_sites: PerDepartment = None
    min_advisors: PerDepartment = None
    max_advisors: PerDepartment = None
    serve_exactly: int | None = Field(default=None, ge=0)
    min_share: Share = None
    maximise_min_share: bool = False


class HorizonSpec(_Table):
    """``[horizon]``: see :class:`coverage.inputs.partners.Horizon`."""

    start: Date = dt.date(2022, 1, 1)
    until: Date = dt.date(2023, 12, 31)
    target: float | None = Field(default=None, ge=0)


#: Branch-and-bound nodes of a deterministic solve when ``solver.node_limit`` is not set.
DETERMINISTIC_NODE_LIMIT = 100_000


class SolverSpec(_Table):
    """``[solver]``: see :class:`coverage.models.solver.SolverOptions`.

    ``deterministic = true`` makes a plan repeatable: one thread, no wall-clock
    limit (``time_limit`` is not used) and a node limit instead (``node_limit``,
    default :data:`DETERMINISTIC_NODE_LIMIT`); the solvers' random seeds are
    fixed by default. Batches use it unless told otherwise.
    """

    solver: Literal["auto", "cbc", "highs"] = "auto"
    time_limit: float | None = Field(default=None, gt=0)
    gap: float | None = Field(default=None, ge=0, lt=1)
    threads: int | None = Field(default=None, ge=1)
    node_limit: int | None = Field(default=None, ge=1)
    deterministic: bool = False
