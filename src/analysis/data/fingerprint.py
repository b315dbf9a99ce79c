"""What every computed output of the collection depends on, as one digest: the package's code, the project's
data files (the registry pins each mirrored file by its SHA-256), the locks of the official files, the
settings that change what is printed or exported, the Python version and the installed distributions.

Used by :mod:`analysis.run.unchanged` (an unchanged notebook is not executed again) and by
:func:`analysis.report.figures.save_figure` (a figure drawn from the same inputs is not drawn again in its
other language).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from analysis.paths import DATA_DIR

#: Environment variables that change what a notebook prints, records or exports (the data folders do not:
#: every file read is checked against the SHA-256 the registry pins).
SETTINGS = ("ANALYSIS_FIG_LANG", "ANALYSIS_FIG_FORMATS", "ANALYSIS_OFFICIAL", "MPLBACKEND", "PYTHONHASHSEED")
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_digest(files) -> str:
    """SHA-256 over ``(path, name)`` pairs: each name and the SHA-256 of the file's bytes."""
    h = hashlib.sha256()
    for path, name in files:
        h.update(name.encode() + b"\0" + sha256(path.read_bytes()).encode() + b"\n")
    return h.hexdigest()


def common_inputs() -> dict:
    """The inputs every notebook shares, by part (each a digest or a small value)."""
    package = sorted((p, p.relative_to(PACKAGE_DIR).as_posix()) for p in PACKAGE_DIR.rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    data = sorted((p, p.name) for p in DATA_DIR.glob("*.csv"))
    from analysis.data import official

    locks = {}
    for key in sorted(official.sources()):
        lock = official.lock_path(key)
        locks[key] = sha256(lock.read_bytes()) if lock.is_file() else None
    return {"python": sys.version, "package": files_digest(package), "data": files_digest(data),
            "official_locks": locks, "settings": {k: os.environ.get(k, "") for k in SETTINGS},
            "distributions": distributions_digest()}


def distributions_digest() -> str:
    """SHA-256 of :func:`installed_distributions` (the names and versions of every installed distribution)."""
    return sha256("\n".join(installed_distributions()).encode())


def installed_distributions() -> list[str]:
    """The installed distributions, as the names of their metadata folders on ``sys.path``
    (``pandas-3.0.1.dist-info``: name and version), sorted. Where :func:`importlib.metadata.distributions`
    looks, without parsing each ``METADATA`` file (that took about 0.3 s, in every kernel that saves a figure)."""
    found = set()
    for entry in sys.path:
        folder = Path(entry or ".")
        if folder.is_dir():
            found.update(p.name for p in folder.iterdir() if p.suffix in (".dist-info", ".egg-info"))
    return sorted(found)


def digest(parts: dict) -> str:
    """SHA-256 of a JSON-serialisable mapping (keys sorted)."""
    return sha256(json.dumps(parts, sort_keys=True).encode())
