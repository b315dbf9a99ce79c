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


class SettingError(ValueError):
    """An ``ANALYSIS_*`` environment setting holds a value the package cannot use (the message names the
    variable, the value and what to set); ``recalcul`` refuses it in one line, before any work."""


#: Languages of the figures and formats of their exports (``analysis.report.figures``).
FIG_LANGUAGES = ("fr", "en")
FIG_FORMATS = ("svg", "pdf", "png")


def _subset(variable: str, allowed: tuple[str, ...], unset: str) -> tuple[str, ...]:
    value = os.environ.get(variable, "").strip()
    if not value:
        return allowed
    chosen = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    if not chosen or any(v not in allowed for v in chosen):
        raise SettingError(f"{variable}={value!r}: use a comma-separated subset of {', '.join(allowed)}, or unset it "
                           f"({unset})")
    return tuple(v for v in allowed if v in chosen)


def fig_formats() -> tuple[str, ...]:
    """``$ANALYSIS_FIG_FORMATS``: the export formats (default all of :data:`FIG_FORMATS`)."""
    return _subset("ANALYSIS_FIG_FORMATS", FIG_FORMATS, "all three")


def fig_languages() -> tuple[str, ...]:
    """``$ANALYSIS_FIG_LANGUAGES``: the languages a figure is exported in (default both)."""
    return _subset("ANALYSIS_FIG_LANGUAGES", FIG_LANGUAGES, "both")


def fig_lang() -> str:
    """``$ANALYSIS_FIG_LANG``: the language figures are shown in (default French)."""
    value = os.environ.get("ANALYSIS_FIG_LANG", "").strip().lower() or "fr"
    if value not in FIG_LANGUAGES:
        raise SettingError(f"ANALYSIS_FIG_LANG={value!r}: set it to 'fr' or 'en', or unset it (French)")
    return value


def official_offline() -> bool:
    """``$ANALYSIS_OFFICIAL``: 'offline' takes the mirror's path even when the official file was downloaded (as
    ``make test`` does); unset, the official file when it is there. Any other value is refused (a typo such as
    'ofline' would silently take the official path)."""
    value = os.environ.get("ANALYSIS_OFFICIAL", "").strip().lower()
    if value and value != "offline":
        raise SettingError(f"ANALYSIS_OFFICIAL={value!r}: set it to 'offline' (the mirror's path, as make test does) "
                           "or unset it (the official file when it was downloaded)")
    return value == "offline"


def check_settings() -> None:
    """Refuse an ``ANALYSIS_*`` setting the package cannot use (:class:`SettingError`), before any work."""
    fig_formats(), fig_languages(), fig_lang(), official_offline()


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
