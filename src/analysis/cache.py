"""Parsed-table cache: parse a public file once, reload it as parquet in well under a second.

A cached table is keyed by the SHA-256 of its source file (from the registry), by the
parser's version number and by a hash of the source code of the parser's module (so a
change to a shared helper invalidates the tables even if nobody bumped a version): a new
data vintage or a changed parser is never served from a stale cache. Files live in
``<cache_dir>/parsed/<key>/``.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import sys
import os
import tempfile
from pathlib import Path
from typing import Callable

import pandas as pd

from .registry import cache_dir, entry, fetch

log = logging.getLogger("analysis")

#: Every loader decorated with :func:`parsed`, by name (used by ``make data``).
LOADERS: dict[str, Callable[[], pd.DataFrame]] = {}


def _write_atomic(df: pd.DataFrame, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _read(target: Path) -> pd.DataFrame:
    if target.name.endswith(".geo.parquet"):
        import geopandas as gpd

        return gpd.read_parquet(target)
    return pd.read_parquet(target)


def parsed(key: str, version: int, *extra_keys: str) -> Callable:
    """Decorate a parser ``f(path, *extra_paths) -> DataFrame`` into a cached loader ``f()``.

    ``key`` (and any ``extra_keys``) are registry keys; the parser receives their
    verified local paths. ``version`` must be bumped whenever the parser's output changes.
    The decorated loader takes ``refresh=True`` to force a re-parse.
    """

    def decorate(parser: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        code = hashlib.sha256(inspect.getsource(sys.modules[parser.__module__]).encode()).hexdigest()[:8]

        @functools.wraps(parser)
        def loader(refresh: bool = False) -> pd.DataFrame:
            keys = (key, *extra_keys)
            stamp = "-".join(entry(k).sha256[:12] for k in keys)
            is_geo = getattr(parser, "_geo", False)
            suffix = ".geo.parquet" if is_geo else ".parquet"
            target = cache_dir() / "parsed" / key / f"{parser.__name__}-{stamp}-v{version}-{code}{suffix}"
            if target.exists() and not refresh:
                return _read(target)
            log.info("parsing %s with %s", entry(key).file, parser.__name__)
            df = parser(*(fetch(k) for k in keys))
            _write_atomic(df, target)
            return _read(target)

        loader.registry_keys = (key, *extra_keys)
        loader.parser = parser
        LOADERS[parser.__name__] = loader
        return loader

    return decorate


def geo(parser: Callable) -> Callable:
    """Mark a parser as returning a GeoDataFrame (stored as GeoParquet). Put it under ``@parsed``."""
    parser._geo = True
    return parser
