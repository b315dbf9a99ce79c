"""Hashed access to the public files the project computes from.

``data/registry.csv`` pins one row per file: ``key``, ``file`` (path relative to the
mirror root, as in the mirror's MANIFEST), ``sha256``, ``raw_url`` (a stable upstream
address of the exact bytes), ``official_page``, ``publisher``, ``licence``, ``dataset``.

:func:`fetch` returns the path of a verified local copy in the cache:

- the cache folder is ``pooch.os_cache("analysis")`` unless ``ANALYSIS_DATA_CACHE`` is set;
- if ``ANALYSIS_DATA_MIRROR`` is set, the file is copied from ``$ANALYSIS_DATA_MIRROR/<file>``;
  otherwise it is downloaded from ``raw_url``;
- either way pooch checks the SHA-256 before the file is moved into the cache, so a
  corrupted or edited copy never lands there.
"""

from __future__ import annotations

import csv
import difflib
import logging
import os
import re
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import platformdirs

from analysis.paths import DATA_DIR, env_path

log = logging.getLogger("analysis")

MIRROR_ENV = "ANALYSIS_DATA_MIRROR"
CACHE_ENV = "ANALYSIS_DATA_CACHE"
REGISTRY_CSV = DATA_DIR / "registry.csv"
REGISTRY_COLUMNS = ["key", "file", "sha256", "bytes", "raw_url", "official_page", "publisher", "licence", "dataset"]


class DataError(Exception):
    """Base class of every data-access error raised by the project."""


class UnknownDatasetError(DataError, KeyError):
    """The requested key is not in ``data/registry.csv``."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DataHashError(DataError):
    """A file's SHA-256 differs from the one pinned in the registry."""


class MirrorFileMissingError(DataError, FileNotFoundError):
    """``ANALYSIS_DATA_MIRROR`` is set but the file is not in that folder."""


class DataUnavailableError(DataError):
    """No mirror is configured and the upstream address could not be reached."""


class CacheWriteError(DataError, OSError):
    """A local file operation failed (disk full, cache path that is a file, permissions): the message
    names the path and the real cause, never a download problem."""


class RegistryFormatError(DataError, ValueError):
    """A row of ``data/registry.csv`` has a malformed value."""


def file_mode() -> int:
    """Permission bits for a new cache file: 0o666 minus the process umask (as ``open`` would give),
    so that a cache shared by a team (umask 002) is group-writable; temporary files are 0o600."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@dataclass(frozen=True)
class Entry:
    """One row of the dataset registry."""

    key: str
    file: str
    sha256: str
    bytes: int
    raw_url: str
    official_page: str
    publisher: str
    licence: str
    dataset: str

    @property
    def filename(self) -> str:
        return Path(self.file).name


def csv_rows(path, columns, error: type[Exception] = None):
    """Rows of a project CSV (``data/registry.csv``, ``data/official_sources.csv``) as dicts, with their line
    numbers: ``(line, row)``. A header without every name of ``columns`` raises ``error`` (default
    :class:`DataError`) naming the file and the missing columns."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = set(columns) - set(reader.fieldnames or [])
        if missing:
            raise (error or DataError)(f"{path}: missing column(s) {sorted(missing)}")
        return [(reader.line_num, row) for row in reader]


@lru_cache(maxsize=None)
def _read_registry(path: str) -> dict[str, Entry]:
    entries = {}
    for line, row in csv_rows(path, REGISTRY_COLUMNS):
        where = f"{path}, line {line} (key {row.get('key')!r})"
        if any(row[c] is None for c in REGISTRY_COLUMNS):
            raise RegistryFormatError(f"{where}: the row has fewer fields than the header {REGISTRY_COLUMNS}; "
                                      f"quote values that contain commas")
        size = (row["bytes"] or "").strip()
        if not size.isdigit():
            raise RegistryFormatError(
                f"{where}: column 'bytes' is {row['bytes']!r}; write the file size as a whole number of bytes "
                f"without separators (e.g. {re.sub(r'[^0-9]', '', size) or '63644'}), as in MANIFEST.csv")
        if not re.fullmatch(r"[0-9a-f]{64}", row["sha256"]):
            raise RegistryFormatError(f"{where}: column 'sha256' is {row['sha256']!r}; expected 64 lower-case "
                                      f"hexadecimal digits (the file's SHA-256, as in MANIFEST.csv)")
        entry = Entry(**{c: row[c] for c in REGISTRY_COLUMNS} | {"bytes": int(size)})
        if entry.key in entries:
            raise DataError(f"{path}: duplicate key {entry.key!r}")
        entries[entry.key] = entry
    return entries


def registry(path: Path | str = REGISTRY_CSV) -> dict[str, Entry]:
    """All registry entries, keyed by dataset key."""
    return _read_registry(str(path))


def entry(key: str, path: Path | str = REGISTRY_CSV) -> Entry:
    """The registry row of ``key``; :class:`UnknownDatasetError` with suggestions otherwise."""
    entries = registry(path)
    if key not in entries:
        close = difflib.get_close_matches(key, entries, n=3, cutoff=0.4)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownDatasetError(f"unknown dataset key {key!r} (not in {path}).{hint}")
    return entries[key]


def cache_dir() -> Path:
    """Folder of verified raw files and parsed tables (outside git).

    ``$ANALYSIS_DATA_CACHE`` (relative paths are taken from the repository root), else
    the OS cache folder for ``analysis`` (``pooch.os_cache("analysis")``: ``~/.cache/analysis`` on Linux).
    """
    return env_path(CACHE_ENV) or Path(platformdirs.user_cache_dir("analysis"))


def mirror_dir() -> Path | None:
    """The local mirror folder named by ``ANALYSIS_DATA_MIRROR`` (relative paths are taken from
    the repository root), or ``None``."""
    path = env_path(MIRROR_ENV)
    if path is None:
        return None
    if not path.is_dir():
        raise MirrorFileMissingError(
            f"{MIRROR_ENV}={os.environ[MIRROR_ENV]!r} ({path}) is not a folder. Point it at a copy of the public-data mirror "
            f"(the folder holding MANIFEST.csv), or unset it to download from the upstream addresses."
        )
    return path


def _mirror_downloader(source: Path):
    def copy(url: str, output_file, pooch_obj) -> None:  # pooch downloader signature
        with open(source, "rb") as src:
            if isinstance(output_file, (str, Path)):
                with open(output_file, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            else:
                shutil.copyfileobj(src, output_file)

    return copy


def _cache_folder(target_dir: Path) -> None:
    """Create ``target_dir`` or raise :class:`CacheWriteError` naming the path (e.g. a file is in the way)."""
    for parent in [target_dir, *target_dir.parents]:
        if parent.exists() and not parent.is_dir():
            raise CacheWriteError(
                f"the cache path {parent} is a file, not a folder ({CACHE_ENV}={os.environ.get(CACHE_ENV, '<unset>')}). "
                f"Remove or rename it, or point {CACHE_ENV} at a folder."
            )
        if parent.is_dir():
            break
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CacheWriteError(f"cannot create the cache folder {target_dir} ({err.__class__.__name__}: {err}). "
                              f"Point {CACHE_ENV} at a writable folder.") from err


def fetch(key: str) -> Path:
    """Path to a hash-verified local copy of dataset ``key``.

    A copy already in the cache whose SHA-256 matches is served as it is (even if the mirror
    lacks the file). Raises :class:`UnknownDatasetError`, :class:`MirrorFileMissingError`,
    :class:`DataHashError` (naming file, expected and actual hash),
    :class:`DataUnavailableError` (naming the variable to set) or :class:`CacheWriteError`
    (a local failure: disk full, unwritable cache, naming the path and the cause).
    """
    import requests

    e = entry(key)
    target_dir = cache_dir() / "raw" / Path(e.file).parent
    _cache_folder(target_dir)
    mirror = mirror_dir()
    kwargs = {}
    if mirror is not None:
        source = mirror / e.file
        copy = _mirror_downloader(source)

        def from_mirror(url, output_file, pooch_obj):  # only called when no verified copy is cached
            if not source.is_file():
                raise MirrorFileMissingError(
                    f"{e.file} is missing from the mirror {mirror} ({MIRROR_ENV}) and the cache {target_dir} holds no "
                    f"verified copy. Copy it there from {e.raw_url} (official page: {e.official_page})."
                )
            copy(url, output_file, pooch_obj)

        kwargs["downloader"] = from_mirror
    log.info("fetching %s", e.file)
    import pooch  # only to fetch (38 ms to import: every process reads the cache folder, few fetch)

    pooch.get_logger().setLevel(logging.WARNING)
    try:
        path = pooch.retrieve(
            url=e.raw_url,
            known_hash=f"sha256:{e.sha256}",
            fname=e.filename,
            path=target_dir,
            progressbar=False,
            **kwargs,
        )
    except ValueError as err:
        found = re.search(r"but got ([0-9a-f]{64})", str(err))
        if found is None:
            raise
        origin = mirror / e.file if mirror is not None else e.raw_url
        fix = (f"Replace {origin} with the exact bytes from {e.raw_url}." if mirror is not None else
               "The upstream file changed: check the official page "
               f"{e.official_page} for a new vintage and update data/registry.csv deliberately.")
        raise DataHashError(
            f"{e.file}: SHA-256 mismatch for the copy from {origin}: expected {e.sha256}, got {found.group(1)}. "
            f"The file was not written to the cache. {fix}"
        ) from err
    except MirrorFileMissingError:
        raise
    except requests.exceptions.RequestException as err:  # network: ConnectionError, HTTPError, Timeout...
        status = getattr(getattr(err, "response", None), "status_code", None)
        if status is not None:
            raise DataUnavailableError(
                f"{e.file}: the upstream address {e.raw_url} answered HTTP {status}. Get the file from the official "
                f"page {e.official_page}, or set {MIRROR_ENV} to a folder holding the public-data mirror."
            ) from err
        raise DataUnavailableError(
            f"{e.file}: could not download {e.raw_url} ({err.__class__.__name__}). "
            f"Without network, set {MIRROR_ENV} to a folder holding the public-data mirror "
            f"(for example ../shared/data)."
        ) from err
    except OSError as err:  # local: disk full, permissions, a file where a folder should be
        where = err.filename or target_dir
        reading = mirror is not None and str(where).startswith(str(mirror))
        raise CacheWriteError(
            f"{e.file}: could not {'read the mirror copy' if reading else 'store the verified copy in the cache'} "
            f"{where} ({err.__class__.__name__}: {err.strerror or err}). "
            + (f"Check the permissions of {mirror}." if reading else
               f"Free disk space, fix the folder's permissions, or point {CACHE_ENV} at a writable folder.")
        ) from err
    path = Path(path)
    mode = file_mode()
    if path.stat().st_mode & 0o777 != mode:
        try:
            os.chmod(path, mode)  # pooch's temporary files are 0o600: follow the umask instead
        except OSError:
            pass
    return path
