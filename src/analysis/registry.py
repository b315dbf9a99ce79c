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

import pooch

from .paths import DATA_DIR, env_path

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


@lru_cache(maxsize=None)
def _read_registry(path: str) -> dict[str, Entry]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = set(REGISTRY_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"{path}: missing column(s) {sorted(missing)}")
        entries = {}
        for row in reader:
            entry = Entry(**{c: row[c] for c in REGISTRY_COLUMNS} | {"bytes": int(row["bytes"])})
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
    pooch's OS cache folder for ``analysis``.
    """
    return env_path(CACHE_ENV) or Path(pooch.os_cache("analysis"))


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


def fetch(key: str) -> Path:
    """Path to a hash-verified local copy of dataset ``key``.

    Raises :class:`UnknownDatasetError`, :class:`MirrorFileMissingError`,
    :class:`DataHashError` (naming file, expected and actual hash) or
    :class:`DataUnavailableError` (naming the variable to set).
    """
    e = entry(key)
    target_dir = cache_dir() / "raw" / Path(e.file).parent
    mirror = mirror_dir()
    kwargs = {}
    if mirror is not None:
        source = mirror / e.file
        if not source.is_file():
            raise MirrorFileMissingError(
                f"{e.file} is missing from the mirror {mirror} ({MIRROR_ENV}). "
                f"Copy it there from {e.raw_url} (official page: {e.official_page})."
            )
        kwargs["downloader"] = _mirror_downloader(source)
    log.info("fetching %s", e.file)
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
    except OSError as err:  # requests' ConnectionError and HTTPError are OSErrors
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
    return Path(path)
