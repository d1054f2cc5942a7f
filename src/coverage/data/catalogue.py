"""The catalogue of official data files: publisher, licence, vintage, addresses.

:data:`CATALOGUE` lists every official (or derived) file the readers of
:mod:`coverage.data.layers` understand. :mod:`coverage.data.folder` finds them in a
folder, reports on them and downloads them.

The landing pages and download addresses are the publishers' stable addresses
as of writing (2025), not checked from the offline machine this was written on:
publishers move files. The four ANCT files are pinned to commits of ANCT's own
GitHub repositories (byte-identical to the copies the project was built with).
Where the publisher ships a format the readers do not take as is (an INSEE or
ANCT spreadsheet to convert to CSV, a Tableau extract), or the file is derived,
there is no download address and ``manual`` says what to do.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CATALOGUE", "DataFile", "entries", "entry"]

_OUVERTE = "Licence Ouverte / Etalab 2.0"
_RAW = "https://raw.githubusercontent.com"


@dataclass(frozen=True)
class DataFile:
    """One official (or derived) data file the library reads.

    Attributes
    ----------
    key
        Short name used across the library and the CLI (``'laposte_points'``).
    title
        What the file holds.
    patterns
        File-name glob patterns (case-insensitive), most preferred first.
    reader
        ``'module:function'`` reading the file into a frame with a load report.
    publisher, licence, vintage
        Who publishes it, under which licence, and the date of its contents.
    landing_page
        The publisher's page describing the dataset.
    download_url
        Direct address of the file in the format the reader takes, or ``None``.
    relative_path
        Where :func:`fetch` stores the file under its destination folder.
    manual
        How to get or make the file by hand when there is no download address.
    """

    key: str
    title: str
    patterns: tuple[str, ...]
    reader: str
    publisher: str
    licence: str
    vintage: str
    landing_page: str
    download_url: str | None
    relative_path: str
    manual: str = ""

    @property
    def file_name(self) -> str:
        return Path(self.relative_path).name

    @property
    def how_to_get(self) -> str:
        """One line saying where to get the file."""
        if self.download_url:
            note = f" ({self.manual})" if self.manual else ""
            return f"'coverage-plan data fetch --only {self.key}', or download {self.download_url}{note}"
        return f"{self.manual} (see {self.landing_page})"

    def load(self, path: str | Path) -> object:
        """Read ``path`` with this entry's reader (imported on first use)."""
        module_name, function_name = self.reader.split(":")
        function = getattr(importlib.import_module(module_name), function_name)
        return function(path)


CATALOGUE: tuple[DataFile, ...] = (
    DataFile(
        key="laposte_points",
        title="La Poste contact points (bureaux, agences postales, relais)",
        patterns=("laposte_poincont2*.csv", "laposte_poincont*.csv", "laposte-poincont*.csv"),
        reader="coverage.data.layers.laposte:read_laposte_points",
        publisher="La Poste (datanova)",
        licence=_OUVERTE,
        vintage="2020-12",
        landing_page="https://www.data.gouv.fr/fr/datasets/"
        "liste-des-points-de-contact-du-reseau-postal-francais-et-horaires/",
        download_url="https://datanova.laposte.fr/data-fair/api/v1/datasets/laposte-poincont2/raw",
        relative_path="laposte_points_contact/laposte_poincont2_2020-12.csv",
        manual="the current extract may use newer lowercase column names",
    ),
    DataFile(
        key="france_services_2024",
        title="France services labelled sites (ANCT list)",
        patterns=("liste-fs-*.csv", "liste_fs_*.csv"),
        reader="coverage.data.layers.france_services:read_france_services_2024",
        publisher="ANCT",
        licence=_OUVERTE,
        vintage="2024-08-01",
        landing_page="https://www.data.gouv.fr/fr/datasets/liste-des-structures-france-services/",
        download_url=f"{_RAW}/anct-carto/france_services/"
        "e1016fd717a8c9cc53406621959c837fb74fc0c9/data/liste-fs-20240801.csv",
        relative_path="france_services/liste-fs-20240801.csv",
    ),
    DataFile(
        key="france_services_2020",
        title="France services map layer (ANCT, closest to Oct 2021)",
        patterns=("france_services_20*.geojson", "france_services.geojson"),
        reader="coverage.data.layers.france_services:read_france_services_2020",
        publisher="ANCT",
        licence=_OUVERTE,
        vintage="2020-10 (labels 2020)",
        landing_page="https://github.com/anct-carto/France-services",
        download_url=f"{_RAW}/anct-carto/France-services/"
        "0584fe106b4a99e01150bdfdf0c0acea28889a48/data/france_services.geojson",
        relative_path="france_services/france_services_2020-12.geojson",
    ),
    DataFile(
        key="cnfs_structures_2021",
        title="Host structures of conseillers numériques (selection committees)",
        patterns=("cnfs_structures_*.json", "cnfs.json"),
        reader="coverage.data.layers.cnfs:read_cnfs_structures_2021",
        publisher="ANCT (Programme Société Numérique)",
        licence="not stated (ANCT practice: Licence Ouverte)",
        vintage="2021-06",
        landing_page="https://github.com/anct-carto/conseillers-numeriques",
        download_url=f"{_RAW}/anct-carto/conseillers-numeriques/"
        "cb9709939e229e7fe363012e9a034e176a427954/data/cnfs.json",
        relative_path="france_services/cnfs_structures_2021.json",
    ),
    DataFile(
        key="mediation_places_2022",
        title="Permanences of conseillers numériques (lieux de médiation numérique)",
        patterns=("lieux_mediation_numerique_cnfs_*.json", "lieux-de-mediation-numerique*.json"),
        reader="coverage.data.layers.cnfs:read_mediation_places",
        publisher="ANCT (cartographie nationale des lieux d'inclusion numérique)",
        licence=_OUVERTE,
        vintage="2022-07",
        landing_page="https://cartographie.societenumerique.gouv.fr/",
        download_url=f"{_RAW}/anct-cartographie-nationale/client-application/"
        "9f64eee0ab0c004bee01b3793532f64086931d63/src/assets/data/"
        "lieux-de-mediation-numerique.cnfs.json",
        relative_path="france_services/lieux_mediation_numerique_cnfs_2022-07.json",
    ),
    DataFile(
        key="cnfs_partner_permanences_2022",
        title="Permanences hosted by La Poste, Croix-Rouge, Groupe SOS (derived)",
        patterns=("cnfs_permanences_*_DERIVED.csv",),
        reader="coverage.data.layers.cnfs:read_mediation_places",
        publisher="derived from ANCT's lieux de médiation numérique (names matched)",
        licence=_OUVERTE,
        vintage="2022-07",
        landing_page="https://cartographie.societenumerique.gouv.fr/",
        download_url=None,
        relative_path="laposte_programme/cnfs_permanences_laposte_croixrouge_groupesos_2022-07_DERIVED.csv",
        manual="derived: keep the rows of mediation_places_2022 whose name matches "
        "'poste', 'croix rouge' or 'groupe sos', adding column partenaire_detecte",
    ),
    DataFile(
        key="qpv_polygons",
        title="QPV (priority neighbourhoods) polygons",
        patterns=("QP2024_*.geojson", "QP_*.geojson", "QP_*.shp", "qpv*.geojson", "qp.geojson"),
        reader="coverage.data.layers.qpv:read_qpv_polygons",
        publisher="ANCT (SIG Ville)",
        licence=_OUVERTE,
        vintage="2024 or 2015 list",
        landing_page="https://www.data.gouv.fr/fr/datasets/"
        "quartiers-prioritaires-de-la-politique-de-la-ville-qpv/",
        download_url=None,
        relative_path="qpv/qpv2015_occitanie_hackaviz2021.geojson",
        manual="download QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson from data.gouv.fr",
    ),
    DataFile(
        key="qpv_demography",
        title="QPV population (INSEE DEMO, 2015 list)",
        patterns=("qpv*demographie*.csv", "DEMO_20*.csv"),
        reader="coverage.data.layers.qpv:read_qpv_demography",
        publisher="INSEE",
        licence=_OUVERTE,
        vintage="2022 (RP ~2018)",
        landing_page="https://sig.ville.gouv.fr/",
        download_url=None,
        relative_path="qpv/qpv2015_demographie_insee_DEMO_2022.csv",
        manual="download INSEE's 'Données démographiques des quartiers prioritaires' "
        "(DEMO_2022) and save it as ';'-separated UTF-8 CSV",
    ),
    DataFile(
        key="density_grid",
        title="INSEE grille communale de densité, 7 levels",
        patterns=("grille_densite_7_niveaux_*.csv", "grille_densite*.csv"),
        reader="coverage.data.layers.rurality:read_density_grid",
        publisher="INSEE",
        licence=_OUVERTE,
        vintage="2024 (COG 2024)",
        landing_page="https://www.insee.fr/fr/information/6439600",
        download_url=None,
        relative_path="rurality/grille_densite_7_niveaux_2024.csv",
        manual="download grille_densite_7_niveaux_2024.xlsx and save sheet "
        "Grille_Densite (header on row 5) as UTF-8 CSV",
    ),
    DataFile(
        key="zrr",
        title="Communes in zones de revitalisation rurale (ZRR)",
        patterns=("zrr_communes*.csv", "diffusion-zonages-zrr*.csv"),
        reader="coverage.data.layers.rurality:read_zrr",
        publisher="ANCT - Observatoire des territoires",
        licence=_OUVERTE,
        vintage="2021 (COG 2021)",
        landing_page="https://www.observatoire-des-territoires.gouv.fr/"
        "zonage-en-zone-de-revitalisation-rurale-zrr",
        download_url=None,
        relative_path="rurality/zrr_communes_cog2021.csv",
        manual="download diffusion-zonages-zrr-cog2021.xls and save its COG 2021 sheet "
        "(columns CODGEO, LIBGEO, ZRR_SIMP, ZONAGE_ZRR) as UTF-8 CSV",
    ),
    DataFile(
        key="fragility_iris",
        title="Indice de fragilité numérique per IRIS (La Mednum)",
        patterns=("mednum_indice_fragilite_numerique_iris_*.csv", "*fragilite*iris*.csv"),
        reader="coverage.data.layers.fragility:read_fragility_index",
        publisher="La Mednum",
        licence="not stated",
        vintage="2020 (IRIS ~2017)",
        landing_page="https://www.fragilite-numerique.fr/",
        download_url=None,
        relative_path="fragilite_numerique/mednum_indice_fragilite_numerique_iris_2020.csv",
        manual="export the IRIS table of La Mednum's index (Tableau Public) as CSV",
    ),
    DataFile(
        key="fragility_communes",
        title="Indice de fragilité numérique per commune (derived)",
        patterns=("mednum_indice_fragilite_numerique_communes_*.csv", "*fragilite*commune*.csv"),
        reader="coverage.data.layers.fragility:read_fragility_index",
        publisher="derived from La Mednum's IRIS index (population-weighted means)",
        licence="not stated",
        vintage="2020 (COG <2018)",
        landing_page="https://www.fragilite-numerique.fr/",
        download_url=None,
        relative_path="fragilite_numerique/mednum_indice_fragilite_numerique_communes_2020_DERIVED.csv",
        manual="derived: population-weighted mean of fragility_iris per commune "
        "(first 5 characters of code_iris)",
    ),
)

_BY_KEY = {item.key: item for item in CATALOGUE}


def entry(key: str) -> DataFile:
    """The catalogue entry named ``key``; a ``KeyError`` lists the valid keys."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown data file {key!r}; known: {', '.join(_BY_KEY)}") from None


def entries(keys: Iterable[str] | None) -> list[DataFile]:
    """The entries named by ``keys``, in that order (all of them when ``None``)."""
    return list(CATALOGUE) if keys is None else [entry(k) for k in keys]
