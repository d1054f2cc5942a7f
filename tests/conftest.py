"""Shared fixtures: where the real public data lives, and small helpers."""

from __future__ import annotations

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
