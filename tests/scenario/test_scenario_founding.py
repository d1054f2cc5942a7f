"""What the founding case needs: shortlists, rotating advisors, partner premises, zone layers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coverage.errors import MissingDataError, ScenarioError
from coverage.inputs.partners import Horizon, Partner
from coverage.models.staffing import staffing
from coverage.plan.binding import binding_constraints
from coverage.plan.verify import verify_plan
from coverage.scenario.loading import load_scenario
from coverage.scenario.marginal import what_binds
from coverage.scenario.run import run_scenario, shipped_scenario, solve_scenario
from model_inputs import dense, frames

SHORTLIST = """
name = "shortlist"

[territory]
departments = ["19", "23", "87"]

[sites.mairie]
source = "town_halls"
shortlist = 15
shortlist_departments = 2

[access]
rule = "zone_radius"

[objective]
model = "maximal_coverage"
max_sites = 5
"""


def _scenario(tmp_path: Path, text: str, overrides: tuple[str, ...] = ()):
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path, overrides=overrides)


def test_shortlist_keeps_n_sites_in_exactly_k_departments(tmp_path: Path) -> None:
    run = run_scenario(_scenario(tmp_path, SHORTLIST))
    chosen = run.shortlists["mairie"]
    assert chosen.status == "optimal"
    assert len(chosen.open_site_ids) == 15
    assert sorted(run.sites["site_id"]) == sorted(chosen.open_site_ids)
    assert run.sites["dep"].nunique() == 2
    assert set(run.plan.open_site_ids) <= set(chosen.open_site_ids)
    assert len(run.plan.open_site_ids) == 5
    assert "shortlist" in run.timings


def test_shortlist_of_one_department_is_that_departments_best(tmp_path: Path) -> None:
    one = run_scenario(_scenario(tmp_path, SHORTLIST, ("sites.mairie.shortlist_departments=1",)))
    assert one.sites["dep"].nunique() == 1
    # The department chosen is the one whose 15 best town halls reach the most need:
    # no other department's own shortlist does better.
    best = one.shortlists["mairie"].objective
    for dep in ("19", "23", "87"):
        alone = run_scenario(
            _scenario(
                tmp_path,
                SHORTLIST,
                (f'territory.departments=["{dep}"]', "sites.mairie.shortlist_departments=1"),
            )
        )
        assert alone.shortlists["mairie"].objective <= best + 1e-6


def test_shortlist_larger_than_the_layer_keeps_every_site(tmp_path: Path) -> None:
    run = run_scenario(
        _scenario(
            tmp_path,
            SHORTLIST,
            (
                'territory.departments=["23"]',
                "sites.mairie.shortlist=100000",
                "sites.mairie.shortlist_departments=1",
            ),
        )
    )
    assert run.shortlists == {}
    assert len(run.sites) > 200  # every Creuse town hall


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("sites.mairie.shortlist_departments=20", "20 departments cannot be served by 15 shortlisted sites"),
        ("sites.mairie.shortlist=0", "sites.mairie.shortlist"),
        ("demand.qpv_units='everywhere'", "demand.qpv_units"),
        ("demand.rurality='zrr'", "demand.rurality"),
    ],
)
def test_bad_founding_keys_are_named(tmp_path: Path, override: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message.replace(".", r"\.")):
        _scenario(tmp_path, SHORTLIST, (override,))


def test_shortlist_departments_needs_shortlist(tmp_path: Path) -> None:
    text = SHORTLIST.replace("shortlist = 15\n", "")
    with pytest.raises(ScenarioError, match="needs `shortlist`"):
        _scenario(tmp_path, text)


def test_max_slots_per_site_spreads_a_rotating_advisor() -> None:
    # u0 (much need) is near s0 only, u1 (little need) near s1 only; s0 could hold both slots.
    demand, sites = frames([1000, 10], ["s0", "s1"], owner=["poste", "poste"], capacity=[2, 2])
    reach = dense(demand, sites, [[0, 99], [99, 0]], radius=5)
    horizon = Horizon(dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    packed = staffing(demand, sites, reach, [Partner("poste", 1, slots_per_advisor=2)], horizon=horizon)
    assert packed.slots.to_dict("records") == [{"site_id": "s0", "partner": "poste", "slots": 2}]
    rotating = Partner("poste", 1, slots_per_advisor=2, max_slots_per_site=1)
    spread = staffing(demand, sites, reach, [rotating], horizon=horizon)
    assert sorted(spread.slots["site_id"]) == ["s0", "s1"]
    assert set(spread.slots["slots"]) == {1}


def test_max_slots_per_site_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_slots_per_site must be >= 1"):
        Partner("poste", 1, max_slots_per_site=0)


def test_founding_case_names_every_missing_file(tmp_path: Path) -> None:
    scenario = load_scenario(shipped_scenario("laposte-2021"))
    with pytest.raises(MissingDataError) as caught:
        run_scenario(scenario, data_dir=tmp_path)
    message = str(caught.value)
    assert "5 data files are missing" in message
    for key in (
        "laposte_points",
        "cnfs_partner_permanences_2022",
        "qpv_demography",
        "density_grid",
        "fragility_communes",
    ):
        assert key in message


@pytest.mark.shared_data
def test_founding_case_on_the_real_files(sources: Path) -> None:
    scenario = load_scenario(shipped_scenario("laposte-2021"), overrides=["solver.time_limit=20"])
    run = run_scenario(scenario, data_dir=sources)
    offices = run.shortlists["laposte"]
    assert offices.status in ("optimal", "feasible")
    assert len(offices.open_site_ids) == 400
    laposte = run.sites[run.sites["source_layer"].eq("laposte")]
    assert len(laposte) == 400 and laposte["dep"].nunique() == 57
    assert laposte["eligible"].all() and set(laposte["kind"]) == {"bureau"}
    partners = run.sites[run.sites["source_layer"].eq("partners")]
    assert set(partners["partner"]) == {"croix_rouge", "groupe_sos"}

    plan = run.plan
    assert plan.status in ("optimal", "feasible")
    slots = plan.slots.groupby("partner")["slots"].sum().to_dict()
    assert slots["laposte"] <= 400 and slots["croix_rouge"] <= 80 and slots["groupe_sos"] <= 100
    poste = plan.slots[plan.slots["partner"].eq("laposte")]
    assert poste["slots"].max() == 1  # one slot per office: 4 offices per advisor
    assert set(poste["site_id"]) <= set(laposte["site_id"])  # La Poste's advisors stay in post offices
    capacity = 24 * (400 * 10 + 80 * 40 + 100 * 40)
    assert plan.served_need <= capacity + 1e-3
    violations = verify_plan(plan)
    assert violations == [], "\n".join(map(str, violations))
    # The figures: no site and no partner serves more than its slots serve in 24 months,
    # and no staffed site shows 0 served while others show more than their slots can serve.
    sites = plan.sites
    assert (sites["served"] <= sites["people_capacity"] + 1e-3).all()
    kpi = plan.kpis("partner").set_index("partner")
    assert (kpi["need_served"] <= kpi["people_capacity"] + 1e-3).all()
    assert kpi.loc["laposte", "people_capacity"] <= 400 * 10 * 24
    projection = plan.projection(dt.date(2023, 12, 31))
    assert projection is not None and projection.target == 320_000
    # What binds: La Poste's offices (one slot each), not its advisors; the partners' advisors.
    found = what_binds(run)
    tight = {(b.group, b.subject) for b in found.tight}
    assert ("partner site room", "laposte") in tight
    assert {("partner advisors", "croix_rouge"), ("partner advisors", "groupe_sos")} <= tight
    marginal = {(m.resource, m.subject): m for m in found.marginal}
    laposte = marginal[("one more advisor", "laposte")]
    assert laposte.gain == pytest.approx(0.0, abs=0.5)
    assert laposte.reason.startswith("the sites bind, not the advisors: laposte: 400 slots staffed")
    for partner in ("croix_rouge", "groupe_sos"):  # a partner advisor's one slot serves 40 x 24 more
        assert marginal[("one more advisor", partner)].gain == pytest.approx(960, abs=0.5)
    # 120 La Poste advisors help no one more: the offices, not the advisors, bind.
    more = solve_scenario(
        load_scenario(shipped_scenario("laposte-2021"), overrides=["partners.laposte.advisors=120"]),
        run.demand,
        run.sites,
        run.reach,
    )
    assert more.served_need == pytest.approx(plan.served_need, abs=0.5)
    held = {(b.group, b.subject): b for b in binding_constraints(more, run.sites)}
    assert not held[("partner advisors", "laposte")].tight and held[("partner site room", "laposte")].tight
    assert {path.name for path, _, _ in run.files} >= {
        "laposte_poincont2_2020-12.csv",
        "cnfs_permanences_laposte_croixrouge_groupesos_2022-07_DERIVED.csv",
        "qpv2015_demographie_insee_DEMO_2022.csv",
        "grille_densite_7_niveaux_2024.csv",
    }


def test_staffing_keeps_the_served_phase_when_the_tie_break_phase_finds_nothing(monkeypatch) -> None:
    import coverage.models.solving as solving

    demand, sites = frames([1000, 10], ["s0", "s1"], owner=["poste", "poste"], capacity=[2, 2])
    reach = dense(demand, sites, [[0, 99], [99, 0]], radius=5)
    horizon = Horizon(dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    partners = [Partner("poste", 1, slots_per_advisor=2)]
    solved = staffing(demand, sites, reach, partners, horizon=horizon)

    calls = []
    real = solving.run_solver

    def second_phase_times_out(problem, options, **kwargs):
        calls.append(problem.name)
        if len(calls) == 2:  # the distance phase: stopped at the limit with no solution
            return solving.SolveResult("not_solved", None, None, 1.0, "cbc")
        return real(problem, options, **kwargs)

    monkeypatch.setattr(solving, "run_solver", second_phase_times_out)
    kept = staffing(demand, sites, reach, partners, horizon=horizon)
    assert len(calls) == 2
    assert kept.status == "feasible"  # need served is optimal, the distance tie-break was not done
    assert kept.served_need == pytest.approx(solved.served_need)
    assert kept.slots.to_dict("records") == solved.slots.to_dict("records")


@pytest.mark.shared_data
def test_national_4000_on_the_real_files_passes_the_verifier(sources: Path) -> None:
    """The third shipped scenario, at a short time limit (about a minute): whatever plan the limit
    leaves, every constraint of its model holds on its own tables."""
    scenario = load_scenario(shipped_scenario("national-4000"), overrides=["solver.time_limit=20"])
    run = run_scenario(scenario, data_dir=sources)
    plan = run.plan
    assert plan.status in ("optimal", "feasible")
    assert plan.served_need > 0
    violations = verify_plan(plan)
    assert violations == [], "\n".join(map(str, violations))
    advisors = plan.kpis("partner").set_index("partner")["advisors"]
    assert advisors.sum() <= 4000
