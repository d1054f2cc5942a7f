"""Scenario files: schema, inheritance, overrides, errors and the TOML round trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coverage.data.catalogue import entry
from coverage.errors import MissingDataError
from coverage.inputs import DepartmentRules
from coverage.inputs.partners import Horizon, Partner, Sharing
from coverage.models.solver import SolverOptions
from coverage.reach.rules import Decay, Radius, TravelTime, TravelTimeMatrix, ZoneRadius
from coverage.scenario.loading import Scenario, ScenarioError, dump_scenario, load_scenario, parse_override
from coverage.scenario.tables import SITE_SOURCES

FULL = """
name = "founding"
description = "La Poste 2021"

[territory]
departments = ["23", 87, "2A"]

[demand]
illectronisme_rate = 0.2
use_fragility = true

[sites.laposte]
source = "laposte_points"
kinds = ["bureau"]
eligible_only = true

[sites.own]
source = "data/own.csv"
partner = "croixrouge"
capacity = 2

[partners.laposte]
advisors = 100
slots_per_advisor = 4

[partners.croixrouge]
advisors = 80
people_per_slot_month = 30

[sharing]
croixrouge = ["laposte"]

[access]
rule = "zone_radius"
rural = 12000

[access.decay]
kind = "exponential"
scale = 5000

[objective]
model = "staffing"
target = 320000

[rules]
serve_exactly = 57
min_share = {"23" = 0.1}

[horizon]
start = 2022-01-01
until = 2023-12-31
target = 320000

[solver]
solver = "highs"
time_limit = 60
gap = 0.01
threads = 2
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, "tiny.toml", ""))
    assert scenario.name == "tiny"
    assert scenario.departments() is None
    assert scenario.sites["mairie"].source == "town_halls"
    assert scenario.objective.model == "maximal_coverage"
    assert scenario.objective.max_sites == 10
    assert scenario.to_access_rule() == Radius(10_000.0)
    assert scenario.to_horizon() == Horizon(dt.date(2022, 1, 1), dt.date(2023, 12, 31))
    assert scenario.to_partners() == ()
    assert scenario.to_rules().is_empty
    assert scenario.to_solver_options() == SolverOptions()
    assert scenario.to_decay() is None


def test_full_file_converts_to_library_records(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, "full.toml", FULL))
    assert scenario.departments() == ["23", "87", "2A"]
    assert scenario.sites["laposte"].partner == "laposte"
    assert scenario.to_partners() == (
        Partner("laposte", 100, slots_per_advisor=4),
        Partner("croixrouge", 80, people_per_slot_month=30.0),
    )
    sharing = scenario.to_sharing()
    assert sharing == Sharing({"croixrouge": frozenset({"laposte"})})
    assert sharing.may_use("croixrouge", "laposte") and not sharing.may_use("laposte", "croixrouge")
    assert scenario.to_access_rule() == ZoneRadius(rural=12_000.0)
    assert scenario.to_decay() == Decay("exponential", scale=5000.0)
    assert scenario.to_rules() == DepartmentRules(serve_exactly=57, min_share={"23": 0.1})
    assert scenario.to_horizon().target == 320_000
    assert scenario.to_solver_options() == SolverOptions("highs", time_limit=60.0, gap=0.01, threads=2)


def test_travel_time_rules(tmp_path: Path) -> None:
    estimated = load_scenario(write(tmp_path, "t.toml", '[access]\nrule = "travel_time"\nmax_minutes = 15'))
    assert estimated.to_access_rule() == TravelTime(15.0, detour=1.3)
    matrix = load_scenario(
        write(tmp_path, "sub/m.toml", '[access]\nrule = "travel_time_matrix"\ntable = "times.csv"')
    )
    rule = matrix.to_access_rule()
    assert isinstance(rule, TravelTimeMatrix)
    assert Path(str(rule.table)) == (tmp_path / "sub" / "times.csv").resolve()


def test_relative_paths_resolve_against_the_file_that_wrote_them(tmp_path: Path) -> None:
    write(tmp_path, "base/base.toml", '[sites.own]\nsource = "own.csv"\npartner = "x"')
    write(tmp_path, "base/own.csv", "")
    write(tmp_path, "more.gpkg", "")
    child = write(tmp_path, "child.toml", 'extends = "base/base.toml"\n[sites.more]\nsource = "more.gpkg"')
    scenario = load_scenario(child)
    assert scenario.sites["own"].source == str((tmp_path / "base" / "own.csv").resolve())
    assert scenario.sites["more"].source == str((tmp_path / "more.gpkg").resolve())


def test_relative_paths_not_beside_the_file_stay_relative_for_the_data_folder(tmp_path: Path) -> None:
    child = write(tmp_path, "child.toml", '[sites.more]\nsource = "mine/more.gpkg"')
    assert load_scenario(child).sites["more"].source == "mine/more.gpkg"


def test_extends_merges_deeply_and_the_child_wins(tmp_path: Path) -> None:
    write(
        tmp_path, "grand.toml", 'description = "grand"\n[partners.a]\nadvisors = 1\npeople_per_slot_month = 9'
    )
    write(
        tmp_path,
        "base.toml",
        'extends = "grand.toml"\n[partners.a]\nadvisors = 5\n[partners.b]\nadvisors = 2',
    )
    child = write(
        tmp_path, "child.toml", 'extends = "base.toml"\nname = "c"\n[partners.a]\nslots_per_advisor = 3'
    )
    scenario = load_scenario(child)
    assert scenario.name == "c"
    assert scenario.description == "grand"
    assert scenario.to_partners() == (
        Partner("a", 5, slots_per_advisor=3, people_per_slot_month=9.0),
        Partner("b", 2),
    )


def test_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, "demo.toml", FULL)
    scenario = load_scenario(
        path,
        overrides=[
            "partners.laposte.advisors=120",
            'access={rule = "radius", metres = 5000}',
            "horizon.until=2024-06-30",
            "description=two words",
        ],
    )
    assert scenario.partners["laposte"].advisors == 120
    assert scenario.to_access_rule() == Radius(5000.0)
    assert scenario.horizon.until == dt.date(2024, 6, 30)
    assert scenario.description == "two words"


def test_parse_override_reads_toml_literals() -> None:
    assert parse_override("a.b=[1, 2]") == (("a", "b"), [1, 2])
    assert parse_override("a = true") == (("a",), True)
    assert parse_override("a=laposte") == (("a",), "laposte")


def test_round_trip(tmp_path: Path) -> None:
    write(tmp_path, "data/own.csv", "")
    scenario = load_scenario(write(tmp_path, "full.toml", FULL))
    text = dump_scenario(scenario)
    again = load_scenario(write(tmp_path / "elsewhere", "lock.toml", text))
    assert again == scenario
    assert dump_scenario(again) == text


def test_site_sources_are_catalogue_keys() -> None:
    for key in SITE_SOURCES:
        if key != "town_halls":
            assert entry(key).key == key


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "[partners.laposte]\nadvisor = 3\nadvisors = 3",
            r"bad\.toml: unknown key `partners\.laposte\.advisor`; "
            r"did you mean `advisors`\?",
        ),
        ("[partner.laposte]\nadvisors = 3", r"unknown key `partner`; did you mean `partners`\?"),
        (
            '[partners.laposte]\nadvisors = "many"',
            r"`partners\.laposte\.advisors`: .*integer.*received 'many'",
        ),
        (
            "[partners.laposte]\nadvisors = -3",
            r"`partners\.laposte\.advisors`: .*greater than or equal to 0.*-3",
        ),
        (
            "[partners.laposte]\nadvisors = 3\nslots_per_advisor = 0",
            r"`partners\.laposte\.slots_per_advisor`: "
            r".*greater than or equal to 1",
        ),
        (
            '[partners.laposte]\nadvisors = 3\n[sharing]\nlaposte = ["croix_rouge"]',
            r"`sharing\.laposte`: unknown partner `croix_rouge`",
        ),
        ('[access]\nrule = "isochrone"', r"`access\.rule`: .*'radius'.*received 'isochrone'"),
        ('[access]\nrule = "travel_time"\nmetres = 5', r"`metres` does not apply to rule 'travel_time'"),
        ('[horizon]\nstart = "2022-13-01"', r"`horizon\.start`: not a date: '2022-13-01'"),
        (
            "[horizon]\nstart = 2024-01-01\nuntil = 2023-12-31",
            r"`horizon\.until`: 2023-12-31 must come after",
        ),
        ('name = "x"\n[demand\nqpv = 1', r"bad\.toml: invalid TOML: .*line 2"),
        ('[objective]\nmodel = "max_cover"', r"`objective\.model`: .*received 'max_cover'"),
        ('[objective]\nmodel = "p_median"', r"`objective\.p`: model 'p_median' needs p"),
        ('[territory]\ndepartments = ["23", "20", "99"]', r"invalid department code '20'"),
        ('[territory]\ndepartments = "some"', r"expected \"all\" or a list"),
        ("[rules]\nmin_share = 1.5", r"`rules\.min_share`: min_share is a share in \[0, 1\], got 1\.5"),
        ("[rules]\nmin_sites = -1", r"`rules\.min_sites`: must be >= 0"),
        (
            "[partners.x]\nadvisors = 1\nslots_per_advisor = 2\nmin_sites = 3",
            r"`partners\.x`: .*min_sites \(3\) is more than the partner's 2 slots",
        ),
        ('[sites.post]\nsource = "mediation_places"', r"did you mean `mediation_places_2022`\?"),
        ("[solver]\ngap = 1.5", r"`solver\.gap`: .*less than 1"),
        ('[demand]\nuse_fragility = "yes"', r"`demand\.use_fragility`: .*boolean"),
        ("[sites]", r"`sites`: no site layer"),
        ("extends = 3", r"`extends`: expected a file name"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(ScenarioError, match=match):
        load_scenario(write(tmp_path, "bad.toml", text))


def test_every_problem_is_listed(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", "[partners.a]\nadvisors = -1\n[solver]\nthreads = 0\ncolour = 1")
    with pytest.raises(ScenarioError, match="3 problems") as info:
        load_scenario(path)
    assert len(info.value.problems) == 3


def test_problem_names_the_file_that_set_the_key(tmp_path: Path) -> None:
    write(tmp_path, "base.toml", "[partners.a]\nadvisors = -1")
    child = write(tmp_path, "child.toml", 'extends = "base.toml"\n[solver]\nthreads = 0')
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert info.value.problems[0].startswith(str(tmp_path / "base.toml"))
    assert info.value.problems[1].startswith(str(child))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"scenario file .*nowhere\.toml does not exist"):
        load_scenario(tmp_path / "nowhere.toml")


def test_missing_extends(tmp_path: Path) -> None:
    path = write(tmp_path, "child.toml", 'extends = "base.toml"')
    with pytest.raises(
        MissingDataError, match=r"child\.toml: `extends` names .*base\.toml, which does not exist"
    ):
        load_scenario(path)


def test_extends_a_shipped_scenario_by_its_name(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.toml", 'name = "mine"\nextends = "demo"\n[objective]\nmax_sites = 20\n')
    scenario = load_scenario(path)
    assert scenario.objective.max_sites == 20 and scenario.departments() == ["23", "87"]
    assert load_scenario(path, allowed_folders=[tmp_path]).objective.max_sites == 20  # sandboxed too
    path = write(tmp_path, "typo.toml", 'extends = "dmeo"')
    with pytest.raises(MissingDataError, match=r"or the name of a shipped scenario \(.*demo.*laposte-2021"):
        load_scenario(path)


def test_extends_cycle(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'extends = "b.toml"')
    write(tmp_path, "b.toml", 'extends = "a.toml"')
    with pytest.raises(ScenarioError, match=r"`extends` cycle: a\.toml -> b\.toml -> a\.toml"):
        load_scenario(tmp_path / "a.toml")


@pytest.mark.parametrize("text", ["partners.laposte.advisors", "=3", "partners..advisors=3", "a b=1"])
def test_bad_override_syntax(tmp_path: Path, text: str) -> None:
    with pytest.raises(ScenarioError, match=r"bad override .*expected KEY\.PATH=VALUE"):
        load_scenario(write(tmp_path, "demo.toml", ""), overrides=[text])


def test_override_on_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, "demo.toml", "[partners.laposte]\nadvisors = 3")
    with pytest.raises(
        ScenarioError,
        match=r"--set partners\.laposte\.advisor=120: unknown key `partners\.laposte\.advisor`; "
        r"did you mean `advisors`\?",
    ):
        load_scenario(path, overrides=["partners.laposte.advisor=120"])


def test_extends_cannot_be_overridden(tmp_path: Path) -> None:
    # It used to answer "unknown key `extends`; did you mean `extends`?".
    path = write(tmp_path, "demo.toml", "[partners.laposte]\nadvisors = 3")
    with pytest.raises(
        ScenarioError, match=r"--set extends=5: `extends` cannot be set from the command line"
    ) as info:
        load_scenario(path, overrides=["extends=5"])
    assert "did you mean" not in str(info.value)


def test_override_into_a_value(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"`name` holds 'x', not a table"):
        load_scenario(write(tmp_path, "demo.toml", 'name = "x"'), overrides=["name.first=1"])


def test_direct_construction_checks_across_tables() -> None:
    with pytest.raises(ValueError, match="unknown partner `ghost`"):
        Scenario.model_validate({"name": "x", "sharing": {"ghost": []}})
