"""Execute every notebook in place, top to bottom, each on a fresh kernel, in parallel, with progress.

``python -m analysis.run.notebooks [-j N] [names...]`` (used by ``make notebooks`` and ``make reproduce``).
Notebooks are discovered (every ``notebooks/NN_*.ipynb``), never listed here. They run ``N`` at a
time (default: ``$ANALYSIS_JOBS``, else the number of cores), each in its own kernel; the summary
notebooks ``00_*`` read what the others record, so they start once the others have finished.
Concurrent kernels write the same ``claims_results.csv`` and ``figures/index.csv`` under a file
lock (:mod:`analysis.data.locking`).

Outputs are written back into the notebooks (nbval compares against them); timing metadata is not
recorded so that an unchanged notebook is rewritten identically.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import nbformat
from nbclient import NotebookClient

from analysis.report import claims, figures
from analysis.run import kernel_fork
from analysis.paths import NOTEBOOKS_DIR


@dataclass
class Run:
    """One executed notebook: wall time (s), kernel start-up (s, from launch to the first cell),
    the kernel's peak resident memory (MB, Linux ``VmHWM``; ``None`` elsewhere) and, per code
    cell, ``(index, seconds, first source line)``."""

    notebook: str
    seconds: float = 0.0
    kernel_start_s: float = 0.0
    peak_rss_mb: float | None = None
    cells: list[tuple[int, float, str]] = field(default_factory=list)


def notebooks(names: list[str] | None = None, folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The numbered notebooks of ``folder`` (all, or those whose stem starts with one of ``names``)."""
    # 00_scoreboard summarises what the others record: it runs last.
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb"), key=lambda p: (p.name.startswith("00_"), p.name))
    if names:
        found = [p for p in found if any(p.stem.startswith(n) or p.name == n for n in names)]
        if not found:
            raise SystemExit(f"no notebook in {folder} matches {names}")
    return found


def default_jobs() -> int:
    """``$ANALYSIS_JOBS`` if set, else the number of cores this process may use."""
    value = os.environ.get("ANALYSIS_JOBS")
    if value:
        try:
            jobs = int(value)
        except ValueError:
            raise SystemExit(f"ANALYSIS_JOBS must be a whole number of parallel kernels, got {value!r}") from None
        if jobs < 1:
            raise SystemExit(f"ANALYSIS_JOBS must be at least 1, got {jobs}")
        return jobs
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


def _kernel_peak_mb(client: NotebookClient) -> float | None:
    """Peak resident memory of ``client``'s kernel so far (Linux ``/proc/<pid>/status`` VmHWM), MB."""
    if client.km is None:
        return None
    pid = kernel_fork.kernel_pid(client.km.connection_file) or getattr(getattr(client.km, "provisioner", None),
                                                                       "pid", None)
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _cell_seconds(cell) -> float | None:
    ex = cell.get("metadata", {}).get("execution", {})
    start, end = ex.get("iopub.status.busy"), ex.get("iopub.status.idle")
    if not (start and end):
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def execute(path: Path, timeout: int = 600, parameters: dict | None = None, output: Path | None = None,
            run: Run | None = None, zygote: kernel_fork.Zygote | None = None) -> Path:
    """Execute ``path`` in its folder and write it to ``output`` (default: in place).

    Pass ``run`` (a :class:`Run`) to receive the timings and the kernel's peak memory, and
    ``zygote`` (a running :class:`analysis.run.kernel_fork.Zygote`) to fork the kernel from it.
    """
    started = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    # what this notebook recorded last time is dropped first: a deleted record() or
    # save_figure() call must not leave a stale scoreboard row or figure listing
    claims.forget(path.stem)
    figures.forget(path.stem)
    if parameters:
        inject_parameters(nb, parameters)
    peak: list[float] = []
    # the kernel is killed once the last cell has run (a graceful shutdown waits up to seconds for
    # nothing: the notebook is already complete)
    # a forked kernel, or an ordinary one; either way without jupyter_client's idle waits (kernel_fork.quick_manager)
    manager = kernel_fork.manager_class(zygote.socket_path if zygote is not None else None)
    client = NotebookClient(nb, kernel_manager_class=manager, timeout=timeout, kernel_name="python3",
                            record_timing=run is not None,
                            shutdown_kernel="immediate",
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(path.parent)}})
    first_cell: list[float] = []
    if run is not None:
        client.on_cell_start = lambda **_: first_cell or first_cell.append(time.perf_counter())
        client.on_cell_executed = lambda **_: peak.append(_kernel_peak_mb(client) or 0.0)
    client.execute()
    if run is not None:
        run.seconds = time.perf_counter() - started
        run.kernel_start_s = (first_cell[0] - started) if first_cell else 0.0
        run.peak_rss_mb = max(peak) if peak and max(peak) > 0 else None
        run.cells = [(i, s, (c.source.splitlines() or [""])[0][:70]) for i, c in enumerate(nb.cells)
                     if c.cell_type == "code" and (s := _cell_seconds(c)) is not None]
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nb.metadata.pop("papermill", None)
    out = output or path
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


def execute_all(paths: list[Path], jobs: int | None = None, timeout: int = 600, output_dir: Path | None = None,
                report: Callable[[str], None] = print, fork: bool | None = None) -> list[Run]:
    """Execute ``paths``, ``jobs`` kernels at a time (default :func:`default_jobs`); ``00_*``
    notebooks after all the others. Writes in place, or into ``output_dir``. Returns one
    :class:`Run` per notebook in completion order; the first failure is raised once every
    started notebook has finished (the others are still written).

    With ``fork`` (default :func:`analysis.run.kernel_fork.enabled`: Linux, unless
    ``ANALYSIS_FORK_KERNELS=0``), each fresh kernel is forked from one process that has imported
    the scientific stack once (:mod:`analysis.run.kernel_fork`)."""
    fork = kernel_fork.enabled() if fork is None else fork
    with kernel_fork.Zygote() if fork else contextlib.nullcontext() as zygote:
        return _execute_all(paths, jobs, timeout, output_dir, report, zygote)


def _execute_all(paths, jobs, timeout, output_dir, report, zygote) -> list[Run]:
    jobs = jobs or default_jobs()
    later = [p for p in paths if p.name.startswith("00_")]
    groups = [g for g in ([p for p in paths if p not in later], later) if g]
    runs: list[Run] = []
    errors: list[tuple[Path, BaseException]] = []
    lock = threading.Lock()
    total = len(paths)

    def one(path: Path) -> Run:
        run = Run(path.stem)
        out = output_dir / path.name if output_dir is not None else None
        execute(path, timeout=timeout, output=out, run=run, zygote=zygote)
        return run

    for group in groups:
        with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(group)))) as pool:
            futures = {}
            for path in group:
                report(f"executing {path.name} ...")
                futures[pool.submit(one, path)] = path
            for fut in as_completed(futures):
                path = futures[fut]
                try:
                    run = fut.result()
                except BaseException as err:  # noqa: BLE001 - reported, then raised below
                    errors.append((path, err))
                    report(f"FAILED {path.name}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
                    continue
                with lock:
                    runs.append(run)
                mem = f", kernel peak {run.peak_rss_mb:.0f} MB" if run.peak_rss_mb else ""
                report(f"[{len(runs)}/{total}] {path.name} done in {run.seconds:.1f} s{mem}")
        if errors:
            break
    if errors:
        path, err = errors[0]
        raise RuntimeError(f"{len(errors)} notebook(s) failed, first {path.name}: see the traceback above "
                           "(re-run it alone: python -m analysis.run.notebooks " + path.stem + ")") from err
    return runs


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
    parser = argparse.ArgumentParser(prog="python -m analysis.run.notebooks", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook name prefixes (default: every notebook)")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="parallel kernels (default: $ANALYSIS_JOBS or cores)")
    args = parser.parse_args(argv)
    paths = notebooks(args.names or None)
    jobs = args.jobs or default_jobs()
    start = time.perf_counter()
    print(f"executing {len(paths)} notebooks, {min(jobs, len(paths))} at a time", flush=True)
    execute_all(paths, jobs=jobs, report=lambda m: print(m, flush=True))
    print(f"executed {len(paths)} notebooks in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
