"""Which notebooks need not run again: a jupyter-cache record per notebook, checked before executing.

``recalcul run`` skips a notebook when all of these hold; otherwise it executes it:

1. **Same code.** jupyter-cache (:class:`jupyter_cache.cache.main.JupyterCacheBase`) finds a record for the
   notebook's code cells (its own key: the code cells' source and metadata and the kernel spec; markdown is
   not part of it).
2. **Same inputs.** The record's ``inputs`` equals :func:`inputs_key` now: a SHA-256 of every file of the
   package (``src/analysis``), every ``data/*.csv`` (the registry pins each mirrored file by its SHA-256, so
   the mirror's location does not matter), the locks of the official files, the settings that change what
   a notebook prints or writes (:data:`SETTINGS`), the Python version and the installed distributions; for a
   summary notebook (``00_*``), also the claims recorded and the figures listed by the other notebooks.
3. **Same results in place.** The record's ``state`` equals :func:`state` now: the notebook's code-cell
   outputs as they were written, the rows it recorded in ``claims_results.csv``, its rows of
   ``figures/index.csv``, and the SHA-256 of each of its figure files and export stamps. A notebook whose
   outputs were cleared, whose claims were forgotten or whose figure files changed or went missing runs again.

The cache lives outside the tracked tree: ``$ANALYSIS_NOTEBOOK_CACHE``, else ``<repo>/.jupyter_cache/``
(git-ignored; one per checkout, since the records describe that checkout's notebooks, results and figures).
``--force`` executes every notebook; deleting the folder does the same once.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat

from analysis.data import fingerprint
from analysis.paths import REPO_ROOT, env_path, figures_dir, results_dir

#: Bump to invalidate every record (a change of what the keys cover).
VERSION = 1
CACHE_ENV = "ANALYSIS_NOTEBOOK_CACHE"


def cache_folder() -> Path:
    """``$ANALYSIS_NOTEBOOK_CACHE``, else ``<repo>/.jupyter_cache``."""
    return env_path(CACHE_ENV) or REPO_ROOT / ".jupyter_cache"


def common_inputs() -> dict:
    """The inputs every notebook shares (:func:`analysis.data.fingerprint.common_inputs`; computed once per run)."""
    return {"version": VERSION, **fingerprint.common_inputs()}


def _rows(path: Path, notebook: str, own: bool) -> list[list[str]]:
    """The rows of the CSV ``path`` whose ``notebook`` column is ``notebook`` (``own``) or is not, sorted."""
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return sorted([list(r.values()) for r in csv.DictReader(f) if (r.get("notebook") == notebook) == own])


def inputs_key(notebook: Path, common: dict) -> str:
    """:func:`common_inputs`, plus what a summary notebook (``00_*``) reads: the claims the other
    notebooks recorded and the figures they listed."""
    parts = dict(common)
    if notebook.name.startswith("00_"):
        parts["recorded"] = [_rows(p, notebook.stem, own=False) for p in
                             (results_dir() / "claims_results.csv", REPO_ROOT / "results" / "claims_results.csv",
                              figures_dir() / "index.csv")]
    return fingerprint.digest(parts)


def state(nb, notebook: str) -> dict:
    """What the executed notebook ``nb`` (named ``notebook``) left: its code-cell outputs, its claims
    rows, its figure rows and the SHA-256 of its figure files and export stamps."""
    outputs = [[c.get("execution_count"), c.get("outputs", [])] for c in nb.cells if c.cell_type == "code"]
    out = figures_dir()
    figs = {}
    for row in _rows(out / "index.csv", notebook, own=True):
        name = row[0]
        files = sorted(out.glob(f"{name}.*")) + sorted((out / ".exports").glob(f"{name}.json"))
        figs[name] = {"row": row, "files": {p.relative_to(out).as_posix(): fingerprint.sha256(p.read_bytes()) for p in files
                                            if p.suffix not in (".lock", ".tmp")}}
    return {"outputs": fingerprint.sha256(json.dumps(outputs, sort_keys=True).encode()),
            "claims": _rows(results_dir() / "claims_results.csv", notebook, own=True), "figures": figs}


class Records:
    """The jupyter-cache of executed notebooks (:func:`cache_folder`), used from one thread."""

    def __init__(self, folder: Path | None = None):
        from jupyter_cache import get_cache

        self.folder = Path(folder) if folder is not None else cache_folder()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.cache = get_cache(str(self.folder))

    def _record(self, nb):
        try:
            return self.cache.match_cache_notebook(nb)
        except KeyError:
            return None

    def unchanged(self, path: Path, inputs: str) -> bool:
        """Whether the notebook at ``path`` can be skipped (see the module's docstring)."""
        nb = nbformat.read(path, as_version=4)
        record = self._record(nb)
        if record is None or (record.data or {}).get("inputs") != inputs:
            return False
        return record.data.get("state") == json.loads(json.dumps(state(nb, path.stem)))

    def forget(self, path: Path) -> None:
        """Drop the record of ``path``'s code (before executing it: a run that fails leaves no record)."""
        record = self._record(nbformat.read(path, as_version=4))
        if record is not None:
            self.cache.remove_cache(record.pk)

    def store(self, nb, path: Path, inputs: str) -> None:
        """Record the executed notebook ``nb`` (written at ``path``) with the inputs it ran on and the
        state it left."""
        from jupyter_cache.cache.main import CacheBundleIn

        self.cache.cache_notebook_bundle(
            CacheBundleIn(nb, str(path), data={"inputs": inputs, "state": state(nb, path.stem)}),
            check_validity=False, overwrite=True)
