"""Where the notebook build's time and memory go.

``recalcul bench [-j N] [names...]`` (``make bench``) executes the discovered notebooks
as ``make notebooks`` does (same parallel runner, ``N`` kernels at a time), all of them (none is skipped
as unchanged), but into a temporary folder: the committed notebooks, ``results/`` and ``figures/`` are not touched. It prints,
for each notebook, its wall time, its kernel's peak resident memory and how the time splits into
kernel start-up, the first code cell (imports and data loading), cells that export figures
(:func:`analysis.report.figures.save_figure`: SVG, PDF and 300-dpi PNG) and the other cells, with its
slowest cells; then the whole run's wall time and the peak resident memory of the whole process
tree (this process and every kernel, sampled every 0.25 s; each kernel's own peak is its exact high-water mark).

Run it on a warm data cache (``make data`` first): a cold cache measures the download and parsing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from analysis.run import notebooks as run_notebooks
from analysis.run import unchanged
from analysis.paths import environment, figures_dir, results_dir


class TreeMemory:
    """Peak memory (MB) of this process and all its descendants, sampled in a thread.

    On Linux each process counts its proportional set size (PSS: private pages, plus shared pages
    divided by the number of processes sharing them), so that shared pages (libraries mapped by every
    kernel) are counted once; :attr:`peak_rss_mb` is the sum of resident sizes, which counts them once
    per process. Elsewhere both are the resident sizes. Reading a process's proportional set size takes about
    4 ms (the kernel walks its page tables), so sampling four processes every 0.1 s took 16 % of a core from the
    run it measured: the default is every 0.25 s.
    """

    def __init__(self, interval: float = 0.25):
        self.interval, self.peak_mb, self.peak_rss_mb = interval, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = rss = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    info = p.memory_full_info() if hasattr(p, "memory_full_info") else p.memory_info()
                except psutil.AccessDenied:
                    info = p.memory_info()
                except psutil.Error:  # a kernel that just exited
                    continue
                rss += info.rss
                total += getattr(info, "pss", info.rss)
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 2**20)
            self._stop.wait(self.interval)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def breakdown(run: run_notebooks.Run, notebook: Path) -> dict[str, float]:
    """Split ``run``'s wall time (s) into kernel start, first code cell, figure cells, other cells
    and the runner's own overhead (reading, forgetting old records, writing)."""
    nb = nbformat.read(notebook, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    first = code[0] if code else -1
    parts = {"kernel start": run.kernel_start_s, "first cell (imports, data)": 0.0, "figure cells": 0.0,
             "other cells": 0.0}
    for index, seconds, _ in run.cells:
        if index == first:
            parts["first cell (imports, data)"] += seconds
        elif "save_figure" in nb.cells[index].source:
            parts["figure cells"] += seconds
        else:
            parts["other cells"] += seconds
    parts["runner overhead"] = max(0.0, run.seconds - sum(parts.values()))
    return parts


def bench(names: list[str] | None = None, jobs: int | None = None, slowest: int = 3) -> dict:
    """Execute the notebooks into a temporary folder and print the report; return the figures
    (``{"total_s", "peak_mb", "runs": [Run, ...]}``)."""
    paths = run_notebooks.notebooks(names)
    jobs = jobs or run_notebooks.default_jobs()
    with tempfile.TemporaryDirectory(prefix="analysis-bench-") as tmp:
        tmp = Path(tmp)
        # results and figures go to the temporary folder, seeded with the current ones (figures with
        # their export stamps, as `make notebooks` finds them in place) so that 00_scoreboard and
        # the figure index see a complete collection
        (tmp / "results").mkdir()
        if (results_dir() / "claims_results.csv").exists():
            shutil.copy(results_dir() / "claims_results.csv", tmp / "results" / "claims_results.csv")
        if figures_dir().is_dir():
            shutil.copytree(figures_dir(), tmp / "figures", ignore=shutil.ignore_patterns("*.lock", "*.tmp"))
        else:
            (tmp / "figures").mkdir()
        with environment(ANALYSIS_RESULTS_DIR=tmp / "results", ANALYSIS_FIGURES_DIR=tmp / "figures"):
            print(f"benchmark: {len(paths)} notebooks, {min(jobs, len(paths))} kernels at a time, "
                  f"{os.cpu_count()} cores; outputs in a temporary folder", flush=True)
            start = time.perf_counter()
            with TreeMemory() as mem:
                runs = run_notebooks.execute_all(paths, jobs=jobs, output_dir=tmp / "notebooks",
                                                 timings=unchanged.cache_folder() / "seconds.json",
                                                 report=lambda m: print("  " + m, flush=True))
            total = time.perf_counter() - start
    by_name = {p.stem: p for p in paths}
    print()
    head = f"{'notebook':<34}{'wall s':>7}{'peak MB':>9}{'kernel':>8}{'1st cell':>9}{'figures':>9}{'other':>7}{'runner':>8}"
    print(head)
    print("-" * len(head))
    for run in sorted(runs, key=lambda r: r.notebook):
        parts = list(breakdown(run, by_name[run.notebook]).values())
        peak = f"{run.peak_rss_mb:.0f}" if run.peak_rss_mb else "n/a"
        print(f"{run.notebook:<34}{run.seconds:>7.1f}{peak:>9}" + "".join(f"{v:>{w}.1f}" for v, w in zip(parts, (8, 9, 9, 7, 8))))
    print("-" * len(head))
    print(f"{'whole run (wall, process-tree peak)':<34}{total:>7.1f}{mem.peak_mb:>9.0f}"
          f"  (proportional set sizes; resident sizes summed: {mem.peak_rss_mb:,.0f} MB)")
    print(f"sum of notebook wall times: {sum(r.seconds for r in runs):.1f} s")
    print("\nslowest cells:")
    for run in sorted(runs, key=lambda r: r.notebook):
        cells = sorted(run.cells, key=lambda c: -c[1])[:slowest]
        print(f"  {run.notebook}: " + "; ".join(f"[{i}] {s:.1f} s {src!r}" for i, s, src in cells))
    return {"total_s": total, "peak_mb": mem.peak_mb, "runs": runs}


def bench_atlas(steps=(("reg",), ("reg", "dep", "ti2018", "ti2023"), None)) -> list[dict]:
    """Time and peak memory of the atlas (:func:`analysis.report.atlas.build`) for growing sets of levels
    (régions only, then the TIs and départements, then every level), each in a fresh process so that the memory
    is the build's own, written into a temporary folder; then the time to read one territory's JSON (median of
    200 reads) and one profile render is not included (see ``recalcul profile``). Prints a table, returns rows."""
    import json
    import subprocess
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for levels in steps:
            code = ("import json, sys; from analysis.report import atlas; "
                    f"r = atlas.build(sys.argv[1], {list(levels) if levels else None!r}); print(json.dumps(r))")
            out = Path(tmp) / "atlas"
            with TreeMemory() as mem:
                t0 = time.perf_counter()
                done = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, check=True)
                wall = time.perf_counter() - t0
            r = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"levels": ", ".join(r["levels"]), "territories": r["territories"], "wall_s": round(wall, 1),
                         "build_s": r["seconds"], "figures_s": r["seconds_figures"], "peak_mb": round(mem.peak_mb)})
        from analysis.report import atlas

        times = []
        for _ in range(200):
            t0 = time.perf_counter()
            atlas.territory("ti2023", "ti-5214", out)
            times.append(time.perf_counter() - t0)
    print(f"{'atlas levels':<48}{'territories':>12}{'wall s':>8}{'build s':>9}{'figures s':>10}{'peak MB':>9}")
    for r in rows:
        print(f"{r['levels']:<48}{r['territories']:>12}{r['wall_s']:>8.1f}{r['build_s']:>9.1f}{r['figures_s']:>10.1f}"
              f"{r['peak_mb']:>9}")
    times.sort()
    print(f"one territory's figures from the atlas JSON: {1000 * times[len(times) // 2]:.2f} ms (median of 200 reads)")
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="recalcul bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook name prefixes (default: every notebook)")
    parser.add_argument("-j", "--jobs", type=run_notebooks.jobs_arg, default=None,
                        help="parallel kernels (default: $ANALYSIS_JOBS or cores)")
    parser.add_argument("--atlas", action="store_true", help="time the atlas instead of the notebooks")
    args = parser.parse_args(argv)
    if args.atlas:
        bench_atlas()
        return 0
    try:
        run_notebooks.notebooks(args.names or None)  # refused before any work
        args.jobs = args.jobs or run_notebooks.default_jobs()
    except (run_notebooks.NoNotebookError, run_notebooks.JobsError) as err:
        parser.error(str(err))
    bench(args.names or None, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
