"""coverage.data.i18n: French formats, the catalogue, display names, error frames, the CLI's --lang."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from coverage.data.i18n import (
    format_date,
    format_km,
    format_number,
    format_percent,
    get_language,
    gettext_,
    language,
    set_language,
)
from coverage.data.i18n.errors import frame_error
from coverage.data.i18n.names import column_name, model_name, partner_name
from coverage.errors import LayerValidationError, Problem


def test_french_formats_are_babels() -> None:
    with language("fr"):
        assert format_number(79689) == "79\u202f689"
        assert format_percent(0.852) == "85,2\xa0%"
        assert format_km(7234.0) == "7,2\xa0km"
        assert format_date(dt.date(2023, 12, 31)) == "31/12/2023"
        assert format_number(float("nan")) == "n.d."
    assert format_number(79689) == "79,689"
    assert format_percent(0.852) == "85.2%"


def test_display_names_come_from_one_place() -> None:
    with language("fr"):
        assert partner_name("laposte") == "La Poste"
        assert partner_name("croix_rouge") == "Croix-Rouge française"
        assert partner_name("groupe_sos") == "Groupe SOS"
        assert model_name("maximal_coverage") == "Couverture maximale"
        assert model_name("staffing") == "Affectation des conseillers"
        assert column_name("need_served") == "Besoin servi"
    assert model_name("staffing") == "Advisor assignment"


def test_the_language_is_per_thread_so_app_sessions_do_not_mix() -> None:
    set_language("fr")
    try:
        seen = []
        other = threading.Thread(target=lambda: seen.append((get_language(), gettext_("Map"))))
        other.start()
        other.join()
        assert seen == [("en", "Map")]
        assert gettext_("Map") == "Carte"
    finally:
        set_language("en")


def test_error_frames_are_translated_and_places_kept(tmp_path: Path) -> None:
    error = LayerValidationError(
        [
            Problem(str(tmp_path / "sites.csv"), "91.0 is not a latitude", row=3, column="latitude"),
            Problem(str(tmp_path / "sites.csv"), "empty id", row=7, column="site_id"),
        ]
    )
    with language("fr"):
        text = frame_error(str(error))
    assert text.startswith("2 problèmes :")
    assert f"{tmp_path / 'sites.csv'}, ligne 3, colonne 'latitude': 91.0 is not a latitude" in text
    assert f"{tmp_path / 'sites.csv'}, ligne 7, colonne 'site_id': empty id" in text
    assert frame_error(str(error)) == str(error)


def test_the_cli_speaks_english_by_default_and_french_with_lang_fr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from coverage.cli.main import main

    assert main(["run", "no-such-scenario"]) == 2
    assert capsys.readouterr().err.startswith("error: no scenario file 'no-such-scenario'")
    assert main(["--lang", "fr", "run", "no-such-scenario"]) == 2
    assert capsys.readouterr().err.startswith("erreur : no scenario file 'no-such-scenario'")
    set_language("en")
