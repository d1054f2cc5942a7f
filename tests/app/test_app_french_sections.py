"""The Numbers tab's What binds and rollout curve in French (the app's default language)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("streamlit", reason="the app extra is not installed (pip install -e '.[app]')")
from streamlit.testing.v1 import AppTest  # noqa: E402

from coverage.app import PAGE  # noqa: E402

NNBSP = "\u202f"
# the rollout scenario of test_app.py: 1,520 people by December 2022, target 1,500 reached then
ROLLOUT_TOML = b"""\
name = "rollout"
[territory]
departments = ["23"]
[sites.mairie]
source = "town_halls"
[partners.mairie]
advisors = 4
people_per_slot_month = 40.0
[objective]
model = "staffing"
[horizon]
start = 2022-01-01
until = 2022-12-31
target = 1500.0
[rollout]
ramp_months = 2
[rollout.partners.mairie.waves.first]
start = "2022-01"
advisors = 2
[rollout.partners.mairie.waves.second]
start = "2022-04"
advisors = 2
"""


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AppTest:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    return AppTest.from_file(str(PAGE), default_timeout=60)  # no lang: French


def test_what_binds_and_what_one_more_buys_read_in_french(app: AppTest) -> None:
    app.run()
    frames = [f.value for f in app.dataframe]
    binding = next(f for f in frames if "contrainte" in f.columns)
    tight = binding[binding["saturée"] == "oui"]
    assert tight["contrainte"].tolist() == ["nombre de lieux"]
    assert tight["s'applique à"].tolist() == ["lieux ouverts"]
    assert tight["utilisation par rapport à sa limite"].tolist() == ["12 lieux ouverts sur 12 au plus"]
    app.button(key="measure_marginal").click().run()
    assert not app.exception
    lines = [m.value for m in app.markdown if m.value.startswith("- un lieu de plus : +")]
    assert len(lines) == 1, [m.value for m in app.markdown]
    assert lines[0].endswith("personnes en besoin à portée (nouvelle résolution, exacte)")
    assert NNBSP in lines[0]  # +2 172: French thousands


def test_the_rollout_curve_and_cards_read_in_french(app: AppTest) -> None:
    app.run()
    app.sidebar.file_uploader(key="toml_upload").set_value(
        ("rollout.toml", ROLLOUT_TOML, "application/toml")
    ).run()
    assert not app.exception
    cards = {m.label: m.value for m in app.metric}
    assert cards["Personnes accompagnées fin 12/2022"] == f"1{NNBSP}520"
    assert cards["Objectif atteint"] == "12/2022"
    assert any("Calcul du déploiement : optimal" in c.value for c in app.caption)
    assert app.subheader[0].value == "Déploiement dans le temps"


def test_layer_and_site_costs_are_settings_of_the_sidebar(app: AppTest) -> None:
    app.run()
    app.sidebar.number_input(key="w:sites.mairie.cost").set_value(100.0).run()
    app.sidebar.text_input(key="w:objective.site_costs").set_value("mairie:23096=1, mairie:87085=2").run()
    app.sidebar.number_input(key="w:objective.budget").set_value(3.0).run()
    assert not app.exception, app.exception
    assert app.query_params["objective.site_costs"] == '{"mairie:23096" = 1.0, "mairie:87085" = 2.0}'
    open_ids = next(set(t.value["Lieu"]) for t in app.dataframe if "Servi" in t.value.columns)
    assert open_ids == {"mairie:23096", "mairie:87085"}  # 1 + 2 fit a budget of 3; a town hall costs 100
    app.sidebar.text_input(key="w:objective.site_costs").set_value("mairie:2309=1").run()
    errors = " ".join(e.value for e in app.error)
    assert "objective.site_costs cite 1 identifiant qui n'est pas un lieu candidat : 'mairie:2309'" in errors
