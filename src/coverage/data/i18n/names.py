"""Display names, in one place: partners, models, access rules, zones, table columns and KPI names.

Identifiers (``croix_rouge``, ``maximal_coverage``, ``need_served``) stay
in files and code; a planner reads these names, in the language in use
(English here, translated by the catalogue).
"""

from __future__ import annotations

import pandas as pd

from coverage.data.i18n import format_percent, gettext_

__all__ = [
    "COLUMNS",
    "MODELS",
    "PARTNERS",
    "RULES",
    "STATUSES",
    "column_name",
    "display_table",
    "model_name",
    "partner_name",
]

#: Partner ids of the shipped scenarios -> display name (English; the catalogue translates).
PARTNERS = {
    "laposte": "La Poste",
    "croix_rouge": "Croix-Rouge française",
    "groupe_sos": "Groupe SOS",
    "cnfs": "Digital advisors (CnFS)",
    "cnfs_host": "CnFS host structures",
    "mairie": "Town halls",
    "france_services": "France services",
    "partners": "Partner places",
    "my_sites": "My sites",
}

#: Model ids -> display name.
MODELS = {
    "maximal_coverage": "Maximal coverage",
    "staffing": "Advisor assignment",
    "set_cover": "Set cover",
    "p_median": "p-median",
    "p_center": "p-centre",
}

#: Access rule ids -> display name.
RULES = {
    "zone_radius": "Radius by zone",
    "radius": "One radius",
    "travel_time": "Travel time",
    "road_time": "Road travel time",
}

#: Zones of the demand units -> display name.
ZONES = {"qpv": "QPV (priority neighbourhood)", "urban": "Urban", "rural": "Rural"}

#: Solve statuses of :attr:`coverage.plan.plan.Plan.status` -> display text.
STATUSES = {
    "optimal": "optimal",
    "feasible": "feasible (time limit)",
    "infeasible": "infeasible",
    "not solved": "not solved",
}

#: Table columns and KPI identifiers -> display name.
COLUMNS = {
    "dep": "Department",
    "units": "Units",
    "units_reached": "Units reached",
    "need": "Need",
    "need_reached": "Need within reach",
    "need_served": "Need served",
    "need_served_at_premises": "Need served at own premises",
    "share": "Share served",
    "open_sites": "Open sites",
    "open_sites_owned": "Open sites owned",
    "slots": "Slots",
    "advisors": "Advisors",
    "advisors_available": "Advisors available",
    "slots_available": "Slots available",
    "sites_staffed": "Sites staffed",
    "shared_sites": "Shared sites",
    "people_capacity": "People per month",
    "mean_distance": "Mean distance (m)",
    "worst_distance": "Worst distance (m)",
    "partner": "Partner",
    "zone": "Zone",
    "site_id": "Site",
    "unit_id": "Unit",
    "name": "Name",
    "kind": "Kind",
    "capacity": "Capacity",
    "source": "Source",
    "insee_com": "Commune code",
    "commune_match": "Commune match",
    "in_qpv": "In a QPV",
    "near_qpv": "Near a QPV",
    "qpv_commune": "QPV commune",
    "qpv": "QPV",
    "rural": "Rural",
    "eligible": "Eligible",
    "source_layer": "Layer",
    "shared": "Shared",
    "need_in_reach": "Need in reach",
    "served": "Served",
    "unique_need": "Need only it reaches",
    "candidates_in_reach": "Candidates in reach",
    "reason": "Reason",
    "distance_to_open": "Distance to an open site (m)",
    "nearest_open_site": "Nearest open site",
    "distance_to_candidate": "Distance to a candidate (m)",
    "nearest_candidate_site": "Nearest candidate",
    "distance_basis": "Distance basis",
    "metric": "Indicator",
    "a": "Pinned",
    "b": "Current",
    "delta": "Difference",
    "objective": "Objective",
    "total_need": "Total need",
    "reached_need": "Need within reach",
    "served_need": "Need served",
    "served_share": "Share served",
}


def partner_name(partner: str) -> str:
    """A partner's display name (the id itself for partners the list does not know).

    Examples
    --------
    >>> from coverage.data.i18n import language
    >>> partner_name("croix_rouge"), partner_name("asso_locale")
    ('Croix-Rouge française', 'asso_locale')
    >>> with language("fr"):
    ...     partner_name("mairie")
    'Mairies'
    """
    return gettext_(PARTNERS[partner]) if partner in PARTNERS else partner


def model_name(model: str) -> str:
    """A model's display name.

    Examples
    --------
    >>> from coverage.data.i18n import language
    >>> with language("fr"):
    ...     model_name("maximal_coverage"), model_name("staffing")
    ('Couverture maximale', 'Affectation des conseillers')
    """
    return gettext_(MODELS.get(model, model))


def column_name(column: str) -> str:
    """A table column's display name; ``_a``/``_b``/``_delta`` suffixes of a comparison are named too.

    Examples
    --------
    >>> from coverage.data.i18n import language
    >>> with language("fr"):
    ...     column_name("need_served"), column_name("share_delta")
    ('Besoin servi', 'Part servie (différence)')
    """
    for suffix, label in (("_delta", "difference"), ("_a", "pinned"), ("_b", "current")):
        if column.endswith(suffix) and column[: -len(suffix)] in COLUMNS:
            return gettext_("{column} ({side})").format(
                column=gettext_(COLUMNS[column[: -len(suffix)]]), side=gettext_(label)
            )
    return gettext_(COLUMNS.get(column, column))


def display_table(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as a planner reads it: columns by display name, partners, zones and KPIs named, shares in %.

    Examples
    --------
    >>> import pandas as pd
    >>> from coverage.data.i18n import language
    >>> table = pd.DataFrame({"partner": ["croix_rouge"], "need_served": [12.5]})
    >>> with language("fr"):
    ...     list(display_table(table).columns), display_table(table)["Partenaire"].tolist()
    (['Partenaire', 'Besoin servi'], ['Croix-Rouge française'])
    """
    out = pd.DataFrame(frame).copy()
    if "geometry" in out.columns:
        out = out.drop(columns="geometry")
    if "partner" in out.columns:
        out["partner"] = [partner_name(str(p)) for p in out["partner"]]
    if "zone" in out.columns:
        out["zone"] = [gettext_(ZONES.get(str(z), str(z))) for z in out["zone"]]
    if "metric" in out.columns:
        out["metric"] = [column_name(str(m)) for m in out["metric"]]
    if "reason" in out.columns:
        out["reason"] = [gettext_(str(r)) for r in out["reason"]]
    for column in out.columns:  # shares as percentages, other decimals rounded for reading
        if out[column].dtype.kind != "f":
            continue
        if str(column).startswith("share"):
            out[column] = [format_percent(v) for v in out[column]]
        elif column in ("a", "b", "delta"):  # a comparison's rows mix shares and counts
            out[column] = out[column].round(3)
        else:
            out[column] = out[column].round(0 if "distance" in str(column) or "need" in str(column) else 1)
    return out.rename(columns={c: column_name(str(c)) for c in out.columns})
