"""Maximal coverage by components of the reach graph, against brute force and the plain MIP.

``formulation='components'`` must find the brute-force optimum on tiny
instances (forced and closed sites included), and on larger random instances
of several clusters the same optimum as one MIP, through HiGHS (small
components) and CBC (``cbc_sites=0``). The value and the bound it reports
must hold at every stop (a deadline before the proof).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bruteforce as bf
from bruteforce import Rules
from coverage.inputs import DepartmentRules
from coverage.models.decomposition import solve_by_components
from coverage.models.location import maximal_coverage
from coverage.reach.pairs import Reach
from model_cases import FEW, PROPERTY, check_plan_rules, check_served, forced_closed, solve_like_brute, tiny


@st.composite
def tiny_case(draw: st.DrawFn):
    inst = draw(tiny())
    forced, closed = draw(forced_closed(inst.m))
    max_sites = draw(st.integers(len(forced), inst.m - len(closed)))
    return inst, Rules(forced=forced, closed=closed), max_sites


@PROPERTY
@given(case=tiny_case())
def test_components_equal_brute_force(case):
    inst, rules, max_sites = case
    best = bf.maximal_coverage(inst.dist, inst.need, inst.radius, max_sites, rules)
    plan = solve_like_brute(
        best,
        lambda: maximal_coverage(
            inst.demand(),
            inst.sites(),
            inst.reach(),
            max_sites=max_sites,
            forced=inst.ids(rules.forced),
            closed=inst.ids(rules.closed),
            formulation="components",
        ),
    )
    if plan is None:
        return
    assert plan.method == "components"
    assert plan.bound == pytest.approx(best, abs=1e-6)
    check_plan_rules(plan, inst, rules, max_sites=max_sites)
    check_served(plan, inst)


@st.composite
def clustered(draw: st.DrawFn):
    """Units and sites in a few separate clusters (several components), with forced sites."""
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    clusters = draw(st.integers(2, 6))
    centres = np.arange(clusters) * 1000.0 + rng.uniform(0, 100, clusters)
    n, m = draw(st.integers(10, 40)), draw(st.integers(6, 20))
    unit_xy = np.c_[rng.choice(centres, n) + rng.normal(0, 15, n), rng.normal(0, 15, n)]
    site_xy = np.c_[rng.choice(centres, m) + rng.normal(0, 15, m), rng.normal(0, 15, m)]
    need = rng.integers(0, 100, n).astype(float)
    forced = [j for j in range(m) if draw(st.booleans()) and j % 5 == 0]
    max_sites = draw(st.integers(len(forced), m))
    return unit_xy, site_xy, need, forced, max_sites


def _frames(unit_xy, site_xy, need):
    demand = pd.DataFrame({"unit_id": [f"u{i}" for i in range(len(need))], "need": need})
    sites = pd.DataFrame({"site_id": [f"s{j}" for j in range(len(site_xy))]})
    reach = Reach.from_points(demand["unit_id"], unit_xy, sites["site_id"], site_xy, radius=20.0)
    return demand, sites, reach


@FEW
@given(case=clustered())
def test_components_equal_the_plain_mip(case):
    unit_xy, site_xy, need, forced, max_sites = case
    demand, sites, reach = _frames(unit_xy, site_xy, need)
    forced_ids = [f"s{j}" for j in forced]
    kwargs = {"max_sites": max_sites, "forced": forced_ids}
    mip = maximal_coverage(demand, sites, reach, formulation="mip", **kwargs)
    split = maximal_coverage(demand, sites, reach, formulation="components", **kwargs)
    assert (mip.method, split.method) == ("mip", "components")
    assert split.status == mip.status == "optimal"
    assert split.objective == pytest.approx(mip.objective, abs=1e-6)
    assert split.served_need == pytest.approx(mip.served_need, abs=1e-6)
    assert len(split.open_site_ids) <= max_sites
    assert set(forced_ids) <= set(split.open_site_ids)


def _csr(unit_xy, site_xy, need):
    _, _, reach = _frames(unit_xy, site_xy, need)
    order = np.lexsort((reach.cols, reach.rows))
    rows, cols = reach.rows[order], reach.cols[order]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=len(need)))))
    return indptr.astype(np.int64), cols.astype(np.int64)


@FEW
@given(case=clustered())
def test_cbc_components_equal_highs_components(case):
    unit_xy, site_xy, need, forced, max_sites = case
    indptr, cols = _csr(unit_xy, site_xy, need)
    mask = np.zeros(len(site_xy), bool)
    mask[forced] = True
    args = (indptr, cols, need, len(site_xy), max_sites)
    highs = solve_by_components(*args, forced=mask)
    cbc = solve_by_components(*args, forced=mask, cbc_sites=0)
    assert highs.objective == pytest.approx(cbc.objective, abs=1e-6)
    assert highs.bound == pytest.approx(highs.objective, abs=1e-6)
    for result in (highs, cbc):
        hit = np.zeros(len(need), bool)
        rows = np.repeat(np.arange(len(need)), np.diff(indptr))
        hit[rows[result.open[cols]]] = True
        assert need[hit].sum() == pytest.approx(result.objective)
        assert result.open.sum() <= max_sites
        assert result.open[mask].all()


@FEW
@given(case=clustered())
def test_a_stop_before_the_proof_keeps_a_valid_plan_and_bound(case):
    unit_xy, site_xy, need, forced, max_sites = case
    indptr, cols = _csr(unit_xy, site_xy, need)
    exact = solve_by_components(indptr, cols, need, len(site_xy), max_sites)
    early = solve_by_components(indptr, cols, need, len(site_xy), max_sites, deadline=time.perf_counter())
    assert early.objective <= exact.objective + 1e-6
    assert early.bound >= exact.objective - 1e-6
    assert early.open.sum() <= max_sites


def test_components_need_the_site_count_to_be_the_only_link():
    demand, sites, reach = _frames(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.array([5.0]))
    sites["dep"] = "01"
    with pytest.raises(ValueError, match="department rules link the components"):
        maximal_coverage(
            demand, sites, reach, max_sites=1, rules=DepartmentRules(min_sites=1), formulation="components"
        )
    sites["cost"] = 1.0
    plan = maximal_coverage(demand, sites, reach, max_sites=1, budget=1.0)
    assert plan.method != "components"  # 'auto' falls back to the MIP with a budget
    assert plan.served_need == 5.0
    with pytest.raises(ValueError, match="formulation must be"):
        maximal_coverage(demand, sites, reach, max_sites=1, formulation="benders")


def test_auto_decomposes_separate_clusters():
    unit_xy = np.array([[0.0, 0], [5, 0], [1000, 0], [1005, 0], [2000, 0]])
    site_xy = np.array([[2.0, 0], [1002, 0], [2001, 0], [2500, 0]])
    demand, sites, reach = _frames(unit_xy, site_xy, np.array([10.0, 20, 30, 40, 5]))
    plan = maximal_coverage(demand, sites, reach, max_sites=2)
    assert plan.method == "components"
    assert (plan.status, plan.open_site_ids, plan.served_need) == ("optimal", ("s0", "s1"), 100.0)


def test_auto_keeps_the_mip_for_one_component():
    unit_xy = np.array([[0.0, 0], [5, 0], [10, 0]])
    site_xy = np.array([[2.0, 0], [8, 0]])
    demand, sites, reach = _frames(unit_xy, site_xy, np.array([10.0, 20, 30]))
    plan = maximal_coverage(demand, sites, reach, max_sites=1)
    assert plan.method != "components"
    assert plan.served_need == 60.0
