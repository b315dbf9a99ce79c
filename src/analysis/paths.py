"""Where the project reads and writes its own files.

Every location can be redirected with an environment variable so that tests and
CI never write into the working tree by accident:

- ``ANALYSIS_RESULTS_DIR``: recorded claim values (default ``<repo>/results``)
- ``ANALYSIS_FIGURES_DIR``: exported figures (default ``<repo>/figures``)
"""

from __future__ import annotations

import os
from pathlib import Path

#: Root of the git checkout (``src/analysis/paths.py`` -> three levels up).
REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"


def results_dir() -> Path:
    """Folder of ``claims_results.csv``, ``scoreboard.csv`` and ``SCOREBOARD.md``."""
    return Path(os.environ.get("ANALYSIS_RESULTS_DIR", REPO_ROOT / "results"))


def figures_dir() -> Path:
    """Folder where :func:`analysis.figures.save_figure` writes SVG, PDF and PNG files."""
    return Path(os.environ.get("ANALYSIS_FIGURES_DIR", REPO_ROOT / "figures"))
