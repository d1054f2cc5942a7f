"""The sites a scenario names: forced, closed and costed ids checked, each site's cost.

:func:`site_choices` checks that ``objective.forced``, ``closed`` and
``site_costs`` name candidate sites (with the closest id when one is
misspelt) and gives every site its ``cost`` when a budget is set.
"""

from __future__ import annotations

import pandas as pd

from coverage.scenario.schema import Scenario

__all__ = ["site_choices"]


def _site_costs(scenario: Scenario, sites: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The ``cost`` column: the site's own, else its layer's number; the ids still without one."""
    cost = pd.Series(float("nan"), index=sites.index)
    if "cost" in sites.columns:  # a file's cost column, read with the layer
        cost = pd.to_numeric(sites["cost"], errors="coerce")
    if "source_layer" in sites.columns:
        numbers = {n: layer.cost for n, layer in scenario.sites.items() if not isinstance(layer.cost, str)}
        cost = cost.fillna(sites["source_layer"].map(numbers).astype(float))
    given = scenario.objective.site_costs
    if given:
        cost = sites["site_id"].astype(str).map(given).astype(float).fillna(cost)
    missing = sites.loc[cost.isna().to_numpy(), "site_id"].astype(str).tolist()
    return sites.assign(cost=cost.astype(float)), missing


def site_choices(scenario: Scenario, sites: pd.DataFrame) -> pd.DataFrame:
    """Check ``objective.forced``/``closed`` name candidate sites; add each site's ``cost`` for a budget.

    Each site costs what ``objective.site_costs`` gives for it, else its layer's
    ``cost`` (a number, or the value of the layer file's cost column).

    Raises
    ------
    ScenarioError
        A forced, closed or costed id is not a candidate site (named, with the
        closest ids), or a budget is set while a site has no cost.

    Examples
    --------
    >>> from coverage.scenario.loading import load_scenario
    >>> from coverage.scenario.run import shipped_scenario
    >>> demo = load_scenario(shipped_scenario("demo"), overrides=['objective.forced=["mairie:23096", "x"]'])
    >>> site_choices(demo, pd.DataFrame({"site_id": ["mairie:23096", "mairie:23097"]}))
    Traceback (most recent call last):
    ...
    coverage.errors.ScenarioError: objective.forced names 1 site id that is not a candidate site: 'x'...
    """
    from coverage.data.i18n import N_
    from coverage.errors import ScenarioError

    ids = sites["site_id"].astype(str)
    known = set(ids)
    problems = []
    for key in ("forced", "closed", "site_costs"):
        unknown = [s for s in getattr(scenario.objective, key) if s not in known]
        if unknown:
            sample = sorted(known)[:2000]
            hints = "; ".join(f"{s!r}: {_closest_site(s, sample)}" for s in unknown[:5])
            many = N_(
                "objective.{key} names {num_count} site ids that are not candidate sites: {message_hints}; "
                "see the candidate ids in the run's sites.csv"
            )
            one = N_(
                "objective.{key} names 1 site id that is not a candidate site: {message_hints}; "
                "see the candidate ids in the run's sites.csv"
            )
            problems.append(
                (many if len(unknown) > 1 else one).format(
                    key=key, num_count=str(len(unknown)), message_hints=hints
                )
            )
    if scenario.objective.budget is not None and not problems:
        sites, missing = _site_costs(scenario, sites)
        if missing:
            layers = sorted(
                set(sites.loc[sites["site_id"].astype(str).isin(missing), "source_layer"].astype(str))
            )
            problems.append(
                N_(
                    "objective.budget needs a cost on every site layer; set [sites.{layer}] cost (a number, "
                    "or a column of the layer's file) or give each site's cost in objective.site_costs "
                    "(layers with sites without a cost: {layers}; {num_count} sites, e.g. {examples})"
                ).format(
                    layer=layers[0],
                    layers=", ".join(layers),
                    num_count=str(len(missing)),
                    examples=", ".join(repr(s) for s in missing[:3]),
                )
            )
    if problems:
        raise ScenarioError(problems)
    return sites


def _closest_site(site_id: str, known: list[str]) -> str:
    """The closest candidate id to an unknown one, or that there is none (never the whole list)."""
    from coverage.data.i18n import N_
    from coverage.data.i18n.errors import translate_text
    from coverage.scenario.tables import closest

    hint = closest(site_id, known)
    if not hint.startswith("did you mean") and len(known) > 10:
        hint = N_("no candidate id is close to it")
    return translate_text(hint)
