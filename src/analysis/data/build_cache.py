"""Build the whole data cache up front: fetch every registry file, parse every loader.

``recalcul data`` (``make data``) prints which file is being fetched or
parsed and how many remain, with timings; a second run only reloads (and verifies) the parquet
tables. Temporary files left in the cache by a killed build (older than an hour) are removed
first.

``--prune`` then removes cached tables of earlier parser or data versions, raw files no
longer in ``data/registry.csv``, the screen copies of exported figures (made again at the next
display) and, under ``official/``, partial downloads, files of sources no longer listed and the
synthetic benchmark files (:func:`analysis.data.official.prune`; ``make clean-cache`` removes the
whole cache instead). Partial official downloads of dead processes are removed at every run.

Any error of a file (wrong hash, file missing from the mirror, changed layout, full disk, and
any exception of a parser on a verified file: a truncated CSV, an HTML page) is printed as one
line naming the file, the cause and what to do, without a traceback; the other files are still
processed, and the exit status is 1. Ctrl-C stops the build with one line (exit status 130).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
import time

from analysis.data import loaders
from analysis.data.cache import LOADERS, _one_line, clean_orphans, prune
from analysis.data.registry import DataError, cache_dir, fetch, registry


def import_all_loaders() -> dict:
    """Import every module of :mod:`analysis.data.loaders` so that their loaders register."""
    for mod in pkgutil.iter_modules(loaders.__path__):
        importlib.import_module(f"{loaders.__name__}.{mod.name}")
    return LOADERS


def _message(err: BaseException) -> str:
    """One line for any error: a DataError's own message, else the class and the message."""
    return _one_line(err, 600) if isinstance(err, DataError) else f"{err.__class__.__name__}: {_one_line(err)}"


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("interrupted: the cache keeps every table finished so far; run the same command again to go on",
              file=sys.stderr, flush=True)
        return 130


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="recalcul data", description=__doc__.split("\n\n")[0])
    parser.add_argument("--prune", action="store_true",
                        help="afterwards, remove cached tables of earlier versions and raw files not in the registry")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="    %(message)s")
    entries = registry()
    print(f"cache: {cache_dir()}", flush=True)
    for path in clean_orphans():
        print(f"removed temporary file of an interrupted build: {path}", flush=True)
    from analysis.data import official

    for path in official.sweep_partial():
        print(f"removed partial official download of an interrupted run: {path}", flush=True)
    failures: list[str] = []
    t0 = time.perf_counter()
    for i, key in enumerate(entries, 1):
        print(f"[{i}/{len(entries)}] fetch {entries[key].file}", flush=True)
        try:
            fetch(key)
        except Exception as err:  # noqa: BLE001 - one line per file, then carry on
            failures.append(_message(err))
            print(f"    error: {_message(err)}", file=sys.stderr, flush=True)
    t1 = time.perf_counter()
    found = import_all_loaders()
    logging.getLogger("analysis").setLevel(logging.INFO)  # "parsing <file> ..." before each cold parse
    ready = 0
    for i, (name, loader) in enumerate(sorted(found.items()), 1):
        start = time.perf_counter()
        try:
            df = loader()
        except Exception as err:  # noqa: BLE001 - one line per table, then carry on
            failures.append(f"{name}: {_message(err)}")
            print(f"[{i}/{len(found)}] {name}: error: {_message(err)}", file=sys.stderr, flush=True)
            continue
        ready += 1
        print(f"[{i}/{len(found)}] {name}: {len(df):,} rows in {time.perf_counter() - start:.2f} s", flush=True)
    t2 = time.perf_counter()
    print(f"fetched {len(entries)} files in {t1 - t0:.1f} s; {ready} tables ready in {t2 - t1:.1f} s", flush=True)
    if args.prune and failures:
        print("not pruning: some tables failed (their earlier versions are kept)", file=sys.stderr)
    elif args.prune:
        removed = prune(found)
        from analysis.data import official

        gone = official.prune()
        if gone:
            print(f"pruned {len(gone)} file(s) under {official.official_dir()} (partial downloads, unlisted sources, "
                  f"benchmark files)", flush=True)
        print(f"pruned {len(removed)} stale file(s) ({sum(1 for p in removed if '/parsed/' in str(p))} parsed, "
              f"{sum(1 for p in removed if '/raw/' in str(p))} raw, "
              f"{sum(1 for p in removed if '/display/' in str(p))} screen copies of figures)", flush=True)
    if failures:
        print(f"{len(failures)} error(s); fix them and run again:", file=sys.stderr)
        for f in failures:
            print(f"  - {f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
