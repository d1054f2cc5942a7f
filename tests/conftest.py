"""Shared fixtures: where the real public data lives, and small helpers."""

from __future__ import annotations

import re
import socket
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SOURCES = SHARED / "geodata-sources"
REFERENCE = SHARED / "reference-instances"


@pytest.fixture(scope="session")
def sources() -> Path:
    """``../shared/geodata-sources``; tests using it are skipped when it is absent."""
    if not (SOURCES / "SOURCES.md").exists():
        pytest.skip(f"real data folder {SOURCES} is absent (it sits beside the repo in CI)")
    return SOURCES


@pytest.fixture(scope="session")
def reference() -> Path:
    """``../shared/reference-instances``; skipped with a reason when absent."""
    if not REFERENCE.exists():
        pytest.skip(f"reference instances folder {REFERENCE} is absent")
    return REFERENCE


def at(path, row: int | None = None, column: str | None = None) -> str:
    """Regex of the place a problem names, as Problem.__str__ writes it."""
    where = [str(path)]
    if row is not None:
        where.append(f"row {row}")
    if column is not None:
        where.append(f"column '{column}'")
    return re.escape(", ".join(where))


def write_csv(tmp_path, text: str, name: str = "sites.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def without_crs_warning(write) -> None:
    """Write a layer with no CRS; pyogrio warns about that on purpose."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
        write()


@pytest.fixture()
def closed_port_url() -> str:
    """A loopback URL where nothing listens: what an offline publisher looks like."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
