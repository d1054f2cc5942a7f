"""The checks of a plan's own limits, from its tables: the model's, the departments' and the KPI totals.

Part of the independent verifier (:func:`coverage.plan.verify.verify_plan`, which
runs them after the staffing checks): the site count, budget, forced and closed
sites, target, capacities of a capacitated model and every unit reached
(:func:`model_violations`); the department rules (:func:`department_violations`);
and every KPI table summing to the plan's totals (:func:`kpi_violations`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coverage.data.i18n import N_
from coverage.inputs.rules import quota
from coverage.plan.violation import Violation, above, below, figure, kept, slack

if TYPE_CHECKING:
    from coverage.plan.plan import Plan

__all__ = ["department_violations", "kpi_violations", "model_violations"]


def model_violations(plan: Plan) -> list[Violation]:
    """The model's limits the plan breaks: site count, budget, forced and closed sites, target, capacities.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach, maximal_coverage
    >>> from coverage.plan.verify_model import model_violations
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [10.0, 5.0], "dep": ["23", "87"]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2"], "dep": ["23", "87"]})
    >>> metres = [[10, 900], [900, 10]]
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], metres, max_distance=100)
    >>> model_violations(maximal_coverage(demand, sites, reach, max_sites=1))
    []
    """
    c = plan.constraints
    sites = plan.sites
    opened = len(sites)
    out: list[Violation | None] = []
    if c.max_sites is not None:
        out.append(
            above(
                N_("site count"),
                "open sites",
                opened,
                c.max_sites,
                N_("open sites {num_value}, above the limit {num_limit}"),
            )
        )
    if c.exact_sites is not None and opened != c.exact_sites:
        out.append(
            Violation(
                N_("site count"),
                "open sites",
                opened,
                c.exact_sites,
                N_("open sites: {num_count}, not exactly {num_exact}").format(
                    num_count=opened, num_exact=c.exact_sites
                ),
            )
        )
    if c.budget is not None:
        cost = float(sites["cost"].sum()) if "cost" in sites.columns else float(opened)
        out.append(
            above(
                N_("budget"),
                "open sites",
                cost,
                c.budget,
                N_("total cost {num_value}, above the limit {num_limit}"),
            )
        )
    open_ids = set(sites["site_id"].astype(str))
    for site_id in c.forced:
        if site_id not in open_ids:
            out.append(
                Violation(N_("forced sites"), site_id, 0, 1, f"{site_id}: " + N_("forced open but closed"))
            )
    for site_id in c.closed:
        if site_id in open_ids:
            out.append(
                Violation(
                    N_("closed sites"), site_id, 1, 0, f"{site_id}: " + N_("closed by the scenario but open")
                )
            )
    if c.target is not None:
        out.append(
            below(
                N_("target"),
                "need served",
                plan.served_need,
                c.target,
                N_("need served {num_value}, below the minimum {num_limit}"),
            )
        )
    if c.capacity is not None:
        out += _capacities(plan, c.capacity, c.fill_forced)
    if c.every_unit:
        units = plan.units
        missed = units[(units["need"] > 0) & ~units["reached"].astype(bool)]
        for unit_id in missed["unit_id"].astype(str).head(20):
            out.append(
                Violation(
                    N_("every unit reached"),
                    unit_id,
                    0,
                    1,
                    f"{unit_id}: " + N_("has need but no open site within reach"),
                )
            )
    return kept(out)


def _capacities(plan: Plan, column: str, fill_forced: bool) -> list[Violation | None]:
    """Capacitated plans: each unit with need wholly at one open site, each site within capacity."""
    out: list[Violation | None] = []
    units, sites = plan.units, plan.sites
    open_ids = set(sites["site_id"].astype(str))
    assigned = units["assigned_site"] if "assigned_site" in units.columns else pd.Series(None, units.index)
    for _, unit in units[units["need"] > 0].iterrows():
        site = assigned[unit.name]
        if site is None or (isinstance(site, float) and np.isnan(site)) or str(site) not in open_ids:
            out.append(
                Violation(
                    N_("assignment"),
                    str(unit["unit_id"]),
                    0,
                    1,
                    f"{unit['unit_id']}: " + N_("not assigned to an open site"),
                )
            )
        elif abs(float(unit["served"]) - float(unit["need"])) > slack(float(unit["need"])):
            out.append(
                Violation(
                    N_("assignment"),
                    str(unit["unit_id"]),
                    float(unit["served"]),
                    float(unit["need"]),
                    f"{unit['unit_id']}: "
                    + N_("served {num_served} at {site_id}, not its whole need {num_need}").format(
                        num_served=figure(unit["served"]), site_id=site, num_need=figure(unit["need"])
                    ),
                )
            )
    need = units["need"].to_numpy(dtype=np.float64)
    load = pd.Series(need, index=assigned.astype(str)).groupby(level=0).sum()
    forced = set(plan.constraints.forced)
    for _, site in sites.iterrows():
        site_id, limit = str(site["site_id"]), float(site[column])
        used = float(load.get(site_id, 0.0))
        out.append(
            above(
                N_("site capacity"),
                site_id,
                used,
                limit,
                N_("need assigned {num_value}, above the limit {num_limit}"),
            )
        )
        if fill_forced and site_id in forced:
            out.append(
                below(
                    N_("forced site filled"),
                    site_id,
                    used,
                    limit,
                    N_("need assigned {num_value}, below the minimum {num_limit}"),
                )
            )
    return out


def department_violations(plan: Plan) -> list[Violation]:
    """The department rules the plan breaks: sites and advisors per department, departments served, shares.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach, maximal_coverage
    >>> from coverage.plan.verify_model import department_violations
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [10.0, 5.0], "dep": ["23", "87"]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2"], "dep": ["23", "87"]})
    >>> metres = [[10, 900], [900, 10]]
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], metres, max_distance=100)
    >>> department_violations(maximal_coverage(demand, sites, reach, max_sites=1))
    []
    """
    rules = plan.constraints.rules
    if rules.is_empty:
        return []
    sites, units = plan.sites, plan.units
    site_dep = sites["dep"].astype(str) if "dep" in sites.columns else pd.Series("", index=sites.index)
    open_by_dep = site_dep.value_counts()
    advisors_by_dep = sites["advisors"].groupby(site_dep).sum() if len(sites) else pd.Series(dtype=float)
    deps = sorted(set(plan.constraints.site_departments) | set(open_by_dep.index))
    out: list[Violation | None] = []
    at_least_sites = N_("open sites {num_value}, below the minimum {num_limit}")
    at_most_sites = N_("open sites {num_value}, above the limit {num_limit}")
    at_least_advisors = N_("advisors {num_value}, below the minimum {num_limit}")
    at_most_advisors = N_("advisors {num_value}, above the limit {num_limit}")
    for name, value, series, template in (
        (N_("department minimum sites"), rules.min_sites, open_by_dep, at_least_sites),
        (N_("department maximum sites"), rules.max_sites, open_by_dep, at_most_sites),
        (N_("department minimum advisors"), rules.min_advisors, advisors_by_dep, at_least_advisors),
        (N_("department maximum advisors"), rules.max_advisors, advisors_by_dep, at_most_advisors),
    ):
        for dep, bound in quota(value, deps).items():
            figure = float(series.get(dep, 0))
            check = below if "minimum" in name else above
            out.append(check(name, N_("department {dep}").format(dep=dep), figure, bound, template))
    if rules.serve_exactly is not None:
        served = len(open_by_dep)
        if served != rules.serve_exactly:
            out.append(
                Violation(
                    N_("departments served"),
                    "departments",
                    served,
                    rules.serve_exactly,
                    N_("{num_count} departments have an open site, not exactly {num_exact}").format(
                        num_count=served, num_exact=rules.serve_exactly
                    ),
                )
            )
    if rules.min_share is not None and "dep" in units.columns:
        per_dep = units.groupby(units["dep"].astype(str))[["need", "served"]].sum()
        for dep, share in quota(rules.min_share, list(per_dep.index)).items():
            if dep in per_dep.index and per_dep.loc[dep, "need"] > 0:
                need = float(per_dep.loc[dep, "need"])
                out.append(
                    below(
                        N_("department minimum share"),
                        N_("department {dep}").format(dep=dep),
                        float(per_dep.loc[dep, "served"]),
                        share * need,
                        N_("need served {num_value}, below the minimum {num_limit}"),
                    )
                )
    return kept(out)


def kpi_violations(plan: Plan) -> list[Violation]:
    """The KPI tables whose totals differ from the plan's: by zone, department and partner, and the sites.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage import Reach, maximal_coverage
    >>> from coverage.plan.verify_model import kpi_violations
    >>> demand = pd.DataFrame({"unit_id": ["u1", "u2"], "need": [10.0, 5.0], "dep": ["23", "87"]})
    >>> sites = pd.DataFrame({"site_id": ["s1", "s2"], "dep": ["23", "87"]})
    >>> metres = [[10, 900], [900, 10]]
    >>> reach = Reach.from_dense(demand["unit_id"], sites["site_id"], metres, max_distance=100)
    >>> kpi_violations(maximal_coverage(demand, sites, reach, max_sites=1))
    []
    """
    out: list[Violation | None] = []
    total, served = plan.total_need, plan.served_need

    def same(table: str, column: str, value: float, expected: float) -> None:
        if not (math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-6)):
            out.append(
                Violation(
                    N_("KPI totals"),
                    f"{table}.{column}",
                    value,
                    expected,
                    f"{table}: "
                    + N_("{column} sums to {num_value}, the plan's total is {num_total}").format(
                        column=column, num_value=f"{value:,.6g}", num_total=f"{expected:,.6g}"
                    ),
                )
            )

    zone = plan.kpis("zone")
    same("kpis_zone", "need", float(zone["need"].sum()), total)
    same("kpis_zone", "need_served", float(zone["need_served"].sum()), served)
    same("kpis_zone", "need_reached", float(zone["need_reached"].sum()), plan.reached_need)
    if "dep" in plan.units.columns:
        dep = plan.kpis("department")
        same("kpis_department", "need", float(dep["need"].sum()), total)
        same("kpis_department", "need_served", float(dep["need_served"].sum()), served)
        if "open_sites" in dep.columns:
            same("kpis_department", "open_sites", float(dep["open_sites"].sum()), len(plan.sites))
    partner = plan.kpis("partner")
    sites = plan.sites
    no_owner = sites["partner"].isna() if "partner" in sites.columns else pd.Series(True, index=sites.index)
    unattributed = float(sites.loc[(sites["slots"] == 0) & no_owner, "served"].sum())
    same("kpis_partner", "need_served", float(partner["need_served"].sum()) + unattributed, served)
    same("kpis_partner", "slots", float(partner["slots"].sum()), float(plan.slots["slots"].sum()))
    same("sites", "served", float(sites["served"].sum()), served)
    return kept(out)
