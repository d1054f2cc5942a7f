"""Grid-file errors in French: the file, the key, the values and the cases each problem occurs in kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage.batch.grid import read_grid, validate_cases
from coverage.data.i18n import language
from coverage.data.i18n.errors import frame_error
from coverage.errors import ScenarioError
from coverage.scenario.run import shipped_scenario


def test_a_bad_grid_file_reads_in_french(tmp_path: Path) -> None:
    path = tmp_path / "grille.toml"
    path.write_text(
        '[grid]\n"objective.max_sites" = []\n"access.rural" = { start = 5, stop = 1 }\n'
        "[extra]\nx = 1\n[[cases]]\nname = 3\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        read_grid(path)
    with language("fr"):
        lines = frame_error(str(info.value)).splitlines()
    assert lines[0] == "4 problèmes :"
    assert (
        f"  {path}: table(s) inconnue(s) `extra` ; un fichier de grille a `[grid]` et/ou `[[cases]]`" in lines
    )
    assert f"  {path}: `grid.objective.max_sites`: liste de valeurs vide ; donnez-en au moins une" in lines
    assert (
        f"  {path}: `grid.access.rural`: l'intervalle {{ start = 5, stop = 1, step = 1 }} "
        "est vide ou sans fin ; prenez un pas < 0"
    ) in lines
    assert f"  {path}: `cases` #1: `name` doit être un texte, reçu 3" in lines


def test_the_cases_a_scenario_problem_occurs_in_read_in_french(tmp_path: Path) -> None:
    path = tmp_path / "grille.toml"
    path.write_text('[grid]\n"objective.max_sites" = [5, 0, -1]\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        validate_cases(shipped_scenario("demo"), read_grid(path), source=str(path))
    english = str(info.value)
    with language("fr"):
        french = frame_error(english)
    # the number a template ends in stays a number: the cases that follow it are not swallowed
    assert (
        f"{path}: objective.max_sites: `objective.max_sites`: "
        "une valeur supérieure ou égale à 1 est attendue (reçu 0) [cas 2 (max_sites=0)]"
    ) in french
    assert "(reçu -1) [cas 3 (max_sites=-1)]" in french
    assert "greater than" not in french and "[case" in english
