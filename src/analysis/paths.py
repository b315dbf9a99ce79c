"""Where the project reads and writes its own files.

Every location can be redirected with an environment variable so that tests and
CI never write into the working tree by accident:

- ``ANALYSIS_RESULTS_DIR``: recorded claim values (default ``<repo>/results``)
- ``ANALYSIS_FIGURES_DIR``: exported figures (default ``<repo>/figures``)
- ``ANALYSIS_TABLES_DIR``: tables a profile exports as CSV and Excel (unset: not exported; ``recalcul
  profile`` sets it for each rendered profile)
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

#: Root of the git checkout (``src/analysis/paths.py`` -> three levels up).
REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"


def env_path(variable: str) -> Path | None:
    """The folder named by environment ``variable``, or ``None`` if unset or empty.

    A relative path is taken from the repository root, not from the current directory:
    notebook kernels run in ``notebooks/``, and ``ANALYSIS_DATA_MIRROR=../shared/data`` set at
    the root must mean the same folder there.
    """
    value = os.environ.get(variable)
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


def results_dir() -> Path:
    """Folder of ``claims_results.csv``, ``scoreboard.csv`` and ``SCOREBOARD.md``."""
    return env_path("ANALYSIS_RESULTS_DIR") or REPO_ROOT / "results"


def figures_dir() -> Path:
    """Folder where :func:`analysis.report.figures.save_figure` writes SVG, PDF and PNG files."""
    return env_path("ANALYSIS_FIGURES_DIR") or REPO_ROOT / "figures"


def tables_dir() -> Path | None:
    """Folder where a rendered profile exports its tables (``$ANALYSIS_TABLES_DIR``), or ``None``: not exported."""
    return env_path("ANALYSIS_TABLES_DIR")


@contextmanager
def environment(**values: str | Path) -> Iterator[None]:
    """Set environment variables for the duration of a ``with`` block, then restore them exactly
    (unset again if they were unset): e.g. ``with environment(ANALYSIS_RESULTS_DIR=tmp): ...``."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
