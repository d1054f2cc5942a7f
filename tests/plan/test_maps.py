from __future__ import annotations

import re

import folium
import pytest

from coverage.plan.maps import plan_map
from coverage.scenario.loading import load_scenario
from coverage.scenario.run import run_scenario, shipped_scenario


@pytest.fixture(scope="module")
def demo():
    return run_scenario(load_scenario(shipped_scenario("demo")))


def _layers(m: folium.Map) -> list[str]:
    return [getattr(child, "layer_name", "") for child in m._children.values()]


def test_layers_of_the_map(demo):
    m = plan_map(demo.plan, candidates=demo.sites)
    names = _layers(m)
    assert "departments" in names
    assert "open sites (12)" in names
    assert "candidate sites (438)" in names
    n_unreached = len(demo.plan.explanations)
    assert f"unreached QPV / rural units ({n_unreached})" in names
    assert any(isinstance(child, folium.LayerControl) for child in m._children.values())
    html = m.get_root().render()
    assert html.count("L.circleMarker(") == 12
    assert "share of need served" in html and "open sites by partner" in html


def test_only_the_plan_departments_are_drawn(demo):
    html = plan_map(demo.plan).get_root().render()
    assert "Creuse" in html and "Haute-Vienne" in html
    assert "Corr\\u00e8ze" not in html and "Corrèze" not in html
    assert "candidate sites (" not in html


def test_layers_stack_on_a_given_map(demo):
    m = folium.Map()
    assert plan_map(demo.plan, m=m, shade="reached") is m
    assert "share of need reached" in m.get_root().render()


def test_limits_are_named_in_the_layer(demo):
    names = _layers(plan_map(demo.plan, candidates=demo.sites, max_candidates=10, max_unreached=5))
    assert "candidate sites (first 10 of 438)" in names
    # above the limit every unreached unit is counted, per department, instead of a sample of dots
    n_unreached = len(demo.plan.explanations)
    assert f"unreached QPV / rural units ({n_unreached}), by department" in names


def test_unreached_units_above_the_limit_are_aggregated_per_department(demo):
    html = plan_map(demo.plan, max_unreached=5).get_root().render()
    counts = {dep: int(n) for dep, n in re.findall(r"department (\w+): (\d+) unreached units", html)}
    explanations = demo.plan.explanations
    assert counts == explanations.groupby("dep").size().to_dict()
    assert sum(counts.values()) == len(explanations)


def test_bad_shade(demo):
    with pytest.raises(ValueError, match="shade must be 'served' or 'reached'"):
        plan_map(demo.plan, shade="people")  # type: ignore[arg-type]


def test_a_national_map_frames_mainland_france_and_links_each_overseas_department():
    run = run_scenario(
        load_scenario(
            shipped_scenario("demo"),
            overrides=['territory.departments=["23", "971", "974"]', "objective.max_sites=3"],
        )
    )
    m = plan_map(run.plan)
    html = m.get_root().render()
    fitted = re.search(r"fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", html)
    assert fitted is not None
    south, west, north, east = (float(v) for v in fitted.groups())
    assert (
        45 < south < north < 47 and 1 < west < east < 3
    )  # the Creuse, not the Caribbean or the Indian Ocean
    assert "Mainland France" in html and "Guadeloupe" in html and "La R\\u00e9union" in html
