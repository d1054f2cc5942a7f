"""p-median incumbent and bound (issue 16): interchange and the Lagrangian bound against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage import Reach, p_median
from coverage.models.instance import prepare
from coverage.models.interchange import improve_median
from coverage.models.lagrangian import lagrangian_bound, median_cost
from coverage.models.radius import greedy_median
from coverage.plan.verify import verify_plan


@st.composite
def case(draw: st.DrawFn) -> tuple[list[float], list[list[float]], int, list[bool]]:
    n, m = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    need = draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    dist = draw(st.lists(st.lists(st.integers(0, 20), min_size=m, max_size=m), min_size=n, max_size=n))
    p = draw(st.integers(1, m))
    forced = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    if sum(forced) > p:
        forced = [False] * m
    return [float(v) for v in need], [[float(d) for d in row] for row in dist], p, forced


def brute(need: list[float], dist: list[list[float]], p: int, forced: list[bool]) -> float:
    d, w = np.array(dist), np.array(need)
    return min(
        float(w @ d[:, list(s)].min(axis=1))
        for s in itertools.combinations(range(d.shape[1]), p)
        if all(j in s for j in np.flatnonzero(forced))
    )


@settings(max_examples=60, deadline=None)
@given(c=case())
def test_bound_heuristic_and_plan_against_brute_force(c: tuple) -> None:
    need, dist, p, forced = c
    ids = [f"u{i}" for i in range(len(need))]
    site_ids = [f"s{j}" for j in range(len(dist[0]))]
    demand = pd.DataFrame({"unit_id": ids, "need": need})
    sites = pd.DataFrame({"site_id": site_ids})
    reach = Reach.from_dense(ids, site_ids, dist)
    closed_forced = [s for s, f in zip(site_ids, forced, strict=True) if f]
    best = brute(need, dist, p, forced)
    inst = prepare(demand, sites, reach, forced=closed_forced)
    greedy = greedy_median(inst, min(p, inst.n_model_sites))
    assert greedy is not None
    improved = improve_median(inst, greedy)
    assert improved.sum() == greedy.sum() and improved[inst.model_forced].all()
    assert best - 1e-9 <= median_cost(inst, improved) <= median_cost(inst, greedy) + 1e-9
    assert lagrangian_bound(inst, p, median_cost(inst, improved)) <= best + 1e-6
    for formulation in ("auto", "assignment"):
        plan = p_median(demand, sites, reach, p=p, forced=closed_forced, formulation=formulation)
        assert plan.status == "optimal"
        assert plan.objective == pytest.approx(best, abs=1e-6)
        assert plan.bound <= best + 1e-6
        assert verify_plan(plan) == []
