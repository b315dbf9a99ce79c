"""Shared fixtures. The data tests need ANALYSIS_DATA_MIRROR (CI sets it to ../shared/data)."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MIRROR = ROOT.parent / "shared" / "data"

if "ANALYSIS_DATA_MIRROR" not in os.environ and DEFAULT_MIRROR.is_dir():
    os.environ["ANALYSIS_DATA_MIRROR"] = str(DEFAULT_MIRROR)


@pytest.fixture
def mirror() -> Path:
    path = os.environ.get("ANALYSIS_DATA_MIRROR")
    assert path and Path(path, "MANIFEST.csv").is_file(), (
        "set ANALYSIS_DATA_MIRROR to the public-data mirror (the folder with MANIFEST.csv)")
    return Path(path)
