"""Execute every notebook in place, top to bottom, each on a fresh kernel, in parallel, with progress.

``recalcul run [-j N] [--force] [names...]`` (used by ``make notebooks`` and ``make
reproduce``). Notebooks are discovered (every ``notebooks/NN_*.ipynb``), never listed here. They run ``N``
at a time (default: ``$ANALYSIS_JOBS``, else the number of cores), each on an ordinary IPython kernel
started by nbclient, the longest first (the seconds each took last time on this machine, kept in
``.jupyter_cache/seconds.json``: a scheduling hint only). The summary notebooks ``00_*`` read what the
others record: when every notebook runs (``--force``, ``make bench``) a summary's kernel starts as soon as a
core is free and runs its FIRST code cell (imports only, by this rule) while the last notebooks finish; its
second code cell starts once all the others have ended. Otherwise it starts once they have ended.
Concurrent kernels write the same ``claims_results.csv`` and ``figures/index.csv`` under a file lock
(:mod:`analysis.data.locking`).

A notebook whose code, inputs and results did not change since it was last executed here is not
executed again (:mod:`analysis.run.unchanged`, a jupyter-cache record per notebook); ``--force``
executes every notebook.

Outputs are written back into the notebooks (nbval compares against them) atomically (a temporary
file, then a rename); timing metadata is not recorded, so that an unchanged notebook is rewritten
with the same bytes (and then not rewritten at all).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
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

from analysis.data.locking import replace_bytes
from analysis.paths import NOTEBOOKS_DIR, SettingError
from analysis.report import claims, figures
from analysis.report.kernel import notebook_client


@dataclass
class Run:
    """One notebook: executed or ``skipped`` (unchanged); for an executed one, wall time (s), kernel
    start-up (s, from launch to the first cell), the kernel's peak resident memory (MB, Linux
    ``VmHWM``; ``None`` elsewhere) and, per code cell, ``(index, seconds, first source line)``. A summary
    notebook started early (see :func:`execute_all`) does not count the time it ``waited`` for the others
    in ``seconds``."""

    notebook: str
    seconds: float = 0.0
    waited_s: float = 0.0
    kernel_start_s: float = 0.0
    peak_rss_mb: float | None = None
    cells: list[tuple[int, float, str]] = field(default_factory=list)
    skipped: bool = False


def notebooks(names: list[str] | None = None, folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The numbered notebooks of ``folder`` (all, or those whose stem starts with one of ``names``)."""
    # 00_scoreboard summarises what the others record: it runs last.
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb"), key=lambda p: (p.name.startswith("00_"), p.name))
    if names:
        every = found
        wanted = [n.zfill(2) if n.isdigit() else n for n in names]  # 6 is notebook 06
        found = [p for p in found if any(p.stem.startswith(n) or p.name == n for n in wanted)]
        if not found:
            raise NoNotebookError(f"no notebook of {folder} matches {', '.join(map(repr, names))}; notebooks: "
                                  + ", ".join(p.stem for p in sorted(every)))
    return found


class NoNotebookError(ValueError):
    """No notebook matches the names asked for."""


def jobs_arg(text: str) -> int:
    """``-j``/``--jobs`` of ``recalcul run`` and ``recalcul bench``: a whole number of parallel kernels, at least 1."""
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"give a whole number of parallel kernels, at least 1, got {text!r}")
    return jobs


class JobsError(SettingError):
    """``$ANALYSIS_JOBS`` is not a whole number of kernels, at least 1."""


def default_jobs() -> int:
    """``$ANALYSIS_JOBS`` if set, else the number of cores this process may use."""
    value = os.environ.get("ANALYSIS_JOBS")
    if value:
        try:
            jobs = int(value)
        except ValueError:
            raise JobsError(f"ANALYSIS_JOBS must be a whole number of parallel kernels, got {value!r}: set it to 2, "
                            "or unset it (one kernel per core)") from None
        if jobs < 1:
            raise JobsError(f"ANALYSIS_JOBS must be at least 1, got {jobs}: set it to 2, or unset it (one kernel per core)")
        return jobs
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


def _kernel_peak_mb(client: NotebookClient) -> float | None:
    """Peak resident memory of ``client``'s kernel so far (Linux ``/proc/<pid>/status`` VmHWM), MB."""
    pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
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


def write_notebook(nb, path: Path) -> bool:
    """Write ``nb`` to ``path`` atomically, unless the file already holds these bytes; whether it wrote."""
    text = nbformat.writes(nb)
    data = (text if text.endswith("\n") else text + "\n").encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return False
    replace_bytes(path, data)
    return True


class Abandoned(Exception):
    """A summary notebook started early whose inputs will not come (another notebook failed)."""


def execute(path: Path, timeout: int = 600, output: Path | None = None, run: Run | None = None,
            gate: threading.Event | None = None, abandon: threading.Event | None = None):
    """Execute ``path`` on a fresh kernel in its folder and write it to ``output`` (default: in place).
    Returns the executed notebook. Pass ``run`` (a :class:`Run`) to receive the timings and the
    kernel's peak memory. With ``gate``, only the first code cell runs before ``gate`` is set (the others
    wait; a notebook with one code cell waits before it); if ``abandon`` is set by then, :class:`Abandoned`
    is raised and nothing is written or forgotten."""
    started = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]

    def forget():
        # what this notebook recorded last time is dropped first: a deleted record() or
        # save_figure() call must not leave a stale scoreboard row or figure listing
        claims.forget(path.stem)
        figures.forget(path.stem)

    waited = [0.0]

    def through_gate():  # the others have ended: go on (forgetting this notebook's records), or give up
        if abandon is not None and abandon.is_set():
            raise Abandoned(path.name)
        forget()

    async def wait_for_gate():
        t = time.perf_counter()
        while not gate.is_set():
            await asyncio.sleep(0.01)
        waited[0] = time.perf_counter() - t
        through_gate()

    if gate is None:
        forget()
    # once the last cell has run the kernel is killed ("immediate"): a graceful shutdown waits for the
    # kernel to tear down its interpreter (0.5 to 3 s for a notebook's tables), for nothing to keep
    # (on Unix sockets of its own: analysis.report.kernel)
    first_cell: list[float] = []
    peak: list[float] = []

    # the cell that waits: the second code cell (the first imports), or the only one
    gated = None if gate is None or not code else code[min(1, len(code) - 1)]

    def on_cell_start(cell_index, **_):
        if not first_cell:
            first_cell.append(time.perf_counter())
        return wait_for_gate() if cell_index == gated else None

    with notebook_client(nb, path.parent, timeout=timeout, record_timing=run is not None) as client:
        client.on_cell_start = on_cell_start
        if run is not None:
            client.on_cell_executed = lambda **_: peak.append(_kernel_peak_mb(client) or 0.0)
        client.execute()
    if gate is not None and gated is None:  # no code cell: nothing waited, but the records go all the same
        gate.wait()
        through_gate()
    if run is not None:
        run.waited_s = waited[0]
        run.seconds = time.perf_counter() - started - waited[0]
        run.kernel_start_s = (first_cell[0] - started) if first_cell else 0.0
        run.peak_rss_mb = max(peak) if peak and max(peak) > 0 else None
        run.cells = [(i, s, (c.source.splitlines() or [""])[0][:70]) for i, c in enumerate(nb.cells)
                     if c.cell_type == "code" and (s := _cell_seconds(c)) is not None]
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nb.metadata.pop("papermill", None)
    write_notebook(nb, output or path)
    return nb


def _read_seconds(timings: Path | None) -> dict[str, float]:
    try:
        data = json.loads(timings.read_text()) if timings is not None else {}
        return {str(k): float(v) for k, v in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):  # absent or unreadable: no hint
        return {}


def _write_seconds(timings: Path | None, runs: list[Run]) -> None:
    if timings is None:
        return
    seconds = _read_seconds(timings) | {r.notebook: round(r.seconds, 2) for r in runs if not r.skipped}
    try:
        timings.parent.mkdir(parents=True, exist_ok=True)
        replace_bytes(timings, (json.dumps(dict(sorted(seconds.items())), indent=1) + "\n").encode())
    except OSError:  # a hint only: a read-only cache folder changes nothing
        pass


def longest_first(paths: list[Path], timings: Path | None) -> list[Path]:
    """``paths`` by the seconds each took last time (``timings``, written by :func:`execute_all`), longest
    first; a notebook never timed comes first, ties by name. With two cores, this ends the run up to a
    notebook's time earlier than the alphabetical order."""
    seconds = _read_seconds(timings)
    return sorted(paths, key=lambda p: (-seconds.get(p.stem, math.inf), p.name))


def execute_all(paths: list[Path], jobs: int | None = None, timeout: int = 600, output_dir: Path | None = None,
                report: Callable[[str], None] = print, force: bool = False,
                cache: Path | None = None, timings: Path | None = None) -> list[Run]:
    """Execute ``paths``, ``jobs`` kernels at a time (default :func:`default_jobs`); ``00_*``
    notebooks after all the others. Writes in place, or into ``output_dir``. Returns one
    :class:`Run` per notebook in completion order; once every started notebook has finished (the others
    are still written), a failure is raised, naming the first failed notebook in the order of ``paths``
    (whichever failed first in time: the message is the same from one run to the next).

    With ``cache`` (a jupyter-cache folder; the command line passes
    :func:`analysis.run.unchanged.cache_folder`) and in place, each executed notebook is recorded
    there, and unless ``force``, a notebook that :mod:`analysis.run.unchanged` finds unchanged is
    not executed (its :class:`Run` says ``skipped``). With ``timings`` (a JSON file), the notebooks start
    longest first (:func:`longest_first`) and the file is updated with their seconds.

    When no notebook may be skipped (no ``cache``, or ``force``), a ``00_*`` notebook is queued behind the
    others: its kernel starts when a worker is free and runs the first code cell (imports), then waits
    until every other notebook has ended (see :func:`execute`)."""
    from analysis.run import unchanged

    jobs = jobs or default_jobs()
    records = None if (cache is None or output_dir is not None) else unchanged.Records(cache)
    common = unchanged.common_inputs() if records is not None else None
    later = [p for p in paths if p.name.startswith("00_")]
    first = [p for p in paths if p not in later]
    runs: list[Run] = []
    errors: list[tuple[Path, BaseException]] = []
    total = len(paths)
    inputs: dict[Path, str] = {}

    def to_run(group: list[Path]) -> list[Path]:
        todo = []
        for path in group:
            if records is not None:
                inputs[path] = unchanged.inputs_key(path, common)
                if not force and records.unchanged(path, inputs[path]):
                    runs.append(Run(path.stem, skipped=True))
                    report(f"[{len(runs)}/{total}] {path.name} unchanged, not executed")
                    continue
                records.forget(path)
            todo.append(path)
        return longest_first(todo, timings)

    def one(path: Path, gate=None, abandon=None) -> tuple[Run, object]:
        run = Run(path.stem)
        out = output_dir / path.name if output_dir is not None else None
        return run, execute(path, timeout=timeout, output=out, run=run, gate=gate, abandon=abandon)

    def collect(futures: dict, on_done: Callable[[Path], None] = lambda path: None) -> None:
        for fut in as_completed(futures):
            path = futures[fut]
            try:
                run, nb = fut.result()
            except Abandoned:
                report(f"{path.name} not executed: another notebook failed")
                continue
            except BaseException as err:  # noqa: BLE001 - reported, then raised below
                errors.append((path, err))
                report(f"FAILED {path.name}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
                on_done(path)
                continue
            if records is not None:
                records.store(nb, path, inputs[path])
            runs.append(run)
            mem = f", kernel peak {run.peak_rss_mb:.0f} MB" if run.peak_rss_mb else ""
            report(f"[{len(runs)}/{total}] {path.name} done in {run.seconds:.1f} s{mem}")
            on_done(path)

    def run_pool(paths: list[Path], gated: list[Path] = (), gate=None, abandon=None,
                 on_done: Callable[[Path], None] = lambda path: None) -> None:
        """``paths``, then ``gated`` (summaries that run their first cell, then wait for ``gate``), on ``jobs``
        workers; each result collected as it ends."""
        with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(paths) + len(gated)))) as pool:
            futures = {}
            for path in paths:
                report(f"executing {path.name} ...")
                futures[pool.submit(one, path)] = path
            for path in gated:
                report(f"executing {path.name} (its first cell; the rest once the others have ended) ...")
                futures[pool.submit(one, path, gate, abandon)] = path
            collect(futures, on_done)

    todo = to_run(first)
    early = bool(later and todo and (records is None or force))
    if todo:
        gate, abandon, pending = threading.Event(), threading.Event(), set(todo)

        def on_done(path: Path) -> None:  # the last of the first group ends: the summaries go on
            if path not in pending:  # a summary ending: its record, just stored, stays
                return
            pending.discard(path)
            if not pending and early:
                if errors:
                    abandon.set()
                else:
                    for summary in later:  # their inputs: what the others have just recorded
                        if records is not None:
                            inputs[summary] = unchanged.inputs_key(summary, common)
                            records.forget(summary)
                gate.set()

        run_pool(todo, later if early else [], gate, abandon, on_done)
    if not early and not errors:
        todo = to_run(later)
        if todo:
            run_pool(todo)
    _write_seconds(timings, runs)
    if errors:
        path, err = min(errors, key=lambda e: paths.index(e[0]))
        raise RuntimeError(f"{len(errors)} notebook(s) failed, first {path.name}: see the traceback above "
                           f"(re-run it alone: recalcul run {path.stem})") from err
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


def _count(n: int) -> str:
    return f"{n} notebook{'' if n == 1 else 's'}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="recalcul run", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook name prefixes (default: every notebook)")
    parser.add_argument("-j", "--jobs", type=jobs_arg, default=None,
                        help="parallel kernels (default: $ANALYSIS_JOBS or cores)")
    parser.add_argument("--force", action="store_true",
                        help="execute every notebook, even those unchanged since their last run here")
    args = parser.parse_args(argv)
    try:
        paths = notebooks(args.names or None)
        jobs = args.jobs or default_jobs()
    except (NoNotebookError, JobsError) as err:
        parser.error(str(err))
    start = time.perf_counter()
    print(f"{_count(len(paths))}, up to {min(jobs, len(paths))} at a time", flush=True)
    from analysis.run import unchanged

    runs = execute_all(paths, jobs=jobs, report=lambda m: print(m, flush=True), force=args.force,
                       cache=unchanged.cache_folder(), timings=unchanged.cache_folder() / "seconds.json")
    done = sum(not r.skipped for r in runs)
    print(f"executed {_count(done)} ({len(runs) - done} unchanged) in {time.perf_counter() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
