"""Build the whole data cache up front: fetch every registry file, parse every loader.

``python -m analysis.build_cache`` (``make data``) prints which file is being fetched or
parsed and how many remain, with timings; a second run only reloads the parquet tables.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
import time

from . import loaders
from .cache import LOADERS
from .registry import cache_dir, fetch, registry


def import_all_loaders() -> dict:
    """Import every module of :mod:`analysis.loaders` so that their loaders register."""
    for mod in pkgutil.iter_modules(loaders.__path__):
        importlib.import_module(f"{loaders.__name__}.{mod.name}")
    return LOADERS


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="    %(message)s")
    entries = registry()
    print(f"cache: {cache_dir()}", flush=True)
    t0 = time.perf_counter()
    for i, key in enumerate(entries, 1):
        print(f"[{i}/{len(entries)}] fetch {entries[key].file}", flush=True)
        fetch(key)
    t1 = time.perf_counter()
    found = import_all_loaders()
    logging.getLogger("analysis").setLevel(logging.INFO)  # "parsing <file> ..." before each cold parse
    for i, (name, loader) in enumerate(sorted(found.items()), 1):
        start = time.perf_counter()
        df = loader()
        print(f"[{i}/{len(found)}] {name}: {len(df):,} rows in {time.perf_counter() - start:.2f} s", flush=True)
    t2 = time.perf_counter()
    print(f"fetched {len(entries)} files in {t1 - t0:.1f} s; {len(found)} tables ready in {t2 - t1:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
