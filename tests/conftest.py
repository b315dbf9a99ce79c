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
    """The mirror folder, absolute: a relative ANALYSIS_DATA_MIRROR is taken from the repository root
    (as the package does), never from the test's working directory."""
    from analysis.paths import env_path

    path = env_path("ANALYSIS_DATA_MIRROR")
    assert path and Path(path, "MANIFEST.csv").is_file(), (
        "set ANALYSIS_DATA_MIRROR to the public-data mirror (the folder with MANIFEST.csv)")
    return path


def one_row(df, column=None, **where):
    """The single row of ``df`` matching every ``column=value`` in ``where`` (asserts exactly one);
    with ``column``, that cell's value."""
    import pandas as pd

    mask = pd.Series(True, index=df.index)
    for col, val in where.items():
        mask &= df[col] == val
    rows = df[mask]
    assert len(rows) == 1, f"{len(rows)} rows for {where}"
    return rows.iloc[0] if column is None else rows.iloc[0][column]


@pytest.fixture(autouse=True, scope="module")
def _every_figure_format():
    """`make test` sets ANALYSIS_FIG_FORMATS=svg for the notebooks run by nbval (their exports only
    need to succeed); unit tests check every format, so they never see that setting (module scope:
    module-scoped fixtures such as rendered profiles run without it too; restored afterwards)."""
    mp = pytest.MonkeyPatch()
    mp.delenv("ANALYSIS_FIG_FORMATS", raising=False)
    yield
    mp.undo()
