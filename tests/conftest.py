"""Shared fixtures. The data tests need ANALYSIS_DATA_MIRROR (CI sets it to ../shared/data)."""

import gc
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MIRROR = ROOT.parent / "shared" / "data"

if "ANALYSIS_DATA_MIRROR" not in os.environ and DEFAULT_MIRROR.is_dir():
    os.environ["ANALYSIS_DATA_MIRROR"] = str(DEFAULT_MIRROR)


def _end_worker_at_once() -> None:
    """A pytest-xdist worker's last step: once its results have reached the controller and the other exit
    handlers have run, end the process without tearing down its interpreter (freeing the tables, figures
    and modules of a 1 GB process took 1 to 1.5 s, during which the controller waits)."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


if os.environ.get("PYTEST_XDIST_WORKER"):
    import atexit

    atexit.register(_end_worker_at_once)  # registered first, so it runs after every other exit handler


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
    mp.delenv("ANALYSIS_FIG_LANGUAGES", raising=False)  # likewise: nbval draws French only, unit tests both
    yield
    mp.undo()


#: Test modules and notebooks that take longest, longest first (seconds on the 2-core machine in brackets).
#: pytest-xdist (``--dist loadscope --no-loadscope-reorder``: without that flag xdist orders modules by
#: their number of tests) hands modules to its workers in collection order: starting the long ones first
#: keeps one worker from finishing alone with a long module at the end.
SLOW_FIRST = ["test_profile.py",  # three rendered profiles (~12)
              "test_figures.py",  # exports of SVG, PDF and 300-dpi PNG (~11)
              "test_site.py",  # Sphinx build and Chromium (~12)
              "test_whatif.py",  # one what-if run of notebook 01 (~14)
              "test_atlas.py",  # an atlas of three levels (~8)
              "04_clermont_vichy_auvergne.ipynb", "test_run_notebooks.py", "02_territorial_dynamics.ipynb",
              "test_official_download.py", "01_local_multiplier.ipynb", "test_loaders_employment.py",
              "test_territories.py", "05_programme_instruments.ipynb", "test_official_aggregate.py",
              "03_energy_transition.ipynb", "test_multiplier.py", "test_loaders_geo.py", "test_dynamics.py",
              "06_territory_profile.ipynb"]


def pytest_collection_modifyitems(session, config, items):
    """Run the slowest modules first (:data:`SLOW_FIRST`); the order inside a module (a notebook's
    cells) is kept, and the other modules keep their collection order after them."""
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    first_seen = {}
    for i, item in enumerate(items):
        first_seen.setdefault(item.path, i)
    items.sort(key=lambda item: (rank.get(item.path.name, len(rank)), first_seen[item.path]))


def pytest_configure(config):
    # the test processes keep large tables (communes, panels, the resolver) for the whole run: with gen-0
    # threshold 700 the cyclic garbage collector took 7.9 s of the two workers' 85 s of CPU under make test
    # (full collections walking those tables); with 10,000, 2.1 s
    gc.set_threshold(10_000, 20, 20)
