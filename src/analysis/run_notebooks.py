"""Execute every notebook in place, top to bottom, on a fresh kernel, with progress.

``python -m analysis.run_notebooks [names...]`` (used by ``make reproduce``). Outputs are
written back into the notebooks (nbval compares against them); timing metadata is not
recorded so that an unchanged notebook is rewritten identically.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from . import claims, figures
from .paths import NOTEBOOKS_DIR


def notebooks(names: list[str] | None = None, folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The numbered notebooks of ``folder`` (all, or those whose stem starts with one of ``names``)."""
    # 00_scoreboard summarises what the others record: it runs last.
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb"), key=lambda p: (p.name.startswith("00_"), p.name))
    if names:
        found = [p for p in found if any(p.stem.startswith(n) or p.name == n for n in names)]
        if not found:
            raise SystemExit(f"no notebook in {folder} matches {names}")
    return found


def execute(path: Path, timeout: int = 600, parameters: dict | None = None, output: Path | None = None) -> Path:
    """Execute ``path`` in its folder and write it to ``output`` (default: in place)."""
    nb = nbformat.read(path, as_version=4)
    # what this notebook recorded last time is dropped first: a deleted record() or
    # save_figure() call must not leave a stale scoreboard row or figure listing
    claims.forget(path.stem)
    figures.forget(path.stem)
    if parameters:
        inject_parameters(nb, parameters)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nb.metadata.pop("papermill", None)
    out = output or path
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


def coalesce_streams(outputs: list) -> list:
    """Merge consecutive stdout (or stderr) outputs: how the kernel splits a stream into
    messages depends on timing, and the committed notebook must not."""
    merged: list = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                and merged[-1]["name"] == out["name"]):
            merged[-1]["text"] += out["text"]
        else:
            merged.append(out)
    return merged


def inject_parameters(nb, parameters: dict) -> None:
    """Insert a cell assigning ``parameters`` after the cell tagged ``parameters`` (papermill convention)."""
    src = "# Injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(src, metadata={"tags": ["injected-parameters"]})
    for i, c in enumerate(nb.cells):
        if "parameters" in c.get("metadata", {}).get("tags", []):
            nb.cells.insert(i + 1, cell)
            return
    raise ValueError("notebook has no cell tagged 'parameters'")


def main(argv: list[str]) -> int:
    paths = notebooks(argv or None)
    total = time.perf_counter()
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] executing {path.name} ...", flush=True)
        start = time.perf_counter()
        execute(path)
        print(f"[{i}/{len(paths)}] {path.name} done in {time.perf_counter() - start:.1f} s "
              f"({len(paths) - i} remaining)", flush=True)
    print(f"executed {len(paths)} notebooks in {time.perf_counter() - total:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
