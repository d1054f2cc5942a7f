"""Every kind of scenario-file error in French: the file, the key path and the value received kept.

Each case writes a real file with one mistake, loads it, and reads the error as the
command line and the app show it (:func:`coverage.data.i18n.errors.frame_error` under French).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage.data.i18n import language
from coverage.data.i18n.errors import frame_error
from coverage.errors import MissingDataError, ScenarioError
from coverage.scenario.loading import load_scenario

NNBSP = "\u202f"

CASES = [
    # pydantic's own messages
    (
        '[objective]\nmodel = "max_cover"',
        "`objective.model`: une de ces valeurs est attendue : 'maximal_coverage', 'set_cover', 'staffing', "
        "'p_median' ou 'p_center' (reçu 'max_cover')",
    ),
    (
        '[access]\nrule = "road_time"\nfar_points = "keep"',
        "`access.far_points`: une de ces valeurs est attendue : 'drop' ou 'error'",
    ),
    ("[solver]\ngap = 1.5", "`solver.gap`: une valeur inférieure à 1 est attendue (reçu 1.5)"),
    ('name = ""', "`name`: un texte d'au moins 1 caractère est attendu (reçu '')"),
    ("[objective]\nsite_costs = 3", "`objective.site_costs`: une table est attendue (reçu 3)"),
    ("partners = 3", "`partners`: une table est attendue (reçu 3)"),
    ("[horizon]\nstart = 5", "`horizon.start`: une date est attendue (AAAA-MM-JJ) (reçu 5)"),
    # the schema's checks of one table
    (
        '[territory]\ndepartments = ["23", "99"]',
        "`territory.departments`: code de département invalide '99' : '01'..'95', '2A', '2B' ou '971'..'978' "
        "attendu (reçu ['23', '99'])",
    ),
    (
        '[territory]\ndepartments = "some"',
        "`territory.departments`: \"all\" ou une liste de codes de département est attendu, reçu 'some'",
    ),
    ("[rules]\nmin_sites = -1", "`rules.min_sites`: doit être >= 0, reçu -1"),
    (
        "[rules]\nmin_share = 1.5",
        "`rules.min_share`: min_share est une part dans [0, 1], reçu 1,5 (reçu 1.5)",
    ),
    (
        '[horizon]\nstart = "2022-13-01"',
        "`horizon.start`: pas une date : '2022-13-01' ; écrivez-la AAAA-MM-JJ",
    ),
    (
        '[access]\nrule = "travel_time"\nmetres = 5',
        "`access`: `metres` ne s'applique pas à la règle 'travel_time', qui prend : max_minutes, detour",
    ),
    (
        "[partners.x]\nadvisors = 1\nslots_per_advisor = 2\nmin_sites = 3",
        "`partners.x`: min_sites (3) dépasse les 2 créneaux du partenaire (un créneau par lieu)",
    ),
    (
        "[partners.x]\nadvisors = 1200\nmin_advisors = 1500",
        f"`partners.x`: min_advisors (1{NNBSP}500) dépasse les 1{NNBSP}200 conseillers",
    ),
    (
        '[objective]\nforced = ["mairie:23096"]\nclosed = ["mairie:23096"]',
        "`objective`: lieux à la fois imposés et fermés : mairie:23096 ; gardez chacun dans une seule liste",
    ),
    # the "did you mean" hint of unknown names, and the list of valid ones
    (
        '[sites.post]\nsource = "mediation_places"',
        "`sites.post.source`: source de lieux inconnue 'mediation_places' ; vouliez-vous dire "
        "`mediation_places_2022` ? (ou donnez un chemin de fichier comme 'sites.csv')",
    ),
    (
        '[partners.laposte]\nadvisors = 3\n[sharing]\nlaposte = ["laposet"]',
        "`sharing.laposte`: partenaire inconnu `laposet` ; vouliez-vous dire `laposte` ?",
    ),
    (
        '[partners.laposte]\nadvisors = 3\n[sharing]\nlaposte = ["croix_rouge"]',
        "`sharing.laposte`: partenaire inconnu `croix_rouge` ; valides : `laposte`, `mairie`",
    ),
    # checks across tables
    ("[sites]", "`sites`: aucune couche de lieux ; ajoutez une table [sites.<couche>]"),
    (
        "[horizon]\nstart = 2024-01-01\nuntil = 2023-12-31",
        "`horizon.until`: 2023-12-31 doit venir après le début (2024-01-01)",
    ),
    (
        '[objective]\nmodel = "p_median"',
        "`objective.p`: le modèle 'p_median' demande p, le nombre de lieux à ouvrir",
    ),
    (
        '[objective]\nmodel = "staffing"',
        "`partners`: le modèle 'staffing' demande au moins une table [partners.<nom>]",
    ),
    (
        "[rollout.partners.nobody]\nattrition = 0.1",
        "`rollout`: un déploiement échelonne un plan d'affectation des conseillers ; "
        "objective.model vaut 'maximal_coverage'",
    ),
    (
        '[rollout.partners.laposte.waves.w1]\nstart = "2022-13"\nadvisors = 1',
        "`rollout.partners.laposte.waves.w1.start`: pas un mois : '2022-13' ; écrivez-le AAAA-MM (2022-04)",
    ),
    ('[demand]\nid_column = "code"', "`demand.id_column`: ne s'applique qu'à un fichier de demande"),
    # the loader's own checks
    ("extends = 3", "`extends`: un nom de fichier est attendu, reçu 3"),
]


@pytest.mark.parametrize(("text", "french"), CASES)
def test_scenario_errors_read_in_french_with_file_key_and_value_kept(
    tmp_path: Path, text: str, french: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    english = str(info.value)
    with language("fr"):
        shown = frame_error(english)
    assert french in shown, shown
    assert f"{path}: " in shown  # the file that set the key, as in English
    key = french.split("`")[1]
    assert f"`{key}`" in english  # the same key path in both languages


def test_an_extends_cycle_and_a_missing_parent_read_in_french(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\nname = "a"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n', encoding="utf-8")
    (tmp_path / "c.toml").write_text('extends = "nowhere.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as cycle:
        load_scenario(tmp_path / "a.toml")
    with pytest.raises(MissingDataError) as missing:
        load_scenario(tmp_path / "c.toml")
    with language("fr"):
        assert frame_error(str(cycle.value)).endswith(": cycle de `extends` : a.toml -> b.toml -> a.toml")
        assert (
            f"`extends` nomme {tmp_path / 'nowhere.toml'}, qui n'existe pas ; donnez un chemin relatif à "
            in (frame_error(str(missing.value)))
        )
    assert str(cycle.value).endswith("`extends` cycle: a.toml -> b.toml -> a.toml")  # English as made
