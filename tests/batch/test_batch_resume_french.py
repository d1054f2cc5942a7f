"""``coverage-plan --lang fr batch``: why an earlier case file is not resumed, in French, figures kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coverage.batch.resume import seal
from coverage.cli.main import main

NNBSP = "\u202f"


def test_the_reasons_a_case_is_run_again_read_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text('[grid]\n"objective.max_sites" = [4, 8]\n', encoding="utf-8")
    out = tmp_path / "b"
    argv = ["batch", "demo", str(grid), "--workers", "1", "--out", str(out)]
    assert main(["--lang", "fr", *argv]) == 0
    capsys.readouterr()
    cases = sorted((out / "cases").glob("*.json"))
    assert len(cases) == 2
    # one file whose figures break the bounds under a valid checksum, one that is no JSON at all
    record = json.loads(cases[0].read_text(encoding="utf-8"))
    reached = record["reached_need"]
    cases[0].write_text(json.dumps(seal({**record, "served_need": 123_456_789.0})), encoding="utf-8")
    cases[1].write_text("{ cut", encoding="utf-8")

    assert main(["--lang", "fr", *argv]) == 0
    text = capsys.readouterr().out
    reached_fr = f"{reached:,.0f}".replace(",", NNBSP)
    assert (
        f"cas {cases[0].stem} relancé : son fichier de cas précédent a served_need 123{NNBSP}456{NNBSP}789 "
        f"au-dessus de reached_need {reached_fr} (le besoin servi ne peut dépasser le besoin à portée)"
    ) in text
    assert (
        f"cas {cases[1].stem} relancé : son fichier de cas précédent ne peut pas être lu comme du JSON"
        in text
    )
    # the English reasons are checked in tests/batch/test_batch_resume.py
    assert "run again" not in text and "is above" not in text
