"""Published answers on public benchmark instances (../shared/reference-instances).

- spopt's San Francisco instance: 205 census tracts x 16 stores, network
  distances in metres, weights POP2000 (answers in the folder's README);
- OR-Library pmed1..pmed10 (Beasley 1990): p-median optima of pmedopt.txt.

The folder sits beside the repository (CI has it); the tests are skipped with
the reason when it is absent. The p-center optima of pmed1..pmed10 are those
the folder's README lists (solved by radius bisection, well under a second each).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import shortest_path

from coverage.errors import InfeasibleScenarioError
from coverage.models.location import SolverOptions, maximal_coverage, p_center, p_median, set_cover
from coverage.reach.pairs import Reach

SOLVERS = ["cbc", "highs"]
TOTAL_POP = 955_113


# -- San Francisco ---------------------------------------------------------------


class SF:
    """The San Francisco instance in the library's frames."""

    def __init__(self, folder: Path) -> None:
        long = pd.read_csv(
            folder / "SF_network_distance_candidateStore_16_censusTract_205_new.csv",
            dtype={"name": str, "DestinationName": str},
        )
        tracts = pd.read_csv(folder / "SF_demand_205_centroid_uniform_weight.csv", dtype={"NAME": str})
        matrix = long.pivot(index="DestinationName", columns="name", values="distance")
        stores = sorted(matrix.columns, key=lambda s: int(s.split("_")[1]))
        self.matrix = matrix.loc[tracts["NAME"], stores].to_numpy(dtype=np.float64)
        self.stores = stores
        self.demand = pd.DataFrame(
            {"unit_id": tracts["NAME"].to_numpy(), "need": tracts["POP2000"].to_numpy()}
        )
        self.sites = pd.DataFrame({"site_id": stores})

    def reach(self, radius: float | None) -> Reach:
        return Reach.from_dense(self.demand["unit_id"], self.stores, self.matrix, max_distance=radius)


@pytest.fixture(scope="module")
def sf(reference: Path) -> SF:
    folder = reference / "spopt_sf"
    if not folder.exists():
        pytest.skip(f"{folder} is absent")
    return SF(folder)


def test_sf_instance_is_read_whole(sf):
    assert sf.matrix.shape == (205, 16)
    assert np.isfinite(sf.matrix).all()
    assert sf.demand["need"].sum() == TOTAL_POP


@pytest.mark.parametrize("solver", SOLVERS)
def test_sf_maximal_coverage_5000_m_4_sites(sf, solver):
    plan = maximal_coverage(
        sf.demand, sf.sites, sf.reach(5000), max_sites=4, options=SolverOptions(solver=solver)
    )
    assert plan.status == "optimal"
    assert plan.solver == solver
    assert plan.objective == pytest.approx(875_247)
    assert plan.served_need == pytest.approx(875_247)
    assert plan.bound == pytest.approx(875_247)
    assert plan.gap == 0.0
    assert set(plan.open_site_ids) == {"Store_2", "Store_11", "Store_12", "Store_15"}
    units = plan.units
    assert int((~units["reached"]).sum()) == 21
    assert units["reached"].mean() == pytest.approx(0.89756, abs=5e-6)
    assert plan.total_need == TOTAL_POP


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    ("radius", "sites", "covered"),
    [
        (5000, 2, 671_938),
        (3000, 4, 557_571),
        (2000, 8, 502_345),
    ],
)
def test_sf_maximal_coverage_published(sf, solver, radius, sites, covered):
    plan = maximal_coverage(
        sf.demand, sf.sites, sf.reach(radius), max_sites=sites, options=SolverOptions(solver=solver)
    )
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(covered)
    assert plan.served_need == pytest.approx(covered)
    assert len(plan.open_site_ids) <= sites


@pytest.mark.parametrize("solver", SOLVERS)
def test_sf_set_cover_5000_m_needs_8_sites(sf, solver):
    plan = set_cover(sf.demand, sf.sites, sf.reach(5000), options=SolverOptions(solver=solver))
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(8)
    assert len(plan.open_site_ids) == 8
    assert plan.units["reached"].all()
    assert plan.served_need == pytest.approx(TOTAL_POP)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("radius", "lonely"), [(3000, 36), (2000, 71)])
def test_sf_set_cover_short_radius_is_infeasible_and_explained(sf, solver, radius, lonely):
    reach = sf.reach(radius)
    # The count of tracts without any store within the radius, from the data itself.
    assert int((sf.matrix.min(axis=1) > radius).sum()) == lonely
    with pytest.raises(InfeasibleScenarioError, match=rf"\b{lonely} units\b") as caught:
        set_cover(sf.demand, sf.sites, reach, options=SolverOptions(solver=solver))
    message = str(caught.value)
    assert "coverage of every unit" in message
    assert f"{radius:g}" in message  # the access rule is named


@pytest.mark.parametrize("solver", SOLVERS)
def test_sf_more_sites_than_candidates_is_an_upper_bound(sf, solver):
    """Issue 13: max_sites = 1000 over 16 candidates does not bind; it was called infeasible."""
    options = SolverOptions(solver=solver)
    plan = maximal_coverage(sf.demand, sf.sites, sf.reach(5000), max_sites=1000, options=options)
    every = maximal_coverage(sf.demand, sf.sites, sf.reach(5000), max_sites=16, options=options)
    assert plan.status == "optimal" and len(plan.open_site_ids) <= 16
    assert plan.objective == pytest.approx(every.objective)


@pytest.mark.parametrize("solver", SOLVERS)
def test_sf_p_median_4_sites(sf, solver):
    plan = p_median(sf.demand, sf.sites, sf.reach(None), p=4, options=SolverOptions(solver=solver))
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(2_848_268_129.71, abs=0.01)
    assert plan.objective / TOTAL_POP == pytest.approx(2982.1268579890657, abs=1e-6)
    assert plan.mean_distance == pytest.approx(2982.1268579890657, abs=1e-6)
    assert len(plan.open_site_ids) == 4
    assert plan.units["reached"].all()


@pytest.mark.parametrize("solver", SOLVERS)
def test_sf_p_center_4_sites(sf, solver):
    plan = p_center(sf.demand, sf.sites, sf.reach(None), p=4, options=SolverOptions(solver=solver))
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(7403.0638, abs=1e-3)
    assert plan.worst_distance == pytest.approx(7403.0638, abs=1e-3)
    assert len(plan.open_site_ids) == 4


# -- OR-Library pmed -------------------------------------------------------------


def read_pmed(path: Path) -> tuple[np.ndarray, int]:
    """All-pairs shortest paths of an OR-Library pmed graph, and its p.

    First line ``n m p``; then ``m`` undirected edges ``i j cost`` (1-based);
    an edge given twice keeps its last cost.
    """
    tokens = path.read_text().split()
    n, m, p = (int(t) for t in tokens[:3])
    edges = np.array(tokens[3 : 3 + 3 * m], dtype=np.int64).reshape(m, 3)
    weights = np.full((n, n), np.inf)
    for i, j, cost in edges:  # in file order: the last occurrence wins
        weights[i - 1, j - 1] = weights[j - 1, i - 1] = cost
    np.fill_diagonal(weights, 0.0)
    return shortest_path(weights, method="FW", directed=False), p


def published_optima(folder: Path) -> dict[str, float]:
    lines = (folder / "pmedopt.txt").read_text().splitlines()
    out = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("pmed"):
            out[parts[0]] = float(parts[1])
    return out


@pytest.fixture(scope="module")
def orlib(reference: Path) -> Path:
    folder = reference / "orlib_pmed"
    if not (folder / "pmedopt.txt").exists():
        pytest.skip(f"{folder} is absent")
    return folder


def test_pmed_reader_keeps_the_last_duplicate_edge(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(" 3 3 1 \n 1 2 5 \n 2 3 4 \n 2 1 1 \n")
    dist, p = read_pmed(path)
    assert p == 1
    assert dist[0, 1] == 1 and dist[1, 0] == 1
    assert dist[0, 2] == 5


def test_pmed_optima_file_lists_forty(orlib):
    optima = published_optima(orlib)
    assert len(optima) == 40
    assert optima["pmed1"] == 5819


@pytest.mark.parametrize("k", range(1, 11))
def test_orlib_p_median_reaches_published_optimum(orlib, k):
    dist, p = read_pmed(orlib / f"pmed{k}.txt")
    ids = [str(i) for i in range(1, len(dist) + 1)]
    demand = pd.DataFrame({"unit_id": ids, "need": 1.0})
    sites = pd.DataFrame({"site_id": ids})
    plan = p_median(demand, sites, Reach.from_dense(ids, ids, dist), p=p)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(published_optima(orlib)[f"pmed{k}"], abs=1e-6)
    assert len(plan.open_site_ids) == p
    # The plan's own distances add up to the same total.
    assert plan.mean_distance * len(ids) == pytest.approx(plan.objective)


PCENTER_OPTIMA = [127, 98, 93, 74, 48, 84, 64, 55, 37, 20]


@pytest.mark.parametrize("k", range(1, 11))
def test_orlib_p_center_reaches_published_optimum(orlib, k):
    dist, p = read_pmed(orlib / f"pmed{k}.txt")
    ids = [str(i) for i in range(1, len(dist) + 1)]
    demand = pd.DataFrame({"unit_id": ids, "need": 1.0})
    sites = pd.DataFrame({"site_id": ids})
    plan = p_center(demand, sites, Reach.from_dense(ids, ids, dist), p=p)
    assert plan.status == "optimal"
    assert plan.objective == PCENTER_OPTIMA[k - 1]
    assert len(plan.open_site_ids) == p
    # Every node's nearest open site is within the optimum, and one is at exactly it.
    assert plan.worst_distance == PCENTER_OPTIMA[k - 1]
