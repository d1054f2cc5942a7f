from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from coverage.data.settings import DATA_DIR_ENV, Settings, get_settings, resolve_data_dir
from coverage.errors import MissingDataError


def test_no_option_and_no_env_means_no_data_dir(monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    assert get_settings().data_dir is None
    assert resolve_data_dir(None) is None


def test_blank_env_var_means_no_data_dir(monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, "  ")
    assert resolve_data_dir(None) is None


def test_env_var_is_used_when_no_option(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert resolve_data_dir(None) == tmp_path.resolve()


def test_explicit_option_wins_over_env_var(monkeypatch, tmp_path):
    from_env = tmp_path / "env"
    explicit = tmp_path / "option"
    from_env.mkdir()
    explicit.mkdir()
    monkeypatch.setenv(DATA_DIR_ENV, str(from_env))
    assert resolve_data_dir(explicit) == explicit.resolve()
    assert resolve_data_dir(str(explicit)) == explicit.resolve()


def test_explicit_option_wins_even_over_a_broken_env_var(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "absent"))
    assert resolve_data_dir(tmp_path) == tmp_path.resolve()


def test_missing_env_folder_names_the_variable_and_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "absent"))
    with pytest.raises(
        MissingDataError,
        match=r"absent \(from environment variable COVERAGE_DATA_DIR\) does not exist; create the folder",
    ):  # noqa: E501
        get_settings()


def test_missing_explicit_folder_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"from the data_dir option\) does not exist.*--data-dir"):
        resolve_data_dir(tmp_path / "absent")


def test_a_file_is_not_a_data_folder(tmp_path):
    path = tmp_path / "file.csv"
    path.write_text("a\n", encoding="utf-8")
    with pytest.raises(MissingDataError, match="is a file, not a folder"):
        resolve_data_dir(path)


def test_user_home_is_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "data").mkdir()
    assert Settings(data_dir=Path("~/data")).data_dir == (tmp_path / "data").resolve()


def test_settings_are_frozen_and_strict(tmp_path):
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(ValidationError):
        settings.data_dir = None  # type: ignore[misc]
    with pytest.raises(ValidationError, match="data_dri"):
        Settings(data_dri=tmp_path)  # type: ignore[call-arg]


def test_only_settings_reads_the_env_var():
    package = Path(__file__).resolve().parents[2] / "src" / "coverage"
    readers = [
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if DATA_DIR_ENV in p.read_text(encoding="utf-8")
        and ("environ" in p.read_text(encoding="utf-8") or "getenv" in p.read_text(encoding="utf-8"))
    ]
    assert readers == ["data/settings.py"]
