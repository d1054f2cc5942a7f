"""Schema of scenario files: the whole scenario, its cross-table checks and converters.

:mod:`coverage.scenario.loading` reads, merges and validates the files; this module
says what a resolved scenario holds and turns each table into the library's
own records (:class:`~coverage.inputs.partners.Partner`,
:class:`~coverage.models.rules.DepartmentRules`, :class:`~coverage.models.solver.SolverOptions`,
the access rules of :mod:`coverage.reach.rules`, ...).

The tables themselves are :mod:`coverage.scenario.tables`. Every table
forbids unknown keys, numbers are strict (``"12"`` is not 12), and
cross-table checks (sharing names, horizon order, objective parameters) are
collected into the validation context's ``problems`` list when the loader asks,
so that one message lists every problem of a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, model_validator

from coverage.data.i18n import N_
from coverage.inputs.partners import Horizon, Partner, Sharing
from coverage.inputs.rollout import Rollout
from coverage.inputs.rules import DepartmentRules
from coverage.models.solver import SolverOptions
from coverage.reach.roads import RoadTime
from coverage.reach.rules import Decay, Radius, Rule, TravelTime, TravelTimeMatrix, ZoneRadius
from coverage.scenario.rollout import (
    PartnerRolloutSpec,
    RolloutSpec,
    WaveSpec,
    rollout_problems,
    to_rollout,
)
from coverage.scenario.tables import (
    DETERMINISTIC_NODE_LIMIT,
    AccessSpec,
    DecaySpec,
    DemandSpec,
    HorizonSpec,
    ObjectiveSpec,
    PartnerSpec,
    RulesSpec,
    SiteLayerSpec,
    SolverSpec,
    TerritorySpec,
    _Table,
    closest,
)

__all__ = ["TABLES", "Scenario"]


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
    rollout: RolloutSpec | None = None

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
            out.append((("sites",), N_("no site layer; add a [sites.<layer>] table")))
        known = sorted(set(self.partners) | {layer.partner for layer in self.sites.values()})
        for partner, owners in self.sharing.items():
            for name in [partner, *owners]:
                if name not in known:
                    out.append(
                        (
                            ("sharing", partner),
                            N_("unknown partner `{name}`; {message}").format(
                                name=name, message=closest(name, tuple(known))
                            ),
                        )
                    )
        if self.horizon.until <= self.horizon.start:
            out.append(
                (
                    ("horizon", "until"),
                    N_("{until} must come after start ({start})").format(
                        until=self.horizon.until, start=self.horizon.start
                    ),
                )
            )
        model = self.objective.model
        if model in ("p_median", "p_center") and self.objective.p is None:
            out.append(
                (
                    ("objective", "p"),
                    N_("model {model} needs p, the number of sites to open").format(model=repr(model)),
                )
            )
        if model not in ("p_median", "p_center") and self.objective.p is not None:
            out.append(
                (
                    ("objective", "p"),
                    N_("p applies to p_median and p_center only, not {model}").format(model=repr(model)),
                )
            )
        if model == "staffing" and not self.partners:
            out.append((("partners",), N_("model 'staffing' needs at least one [partners.<name>] table")))
        for name, layer in self.sites.items():
            if layer.shortlist_departments is not None and layer.shortlist is None:
                out.append(
                    (
                        ("sites", name, "shortlist_departments"),
                        N_("needs `shortlist`, the number of sites to keep"),
                    )
                )
            elif layer.shortlist is not None and layer.shortlist < (layer.shortlist_departments or 0):
                out.append(
                    (
                        ("sites", name, "shortlist_departments"),
                        N_(
                            "{num_departments} departments cannot be served by {num_sites} shortlisted sites"
                        ).format(num_departments=layer.shortlist_departments, num_sites=layer.shortlist),
                    )
                )
        demand = self.demand
        if demand.source is not None:
            if demand.qpv_units != "none":
                out.append(
                    (
                        ("demand", "qpv_units"),
                        N_(
                            "QPV units are split out of the communes' units, which `demand.source` replaces; "
                            'remove `qpv_units` (or set it to "none"), or give a `qpv_column` in the file'
                        ),
                    )
                )
            if demand.use_fragility:
                out.append(
                    (
                        ("demand", "use_fragility"),
                        N_(
                            "the fragility index scales the communes' need, which `demand.source` replaces; "
                            "set use_fragility = false or put the fragility into the file's need"
                        ),
                    )
                )
        else:
            for key in [k for k in DemandSpec.FILE_KEYS if getattr(demand, k) is not None]:
                out.append((("demand", key), N_("applies to a demand file only: set `demand.source` too")))
        if self.rollout is not None:
            advisors = {name: spec.advisors for name, spec in self.partners.items()}
            out += rollout_problems(
                self.rollout, advisors, self.horizon.start, self.horizon.until, self.objective.model
            )
        if self.access.rule == "travel_time_matrix" and self.access.table is None:
            out.append(
                (("access", "table"), N_("rule 'travel_time_matrix' needs `table`, a CSV or Parquet path"))
            )
        if self.access.rule == "road_time" and self.access.extract is None:
            out.append(
                (
                    ("access", "extract"),
                    N_(
                        "rule 'road_time' needs `extract`, an OpenStreetMap .osm.pbf file "
                        "(`coverage-plan data list` says where to get one)"
                    ),
                )
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

    def to_rollout(self) -> Rollout | None:
        """The rollout over the horizon's months (None without a ``[rollout]`` table)."""
        if self.rollout is None:
            return None
        return to_rollout(self.rollout, self.horizon.start, self.horizon.until)

    def to_rules(self) -> DepartmentRules:
        return DepartmentRules(**self.rules.model_dump())

    def to_solver_options(self) -> SolverOptions:
        """The solver options; ``deterministic`` trades the wall-clock limit for a node limit."""
        spec = self.solver.model_dump()
        if spec.pop("deterministic"):
            spec.update(threads=1, time_limit=None, node_limit=spec["node_limit"] or DETERMINISTIC_NODE_LIMIT)
        return SolverOptions(**spec)

    def to_access_rule(self) -> Rule | RoadTime:
        """The access rule of :mod:`coverage.reach.rules` (or :class:`~coverage.reach.roads.RoadTime`)."""
        access = self.access
        if access.rule == "radius":
            return Radius(float(access.metres or 10_000.0))
        if access.rule == "zone_radius":
            zones: dict[str, Any] = {z: getattr(access, z) for z in ("qpv", "urban", "rural")}
            return ZoneRadius(**{z: v for z, v in zones.items() if v is not None})
        if access.rule == "travel_time":
            return TravelTime(float(access.max_minutes or 20.0), detour=float(access.detour or 1.3))
        if access.rule == "road_time":
            return RoadTime(
                str(access.extract),
                qpv=float(access.qpv or 10.0),
                urban=float(access.urban or 15.0),
                rural=float(access.rural or 20.0),
                snap_metres=float(access.snap_metres or 1_000.0),
                far_points=access.far_points or "drop",
                cache_dir=access.cache_dir,
            )
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
    ("rollout",): RolloutSpec,
    ("rollout", "partners", "*"): PartnerRolloutSpec,
    ("rollout", "partners", "*", "waves", "*"): WaveSpec,
}
