"""Parsed-table cache: parse a public file once, reload it as parquet in well under a second.

A cached table is keyed by the SHA-256 of its source file(s) (from the registry), by the
parser's version number and by a hash of the source of EVERY project module the parser's module
uses (its module, the helpers it imports such as :mod:`analysis.data.validate`, and theirs, found by
following the module's imports inside the package): a new data vintage or a changed parser or
helper is never served from a stale cache, even if nobody bumped a version. Files live in
``<cache_dir>/parsed/<key>/``.

Each parquet file has a ``.sha256`` sidecar written with it: its first line is the file's SHA-256
and name (``<sha256>  <file name>``), its second line the table's identity as JSON (the loader's
name, the registry key and SHA-256 of every source file, the parser version and the code
version). A read checks the file's SHA-256 against the sidecar AND the sidecar's identity against
the loader asking for it (the first read in a process, and any read after the file or the sidecar
changed): a mismatch, a missing sidecar or identity, a table recorded under another loader or
another source (a table and its sidecar copied over another table's files), or a read error (a
truncated or edited file) is logged once as a warning naming the file and the table is re-parsed
from the hash-verified source. So the byte-exact guarantee of the raw files holds for the parsed
tables that notebooks read, and a table is only ever served under its own name.

Files are written atomically (temporary file in the same folder, then rename) with the
permissions of the user's umask. :func:`clean_orphans` removes temporary files left by a killed
build and :func:`prune` removes tables of earlier versions (``recalcul prune-cache``).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import pandas as pd

from analysis.data.locking import remove_all_but
from analysis.data.registry import (CACHE_ENV, CacheWriteError, DataError, REGISTRY_CSV, cache_dir, entry, fetch,
                                    file_mode, registry)

log = logging.getLogger("analysis")

#: Every loader decorated with :func:`parsed`, by name (used by ``make data``).
LOADERS: dict[str, Callable[[], pd.DataFrame]] = {}

#: The package's folder (its source files key the derived tables, see :func:`derived`).
PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: Suffix of the file holding the SHA-256 of a cached table.
SIDECAR = ".sha256"
#: Temporary files older than this (seconds) are orphans of a killed build.
ORPHAN_AGE = 3600.0


class ParseError(DataError):
    """A hash-verified source file that its parser cannot read (any exception of the parser that is
    not already a :class:`~analysis.data.registry.DataError`): one line naming the file, the cause
    and what to do."""


def _one_line(err: BaseException, limit: int = 300) -> str:
    text = " ".join(str(err).split()) or "no message"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def parse_error(parser_name: str, keys: tuple[str, ...], err: BaseException) -> ParseError:
    """The :class:`ParseError` of ``err`` raised by parser ``parser_name`` on the files of ``keys``."""
    files = ", ".join(entry(k).file for k in keys)
    return ParseError(
        f"{files}: {parser_name} cannot parse it ({err.__class__.__name__}: {_one_line(err)}). The file matches its "
        f"SHA-256 in {REGISTRY_CSV.name}, so the registry points at a file of another layout or a damaged one "
        f"(truncated, an error page): check the file and its official page, then fix the registry row or the parser")


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=None)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    with open(path, "rb") as f:
        return _sha256_bytes(f.read())


def _module_dependencies(module_name: str) -> list[str]:
    """``module_name`` and every module of the same top-level package it uses, transitively.

    A module "uses" another when its namespace holds that module or an object (function, class)
    defined there: ``from ..validate import to_number`` makes a loader module depend on
    ``analysis.data.validate``. The cache module itself is left out (its format has no effect on a
    table's content).
    """
    top = module_name.split(".")[0]
    seen: list[str] = []
    todo = [module_name]
    while todo:
        name = todo.pop()
        if name in seen or name == __name__ or name not in sys.modules:
            continue
        seen.append(name)
        for obj in list(vars(sys.modules[name]).values()):
            try:
                dep = obj.__name__ if inspect.ismodule(obj) else getattr(obj, "__module__", None)
            except Exception:  # noqa: BLE001 - an exotic object without a usable __module__
                continue
            if isinstance(dep, str) and dep.split(".")[0] == top and dep not in seen:
                todo.append(dep)
    return sorted(seen)


def code_version(module_name: str) -> str:
    """12 hex digits of SHA-256 over the source files of ``module_name`` and the project modules it
    uses (see :func:`_module_dependencies`); changes whenever any of them is edited."""
    h = hashlib.sha256()
    for name in _module_dependencies(module_name):
        path = getattr(sys.modules[name], "__file__", None)
        if not path:
            continue
        st = os.stat(path)
        h.update(f"{name}\0{_file_digest(path, st.st_mtime_ns, st.st_size)}\n".encode())
    return h.hexdigest()[:12]


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + SIDECAR)


def _write_bytes_atomic(data: bytes, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, file_mode())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _sidecar_text(digest: str, target: Path, identity: dict | None) -> str:
    """``<sha256>  <name>`` and, on a second line, the table's identity as JSON (sorted keys)."""
    text = f"{digest}  {target.name}\n"
    if identity is not None:
        text += json.dumps(identity, sort_keys=True, separators=(",", ":")) + "\n"
    return text


def _write_atomic(df: pd.DataFrame, target: Path, identity: dict | None = None) -> None:
    """Write ``df`` as parquet at ``target`` and its SHA-256 and ``identity`` at ``target.sha256``
    (both atomic; see the module docstring for the sidecar's layout).

    A local failure (disk full, read-only folder, cache path that is a file) raises
    :class:`~analysis.data.registry.CacheWriteError` naming the path and the real cause.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        df.to_parquet(buffer, index=False)
        data = buffer.getvalue()
        _write_bytes_atomic(data, target)
        _write_bytes_atomic(_sidecar_text(_sha256_bytes(data), target, identity).encode(), _sidecar(target))
    except OSError as err:
        raise CacheWriteError(
            f"could not write the parsed table {target} ({err.__class__.__name__}: {err}). Free disk space, fix the "
            f"folder's permissions, or point {CACHE_ENV} at a writable folder."
        ) from err


#: Tables read in this process: path -> (signature of the file and its sidecar, table). A table
#: read again while neither file changed (same size, modification time and inode) is not decoded
#: and hashed again; every caller gets its own copy.
_READ: dict[Path, tuple[tuple, pd.DataFrame]] = {}
#: Only files last modified this many seconds before the read are kept: a later edit of the file then
#: has a later modification time, even on a file system whose clock ticks every few milliseconds.
SETTLED_AFTER = 2.0
#: Parquet files larger than this (bytes) are not kept: a large table read once (the 3-million-row census
#: functions) would otherwise stay in memory for the whole session.
KEEP_AT_MOST = 8 * 2**20


def _signature(target: Path) -> tuple | None:
    try:
        st, side = target.stat(), _sidecar(target).stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, side.st_size, side.st_mtime_ns, side.st_ino)


def _read_verified(target: Path, identity: dict | None = None) -> pd.DataFrame | None:
    """The cached table at ``target`` if its bytes match the recorded SHA-256, else ``None``
    (after a warning naming the file and the reason). ``identity``: what the sidecar must
    record (:func:`table_identity`); ``None`` checks the bytes only.

    The bytes are checked at the first read in a process and again whenever the file or its
    sidecar changed since (size, modification time, inode); in between the table decoded then
    is reused, and each call returns a copy of it (files of at most :data:`KEEP_AT_MOST` bytes,
    modified more than :data:`SETTLED_AFTER` seconds before)."""
    signature = _signature(target)
    held = _READ.get(target)
    if held is not None and signature is not None and held[0] == signature:
        return held[1].copy()
    _READ.pop(target, None)
    df = _read_checked(target, identity)
    settled = signature is not None and time.time() - max(signature[1], signature[4]) / 1e9 > SETTLED_AFTER
    if df is not None and settled and signature[0] <= KEEP_AT_MOST and _signature(target) == signature:
        _READ[target] = (signature, df)
        return df.copy()
    return df


def _identity_mismatch(recorded: dict | None, expected: dict) -> str | None:
    """Why the sidecar's identity is not ``expected`` (None when it is)."""
    if recorded is None:
        return "no recorded identity (loader, source, parser version): written by an older version"
    for field in ("loader", "sources", "version", "code"):
        if recorded.get(field) != expected.get(field):
            return (f"recorded as {field} {recorded.get(field)!r}, not {expected.get(field)!r}: another table's "
                    f"file under this name")
    return None


def _read_checked(target: Path, identity: dict | None = None) -> pd.DataFrame | None:
    if not target.exists():
        return None
    reason = None
    try:
        data = target.read_bytes()
        lines = _sidecar(target).read_text(encoding="utf-8").splitlines() if _sidecar(target).exists() else []
        recorded = lines[0].split()[0] if lines and lines[0].split() else None
        recorded_identity = None
        if len(lines) > 1 and lines[1].strip():
            recorded_identity = json.loads(lines[1])
            if not isinstance(recorded_identity, dict):
                raise ValueError(f"identity line is {type(recorded_identity).__name__}, not an object")
        if recorded is None:
            reason = "no recorded SHA-256 (written by an older version or by a killed build)"
        elif _sha256_bytes(data) != recorded:
            reason = f"SHA-256 {_sha256_bytes(data)[:16]}... differs from the recorded {recorded[:16]}... (file edited or damaged)"
        elif identity is not None and (why := _identity_mismatch(recorded_identity, identity)):
            reason = why
        else:
            if target.name.endswith(".geo.parquet"):
                import geopandas as gpd

                return gpd.read_parquet(io.BytesIO(data))
            return pd.read_parquet(io.BytesIO(data))
    except Exception as err:  # noqa: BLE001 - any read failure of a cache file means: re-parse it
        reason = f"unreadable ({err.__class__.__name__}: {err})"
    log.warning("cached table %s: %s; re-parsing it from the verified source file", target, reason)
    return None


def table_identity(loader: str, keys: tuple[str, ...], version: int, code: str) -> dict:
    """What a parsed table's sidecar records about it: the loader's name, ``{registry key: SHA-256}``
    of its source files, the parser version and the code version (:func:`code_version`)."""
    return {"loader": loader, "sources": {k: entry(k).sha256 for k in keys}, "version": int(version), "code": code}


def parsed(key: str, version: int, *extra_keys: str) -> Callable:
    """Decorate a parser ``f(path, *extra_paths) -> DataFrame`` into a cached loader ``f()``.

    ``key`` (and any ``extra_keys``) are registry keys; the parser receives their
    verified local paths. ``version`` must be bumped whenever the parser's output changes
    (edits of the parser's module or of any project module it uses change the key anyway).
    The decorated loader takes ``refresh=True`` to force a re-parse; ``loader.cache_path()`` is
    the file it reads.
    """

    def decorate(parser: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        keys = (key, *extra_keys)

        def cache_path() -> Path:
            stamp = "-".join(entry(k).sha256[:12] for k in keys)
            suffix = ".geo.parquet" if getattr(parser, "_geo", False) else ".parquet"
            code = code_version(parser.__module__)
            return cache_dir() / "parsed" / key / f"{parser.__name__}-{stamp}-v{version}-{code}{suffix}"

        def identity() -> dict:
            return table_identity(parser.__name__, keys, version, code_version(parser.__module__))

        @functools.wraps(parser)
        def loader(refresh: bool = False) -> pd.DataFrame:
            target = cache_path()
            expected = identity()
            if not refresh:
                df = _read_verified(target, expected)
                if df is not None:
                    return df
            log.info("parsing %s with %s", entry(key).file, parser.__name__)
            paths = [fetch(k) for k in keys]
            try:
                df = parser(*paths)
            except DataError:
                raise
            except Exception as err:  # noqa: BLE001 - any failure on a verified file: one line, see ParseError
                raise parse_error(parser.__name__, keys, err) from err
            _write_atomic(df, target, expected)
            fresh = _read_verified(target, expected)
            if fresh is None:
                raise CacheWriteError(f"the parsed table {target} could not be read back after writing it; "
                                      f"check the disk and the folder {target.parent}")
            return fresh

        loader.registry_keys = keys
        loader.parser = parser
        loader.cache_path = cache_path
        loader.identity = identity
        LOADERS[parser.__name__] = loader
        return loader

    return decorate


def geo(parser: Callable) -> Callable:
    """Mark a parser as returning a GeoDataFrame (stored as GeoParquet). Put it under ``@parsed``."""
    parser._geo = True
    return parser


def _inputs_digest() -> str:
    """SHA-256 over every source file of the package and every ``data/*.csv`` of the project (the registry
    pins each mirrored file by its SHA-256): what a derived table (:func:`derived`) is computed from."""
    h = hashlib.sha256()
    for path in sorted([*PACKAGE_DIR.rglob("*.py"), *REGISTRY_CSV.parent.glob("*.csv")]):
        st = path.stat()
        h.update(f"{path.name}\0{_file_digest(str(path), st.st_mtime_ns, st.st_size)}\n".encode())
    return h.hexdigest()


def derived(version: int) -> Callable:
    """Decorate ``f(*args) -> DataFrame``, a table computed from public files only (through the loaders) that
    is slow to compute, into a function whose result is kept in the cache and read back, as a parsed table is.

    The file is ``<cache_dir>/derived/<f's name>/<code>/<key>.parquet`` with the same SHA-256 sidecar and checks
    as :func:`parsed`: ``<code>`` is :func:`_inputs_digest` (every package source file and every project data
    file, registry included), so an edit of any code or a new data vintage computes it again; the key covers
    ``f``'s module and name, ``version`` and the arguments' ``repr``, one table per arguments. Every call returns
    what the file holds (also the first: dtypes are those of the parquet round trip), a copy each time. When a
    table is written, the tables of other code versions of ``f`` are removed. ``f.compute`` is ``f`` itself.
    Only for functions of the registry's files and the arguments (no settings, no other files).
    """

    def decorate(func: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        name = f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def cached(*args) -> pd.DataFrame:
            code = _inputs_digest()
            key = _sha256_bytes(json.dumps([name, version, [repr(a) for a in args], code]).encode())[:32]
            folder = cache_dir() / "derived" / func.__qualname__
            target = folder / code[:24] / f"{key}.parquet"
            identity = {"loader": name, "sources": {"package and data/*.csv": code}, "version": int(version),
                        "code": key}
            df = _read_verified(target, identity)
            if df is not None:
                return df
            _write_atomic(func(*args), target, identity)
            fresh = _read_verified(target, identity)
            if fresh is None:
                raise CacheWriteError(f"the derived table {target} could not be read back after writing it; "
                                      f"check the disk and the folder {target.parent}")
            # one code version kept per function: the tables written by other versions of the code go
            for old in folder.iterdir():
                if old != target.parent and not _is_temporary(old):
                    shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
            return fresh

        cached.compute = func
        return cached

    return decorate


# ---------------------------------------------------------------------------------------------
# Housekeeping: orphans of killed builds, stale versions
# ---------------------------------------------------------------------------------------------


def _is_temporary(path: Path) -> bool:
    """Our atomic-write temporaries ('.<name>.<random>.tmp', '*.tmp' of older versions), pooch's
    download temporaries ('tmp<random>' in the raw folders) and the official downloads'
    ('<file>.<random>.part', 'recheck-<random>.part' under ``official/``)."""
    return (path.name.endswith((".tmp", ".part")) or (path.name.startswith("tmp") and path.suffix == ""))


def clean_orphans(max_age: float = ORPHAN_AGE, root: Path | None = None) -> list[Path]:
    """Remove temporary files older than ``max_age`` seconds left in the cache by killed builds.

    Younger ones may belong to a build running now and are kept. Returns the removed paths.
    """
    root = cache_dir() if root is None else root
    if not root.is_dir():
        return []
    now = time.time()
    removed = []
    for path in root.rglob("*"):
        try:
            if path.is_file() and _is_temporary(path) and now - path.stat().st_mtime > max_age:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:  # removed meanwhile by the build that owned it
            continue
    return removed


def prune(loaders: dict[str, Callable] | None = None, root: Path | None = None) -> list[Path]:
    """Remove cached tables and raw files that no current loader or registry row can serve.

    Keeps, under ``parsed/``, only the current ``cache_path()`` of each of ``loaders`` (default:
    every registered loader; import them all first, see :func:`analysis.data.build_cache.import_all_loaders`)
    and its sidecar; under ``raw/``, only the files of ``data/registry.csv``; under ``display/``, ``exports/``,
    ``export-files/``, ``test-figures/`` and ``book-html/``, none (screen copies of exported figures,
    :func:`analysis.report.figures.display_png`, made again at the next display; records of what each figure
    export was drawn from and copies of its files, so that the next build renders every figure once more; the
    figures ``make test`` keeps from one run to the next; Sphinx's pages of the last books built,
    :func:`analysis.report.site.build_site`); under
    ``derived/``, the tables of each function's newest code version (older ones: written by another version of
    the code). Temporary files of a build running now are left alone (see :func:`clean_orphans`).
    Returns the removed paths.
    """
    root = cache_dir() if root is None else root
    loaders = LOADERS if loaders is None else loaders
    keep = set()
    for loader in loaders.values():
        target = loader.cache_path()
        keep |= {target, _sidecar(target)}
    keep |= {root / "raw" / e.file for e in registry().values()}
    for folder in (root / "derived").glob("*"):  # the tables of each function's newest code version (see derived)
        tables = sorted(folder.glob("*/*.parquet"), key=lambda p: p.stat().st_mtime)
        if tables:
            keep |= {t for p in tables[-1].parent.glob("*.parquet") for t in (p, _sidecar(p))}
    removed = []
    for sub in ("parsed", "raw", "display", "exports", "export-files", "derived", "test-figures", "book-html"):
        base = root / sub
        if not base.is_dir():
            continue
        removed += remove_all_but(base, keep, spare=_is_temporary)
    return removed
