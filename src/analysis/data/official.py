"""Official national files for users with internet: download, lock file, change detection.

The offline mirror holds the URSSAF commune x APE file for the Rouen zone only. The national
file (open.urssaf.fr, an Opendatasoft portal) is fetched on demand by ``make official``. Its
address and format live in ``data/official_sources.csv`` (one row per source), not in code.

- :func:`download` streams the export into ``<cache>/official/<key>/<filename>``
  (``<cache>`` = :func:`analysis.data.registry.cache_dir`; ``ANALYSIS_OFFICIAL_DIR`` overrides
  ``<cache>/official``), hashing it on the way, and writes a
  lock file beside it (``<filename>.lock.json``: URL, format, SHA-256, size in bytes, UTC
  date of the download, and the HTTP validators ``ETag`` / ``Last-Modified`` /
  ``Content-Length`` and the portal's dataset metadata dates when the server gives them).
- A download that is truncated (fewer bytes than ``Content-Length``, a chunked stream cut
  short, a CSV without a final line break, a Parquet file without its footer) or that is not
  the expected table (an HTML error page, missing official columns) is refused: it never
  replaces the cached copy, and :class:`DownloadRefusedError` says why.
- Later runs reuse the cached copy after re-hashing it against the lock (a copy edited or
  damaged on disk is refused) and ask the server whether upstream changed
  (:func:`check_upstream`: ETag, Last-Modified, Content-Length from a HEAD request, and the
  dataset's ``modified`` / ``data_processed`` dates from the portal's metadata endpoint);
  a change raises an :class:`UpstreamChangedWarning` naming what changed, and the cached copy
  is kept until the user runs ``make official FORCE=1``. When the server gives none of these,
  ``rehash=True`` downloads the export again to a temporary file and compares SHA-256s.

Completeness (not only form): after a download, and again at every later run that reuses the
copy (``make official``), :func:`completeness` checks that

- the rows received equal the portal's ``records_count`` (when its metadata gives one);
- every year from the first year of the file to the latest announced (by the header's other
  columns, the portal's field list or the previous download's lock) has both its
  "Nombre d'établissements <y>" and "Effectifs salariés <y>" columns, in header order: a
  missing or renamed column is refused by name;
- for a national source (``coverage`` column of the sources file: ``national``, the default, or
  ``extract``), the national total of headcounts per year (Mayotte left out) agrees with the
  mirror's URSSAF national series ``urssaf_france_a21`` (2019, 2022-2024) within
  :data:`NATIONAL_TOLERANCE` (2 %: the series is the same file aggregated by a third party, the
  gaps are revisions between vintages and secret cells, 0.2-0.7 % on the Rouen check);

and records the result in the lock (``checks``). :func:`verified_path` refuses a copy whose lock
has no passing checks (``make official`` repeats them).

Downloads end: ``timeout`` is the connection and stall timeout (no byte for that many seconds,
:data:`STALL_TIMEOUT` = 60 s by default) and the whole transfer has a deadline scaled to the
expected size (:func:`download_deadline`: :data:`DEADLINE_BASE` + expected bytes at
:data:`DEADLINE_MIN_RATE`, i.e. 5 min + 1 min per 15 MiB; the expected size is the announced
Content-Length, else the previous download's, else 2 GiB; ``ANALYSIS_OFFICIAL_DEADLINE=<seconds>``
or ``deadline=`` override it). The temporary ``<file>.<random>.part`` is removed when the
transfer fails, on Ctrl-C (one line, exit status 130) and on SIGTERM (exit status 143); one left
by a SIGKILL is removed at the next start (a per-source lock tells a live download from a dead
one) and by ``make data`` / ``make prune-cache`` (:func:`sweep_partial`, :func:`prune`).

Formats (``format`` column): ``csv`` and ``parquet`` are the platform's export endpoint
(``/api/explore/v2.1/catalog/datasets/<id>/exports/csv|parquet``, no row limit);
``records`` pages through ``/records?limit=100&offset=...`` and writes the same ';' CSV
with field labels as headers -- the platform caps ``offset + limit`` at 10,000 rows, so this
is only for small filtered extracts, and a larger dataset is refused with a message naming
the export endpoint.

Nothing here runs at import time or in the notebooks: they only call :func:`available`.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as _dt
import hashlib
import json
import logging
import os
import re
import signal
import sys
import tempfile
import time
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from analysis.paths import DATA_DIR, env_path, official_offline
from analysis.data.locking import remove_all_but
from analysis.data.registry import DataError, cache_dir, csv_rows

log = logging.getLogger("analysis")

OFFICIAL_SOURCES_CSV = DATA_DIR / "official_sources.csv"
SOURCE_COLUMNS = ["key", "format", "url", "filename", "metadata_url", "official_page", "publisher", "licence",
                  "dataset", "notes"]
#: Optional column of the sources file: ``national`` (default) or ``extract`` (no national totals check).
COVERAGES = ("national", "extract")
FORMATS = ("csv", "parquet", "records")
#: The URSSAF commune x APE file (the only official source so far).
URSSAF_COMMUNE_APE = "urssaf_commune_ape"
#: The platform's cap on ``offset + limit`` for the ``/records`` endpoint.
RECORDS_CAP = 10_000
RECORDS_PAGE = 100
#: Columns (as :func:`slug` of the header) every commune x APE export must have.
REQUIRED_SLUGS = ("code_commune", "code_ape", "secteur_na38")
_RX_YEAR = re.compile(r"^effectifs_salaries_(\d{4})$")
_RX_EST_YEAR = re.compile(r"^nombre_d_etablissements_(\d{4})$")
_CHUNK = 1 << 20
#: Seconds without a byte (and to connect) before a download is abandoned (``timeout=``).
STALL_TIMEOUT = 60.0
#: Overall deadline of a download: this many seconds plus the expected size at DEADLINE_MIN_RATE.
DEADLINE_BASE = 300.0
#: Slowest transfer rate allowed for the whole download (bytes per second): 256 KiB/s.
DEADLINE_MIN_RATE = 256 * 1024
#: Expected size when neither the server nor an earlier download says (bytes).
DEFAULT_EXPECTED_BYTES = 2 * 1024**3
#: Environment variable overriding the overall deadline (seconds).
DEADLINE_ENV = "ANALYSIS_OFFICIAL_DEADLINE"
#: Relative tolerance of the national totals check against the mirror's URSSAF national series.
NATIONAL_TOLERANCE = 0.02
#: Registry key of the URSSAF national series (France by A21, 2019 and 2022-2024).
NATIONAL_SERIES = "urssaf_france_a21_2019_2022_2023_2024"


class OfficialDataError(DataError):
    """Base class of the errors of the official-download path."""


class DownloadRefusedError(OfficialDataError):
    """A download (or the cached copy) is truncated, corrupted or not the expected table."""


class OfficialFileMissingError(OfficialDataError, FileNotFoundError):
    """The official file has not been downloaded (run ``make official``)."""


class IncompleteFileError(DownloadRefusedError):
    """The file is well formed but incomplete: fewer rows than the portal announces, a year column
    missing or renamed, national totals far from the national series."""


class DownloadInterrupted(BaseException):
    """Ctrl-C or SIGTERM during a download (a BaseException, like KeyboardInterrupt: nothing catches
    it by accident); the temporary file is removed on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class UpstreamChangedWarning(UserWarning):
    """The server's copy differs from the one recorded in the lock file."""


@dataclass(frozen=True)
class OfficialSource:
    """One row of ``data/official_sources.csv``."""

    key: str
    format: str
    url: str
    filename: str
    metadata_url: str
    official_page: str
    publisher: str
    licence: str
    dataset: str
    notes: str
    coverage: str = "national"


# ---------------------------------------------------------------------------------------------
# Sources and locations
# ---------------------------------------------------------------------------------------------

def sources(path: Path | str = OFFICIAL_SOURCES_CSV) -> dict[str, OfficialSource]:
    """Every official source of ``data/official_sources.csv``, keyed by ``key``."""
    path = Path(path)
    out = {}
    for _, row in csv_rows(path, SOURCE_COLUMNS, OfficialDataError):
        coverage = (row.get("coverage") or "").strip() or "national"
        if coverage not in COVERAGES:
            raise OfficialDataError(f"{path}: source {row.get('key')!r} has coverage {coverage!r}; use one of {COVERAGES}")
        s = OfficialSource(**{c: (row[c] or "").strip() for c in SOURCE_COLUMNS}, coverage=coverage)
        if s.format not in FORMATS:
            raise OfficialDataError(f"{path}: source {s.key!r} has format {s.format!r}; use one of {FORMATS}")
        if not s.url.startswith(("http://", "https://")):
            raise OfficialDataError(f"{path}: source {s.key!r} has url {s.url!r}, expected http(s)://...")
        if s.key in out:
            raise OfficialDataError(f"{path}: duplicate key {s.key!r}")
        out[s.key] = s
    return out


def source(key: str = URSSAF_COMMUNE_APE, path: Path | str = OFFICIAL_SOURCES_CSV) -> OfficialSource:
    """The row of ``key``; :class:`OfficialDataError` naming the known keys otherwise."""
    all_sources = sources(path)
    if key not in all_sources:
        raise OfficialDataError(f"unknown official source {key!r} (not in {path}); known: {sorted(all_sources)}")
    return all_sources[key]


#: Environment variable overriding the folder of the official files (default ``<cache>/official``).
OFFICIAL_DIR_ENV = "ANALYSIS_OFFICIAL_DIR"


def official_dir() -> Path:
    """``$ANALYSIS_OFFICIAL_DIR`` (relative paths from the repository root), else ``<cache>/official``."""
    return env_path(OFFICIAL_DIR_ENV) or cache_dir() / "official"


def local_path(key: str = URSSAF_COMMUNE_APE, path: Path | str = OFFICIAL_SOURCES_CSV) -> Path:
    """Where the cached copy of ``key`` lives: ``<official_dir>/<key>/<filename>``."""
    s = source(key, path)
    return official_dir() / s.key / s.filename


def lock_path(key: str = URSSAF_COMMUNE_APE, path: Path | str = OFFICIAL_SOURCES_CSV) -> Path:
    """The lock file beside the cached copy: ``<filename>.lock.json``."""
    p = local_path(key, path)
    return p.with_name(p.name + ".lock.json")


def read_lock(key: str = URSSAF_COMMUNE_APE, path: Path | str = OFFICIAL_SOURCES_CSV) -> dict | None:
    """The lock of ``key`` as a dict, or None when there is none."""
    lp = lock_path(key, path)
    if not lp.is_file():
        return None
    try:
        return json.loads(lp.read_text(encoding="utf-8"))
    except ValueError as err:
        raise OfficialDataError(f"{lp}: the lock file is not valid JSON ({err}); delete it and run make official") from err


#: Set to ``offline`` to make :func:`available` answer False (nbval compares with the offline outputs).
OFFICIAL_SWITCH_ENV = "ANALYSIS_OFFICIAL"


def available(key: str = URSSAF_COMMUNE_APE, path: Path | str = OFFICIAL_SOURCES_CSV) -> bool:
    """True when the official file and its lock are in the cache with the size the lock records.

    Cheap (no network, no re-hash): meant for notebook cells choosing between the official
    and the offline path. :func:`verified_path` re-hashes before the data are used.
    ``ANALYSIS_OFFICIAL=offline`` forces False, so that nbval (whose committed outputs are those
    of the offline path) passes on a machine where the official file was downloaded.
    """
    if official_offline():
        return False
    try:
        lock = read_lock(key, path)
    except OfficialDataError:
        return False
    p = local_path(key, path)
    return lock is not None and p.is_file() and p.stat().st_size == int(lock.get("bytes", -1))


def not_downloaded_message(key: str = URSSAF_COMMUNE_APE, path: Path | str = OFFICIAL_SOURCES_CSV) -> str:
    """One line for notebooks: the official file is absent, and how to get it."""
    s = source(key, path)
    return (f"Official file not downloaded ({s.publisher} {s.key}, {s.official_page}): run `make official` "
            f"(needs internet) to add this result; the offline results above stand.")


def provenance_note(key: str = URSSAF_COMMUNE_APE, path: Path | str = OFFICIAL_SOURCES_CSV) -> str:
    """Which path produced a value, for scoreboard notes: the official file (date, SHA-256) or the mirror."""
    if not available(key, path):
        return (f"offline path (public-data mirror; the official {key} file is not downloaded, "
                f"`make official` would add it)")
    lock = read_lock(key, path)
    return (f"official path ({source(key, path).publisher} {key} export downloaded "
            f"{lock['downloaded_at'][:10]}, SHA-256 {lock['sha256'][:12]}, {lock['bytes']:,} bytes)")


def sha256_of(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def verified_path(key: str = URSSAF_COMMUNE_APE, path: Path | str = OFFICIAL_SOURCES_CSV) -> Path:
    """Path of the cached official file after re-hashing it against its lock.

    Raises :class:`OfficialFileMissingError` (not downloaded: run ``make official``) or
    :class:`DownloadRefusedError` (the copy on disk no longer matches the lock).
    """
    p, lock = local_path(key, path), read_lock(key, path)
    if lock is None or not p.is_file():
        raise OfficialFileMissingError(f"{p}: {not_downloaded_message(key, path)}")
    size = p.stat().st_size
    if size != int(lock["bytes"]):
        raise DownloadRefusedError(f"{p}: {size:,} bytes on disk but {int(lock['bytes']):,} in its lock "
                                   f"{lock_path(key, path).name}: the cached copy is damaged; run `make official FORCE=1`")
    digest = sha256_of(p)
    if digest != lock["sha256"]:
        raise DownloadRefusedError(f"{p}: SHA-256 {digest} differs from {lock['sha256']} in its lock: the cached copy "
                                   f"was changed or damaged; run `make official FORCE=1`")
    checks = lock.get("checks") or {}
    if not checks.get("passed"):
        raise IncompleteFileError(f"{p}: its lock {lock_path(key, path).name} records no passing completeness check "
                                  f"(rows, year columns, national totals): run `make official` to check the copy")
    return p


# ---------------------------------------------------------------------------------------------
# Content checks
# ---------------------------------------------------------------------------------------------

def slug(name: str) -> str:
    """Header -> Opendatasoft-style field name: 'Effectifs salariés 2019' -> 'effectifs_salaries_2019'.

    Exports with ``use_labels=true`` carry labels, Parquet exports and ``/records`` carry field
    names; both reduce to the same slug, so readers accept either.
    """
    s = unicodedata.normalize("NFKD", str(name).lstrip("\ufeff")).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]+", "_", s.lower()).strip("_")


def check_columns(columns: list[str], origin: str, announced_last: int | None = None,
                  announced_by: str = "") -> list[int]:
    """The years of a commune x APE header, after checking its year columns.

    :class:`DownloadRefusedError` if official columns are missing; :class:`IncompleteFileError`
    if the year columns are out of order, or if a year from the first one to the latest
    announced (by the header's other year columns, or ``announced_last``, announced by
    ``announced_by``) lacks its "Nombre d'établissements" or "Effectifs salariés" column:
    each missing column is named, with the header's unrecognised columns (a renamed one).
    """
    slugs = [slug(c) for c in columns]
    missing = [c for c in REQUIRED_SLUGS if c not in slugs]
    emp = [(c, int(m.group(1))) for c, sl in zip(columns, slugs) if (m := _RX_YEAR.match(sl))]
    est = [(c, int(m.group(1))) for c, sl in zip(columns, slugs) if (m := _RX_EST_YEAR.match(sl))]
    years = sorted(y for _, y in emp)
    if missing or not years:
        raise DownloadRefusedError(
            f"{origin}: not the URSSAF commune x APE table: missing column(s) "
            f"{missing + ([] if years else ['Effectifs salariés <year>'])}; header starts {columns[:8]}")
    for found in (emp, est):
        for (c0, y0), (c1, y1) in zip(found, found[1:]):
            if y1 <= y0:
                raise IncompleteFileError(f"{origin}: year columns out of order: {c0!r} then {c1!r} (the export runs "
                                          f"from the oldest year to the newest): not the published layout")
    first = min(years + [y for _, y in est])
    last = max(years + [y for _, y in est] + ([announced_last] if announced_last else []))
    have_emp, have_est = {y for _, y in emp}, {y for _, y in est}
    absent = [f"Effectifs salariés {y}" for y in range(first, last + 1) if y not in have_emp]
    absent += [f"Nombre d'établissements {y}" for y in range(first, last + 1) if y not in have_est]
    if absent:
        known = set(REQUIRED_SLUGS) | {"code_zone_d_emploi", "code_epci", "code_departement", "code_region",
                                       "code_ancienne_region"}
        odd = [c for c, sl in zip(columns, slugs) if re.search(r"\d{4}", sl) and not _RX_YEAR.match(sl)
               and not _RX_EST_YEAR.match(sl) and sl not in known]
        why = f"; {announced_by} announces {announced_last}" if announced_last and announced_last > max(years) else ""
        raise IncompleteFileError(
            f"{origin}: missing year column(s) {absent} (the file's year columns run {first}-{last}{why})"
            + (f"; unrecognised column(s) {odd[:6]} (renamed?)" if odd else "")
            + ": a column was dropped or renamed; refused, run `make official FORCE=1` later or check the portal")
    return years


def validate_file(p: Path, fmt: str, origin: str | None = None) -> list[int]:
    """Refuse a truncated or foreign file; returns the years of its headcount columns.

    CSV: UTF-8, ';' header with the official columns, every line complete (the file ends
    with a line break, the last line has as many fields as the header). Parquet: 'PAR1'
    magic at both ends, a readable footer, the official columns.
    """
    origin = origin or str(p)
    size = p.stat().st_size
    if size == 0:
        raise DownloadRefusedError(f"{origin}: empty file")
    if fmt == "parquet":
        with open(p, "rb") as f:
            head = f.read(4)
            f.seek(max(0, size - 4))
            tail = f.read(4)
        if head != b"PAR1" or tail != b"PAR1":
            raise DownloadRefusedError(f"{origin}: not a complete Parquet file (magic bytes {head!r} ... {tail!r}): "
                                       f"truncated or an error page")
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(p).names
        except Exception as err:  # pyarrow raises ArrowInvalid / OSError
            raise DownloadRefusedError(f"{origin}: unreadable Parquet footer ({err})") from err
        return check_columns(names, origin)
    with open(p, "rb") as f:
        first = f.readline(1 << 16)
        f.seek(max(0, size - (1 << 16)))
        tail = f.read()
    try:
        header_text = first.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DownloadRefusedError(f"{origin}: the first line is not UTF-8 ({err})") from err
    if header_text.lstrip().startswith(("<", "{", "[")):
        raise DownloadRefusedError(f"{origin}: the server sent HTML or JSON, not a CSV export: {header_text[:120]!r}")
    header = next(csv.reader([header_text.rstrip("\r\n")], delimiter=";"))
    years = check_columns(header, origin)
    if not tail.endswith(b"\n"):
        raise DownloadRefusedError(f"{origin}: the last line has no line break: the download was cut short")
    last = tail.rstrip(b"\r\n").rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
    n_fields = len(next(csv.reader([last], delimiter=";")))
    if n_fields != len(header):
        raise DownloadRefusedError(f"{origin}: the last line has {n_fields} fields, the header {len(header)}: "
                                   f"truncated or corrupted")
    return years


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------

def _session():
    import requests

    s = requests.Session()
    s.headers["User-Agent"] = "analysis-official-download (+https://github.com/; research reproduction)"
    return s


def _validators(headers) -> dict:
    return {"etag": headers.get("ETag"), "last_modified": headers.get("Last-Modified"),
            "content_length": int(headers["Content-Length"]) if headers.get("Content-Length", "").isdigit() else None,
            "content_encoding": headers.get("Content-Encoding"), "content_type": headers.get("Content-Type")}


def _metadata(s: OfficialSource, session, timeout: float) -> dict:
    """The portal's dataset dates and record count ({} when there is no metadata URL or it fails)."""
    if not s.metadata_url:
        return {}
    try:
        r = session.get(s.metadata_url, timeout=timeout)
        r.raise_for_status()
        meta = r.json()
    except Exception as err:  # network or JSON errors only make the check weaker
        log.warning("official %s: metadata %s unavailable (%s)", s.key, s.metadata_url, err)
        return {}
    default = (meta.get("metas") or {}).get("default") or {}
    out = {k: default.get(k) for k in ("modified", "data_processed", "metadata_processed", "records_count")}
    field_years = sorted({int(m.group(1)) for f in meta.get("fields") or [] if isinstance(f, dict)
                          for m in [_RX_YEAR.match(slug(f.get("name") or "")) or
                                    _RX_EST_YEAR.match(slug(f.get("name") or ""))] if m})
    if field_years:
        out["fields_years"] = [field_years[0], field_years[-1]]
    return {k: v for k, v in out.items() if v is not None}


def download_deadline(expected_bytes: int | None, deadline: float | None = None) -> float:
    """Seconds allowed for a whole download of ``expected_bytes`` (None: unknown, 2 GiB assumed).

    ``deadline`` (or ``$ANALYSIS_OFFICIAL_DEADLINE``) wins when given; otherwise
    :data:`DEADLINE_BASE` + ``expected_bytes`` / :data:`DEADLINE_MIN_RATE` (5 min + 1 min per 15 MiB).
    """
    if deadline is None and os.environ.get(DEADLINE_ENV, "").strip():
        raw = os.environ[DEADLINE_ENV].strip()
        try:
            deadline = float(raw)
        except ValueError:
            raise OfficialDataError(f"{DEADLINE_ENV}={raw!r} is not a number of seconds") from None
    if deadline is not None:
        if not deadline > 0:
            raise OfficialDataError(f"download deadline {deadline!r} must be a positive number of seconds")
        return float(deadline)
    size = DEFAULT_EXPECTED_BYTES if not expected_bytes else int(expected_bytes)
    return DEADLINE_BASE + size / DEADLINE_MIN_RATE


def _stream_to(response, target: Path, origin: str, deadline: float | None = None,
               stall: float | None = None, expected: int | None = None) -> tuple[str, int]:
    """Write the body to ``target``; SHA-256 and byte count; refuse a body shorter than announced.

    ``deadline``: seconds for the whole body (default :func:`download_deadline` of the announced
    size, or of ``expected``); a server trickling bytes forever is cut there. ``stall`` (the socket's
    read timeout, set by the request's ``timeout``) only names the cause of a read timeout.
    """
    h, n = hashlib.sha256(), 0
    announced_size = _validators(response.headers)["content_length"]
    allowed = download_deadline(announced_size or expected, deadline)
    given = deadline is not None or bool(os.environ.get(DEADLINE_ENV, "").strip())
    how = ("as set" if given else
           f"scaled to the {'announced' if announced_size else 'expected' if expected else 'default'} size")
    t0 = time.monotonic()
    try:
        with open(target, "wb") as f:
            raw = response.raw
            while True:
                if time.monotonic() - t0 > allowed:
                    raise DownloadRefusedError(
                        f"{origin}: the download passed its deadline of {allowed:,.0f} s after {n:,} bytes "
                        f"({how}; {DEADLINE_ENV}=<seconds> or --deadline sets another): the server is too slow; "
                        f"nothing was written to the cache, retry later")
                # read1: returns as soon as some bytes arrive, so the deadline is checked between them
                block = raw.read1(_CHUNK, decode_content=True) if hasattr(raw, "read1") else raw.read(_CHUNK)
                if not block:
                    break
                f.write(block)
                h.update(block)
                n += len(block)
    except DownloadRefusedError:
        raise
    except Exception as err:  # urllib3 ProtocolError / IncompleteRead / ReadTimeoutError
        stalled = "timed out" in str(err).lower() or "timeout" in err.__class__.__name__.lower()
        cause = (f"no byte for {stall:g} s (stall timeout)" if stalled and stall else
                 f"{err.__class__.__name__}: {' '.join(str(err).split())[:200]}")
        raise DownloadRefusedError(f"{origin}: the transfer broke off after {n:,} bytes ({cause}); nothing was written "
                                   f"to the cache, run `make official` again") from err
    announced = _validators(response.headers)["content_length"]
    wire = response.raw.tell() if hasattr(response.raw, "tell") else n
    if announced is not None and wire != announced:
        raise DownloadRefusedError(f"{origin}: received {wire:,} bytes, the server announced {announced:,} "
                                   f"(Content-Length): truncated download refused")
    return h.hexdigest(), n


def _records_url(s: OfficialSource) -> str:
    parts = urlsplit(s.url)
    return urlunsplit(parts._replace(query=""))


def _download_records(s: OfficialSource, target: Path, session, timeout: float, deadline: float | None = None) -> dict:
    """Page through ``/records`` and write a ';' CSV with the field labels as headers (the deadline of
    :func:`download_deadline` for 10,000 records of 1 kB, checked between pages)."""
    origin = s.url
    allowed, t0 = download_deadline(RECORDS_CAP * 1024, deadline), time.monotonic()
    meta_r = session.get(s.metadata_url, timeout=timeout)
    meta_r.raise_for_status()
    fields = [(f["name"], f.get("label") or f["name"]) for f in meta_r.json().get("fields", [])]
    if not fields:
        raise DownloadRefusedError(f"{s.metadata_url}: the dataset metadata lists no fields")
    base = _records_url(s)
    extra = dict(parse_qsl(urlsplit(s.url).query))
    rows, offset, total = [], 0, None
    while total is None or offset < total:
        if offset + RECORDS_PAGE > RECORDS_CAP and (total or 0) > RECORDS_CAP:
            break
        if time.monotonic() - t0 > allowed:
            raise DownloadRefusedError(f"{origin}: the download passed its deadline of {allowed:,.0f} s at record "
                                       f"{offset:,}: the server is too slow; nothing was written, retry later")
        r = session.get(base, params={**extra, "limit": RECORDS_PAGE, "offset": offset}, timeout=timeout)
        r.raise_for_status()
        page = r.json()
        total = int(page["total_count"])
        if total > RECORDS_CAP:
            raise DownloadRefusedError(
                f"{origin}: {total:,} records, more than the /records cap of {RECORDS_CAP:,} (offset + limit): use "
                f"the export endpoint (format csv or parquet, url .../exports/csv) in {OFFICIAL_SOURCES_CSV.name}")
        results = page.get("results", [])
        if not results and offset < total:
            raise DownloadRefusedError(f"{origin}: page at offset {offset} is empty but total_count is {total:,}")
        rows.extend(results)
        offset += len(results)
    if len(rows) != total:
        raise DownloadRefusedError(f"{origin}: got {len(rows):,} records, total_count says {total:,}")

    def cell(v):
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    with open(target, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow([label for _, label in fields])
        for rec in rows:
            w.writerow([cell(rec.get(name)) for name, _ in fields])
    return {"etag": None, "last_modified": None, "content_length": None, "records_count": total,
            "pages": -(-total // RECORDS_PAGE)}


# ---------------------------------------------------------------------------------------------
# Completeness
# ---------------------------------------------------------------------------------------------

def _duckdb_reader(p: Path, fmt: str) -> str:
    q = "'" + str(p).replace("'", "''") + "'"
    if fmt == "parquet":
        return f"read_parquet({q})"
    return f"read_csv({q}, delim=';', header=true, quote='\"', escape='\"', strict_mode=true, all_varchar=true)"


def file_totals(p: Path, fmt: str, origin: str | None = None) -> tuple[int, list[str], dict[int, float]]:
    """Rows, header and the national total of headcounts per year (Mayotte, département 976, left out)
    of a commune x APE file, in one DuckDB scan (the file is never loaded into memory)."""
    import duckdb

    origin = origin or str(p)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET threads = 2")
        reader = _duckdb_reader(p, fmt)
        header = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
        emp = {int(m.group(1)): c for c in header if (m := _RX_YEAR.match(slug(c)))}
        dep = next((c for c in header if slug(c) == "code_departement"), None)

        def ident(c: str) -> str:
            return '"' + c.replace('"', '""') + '"'

        sums = [f"sum(TRY_CAST(replace(CAST({ident(c)} AS VARCHAR), ' ', '') AS DOUBLE))" for c in emp.values()]
        where = f" WHERE coalesce(CAST({ident(dep)} AS VARCHAR), '') <> '976'" if dep else ""
        rows = con.execute(f"SELECT count(*) FROM {reader}").fetchone()[0]
        totals = con.execute(f"SELECT {', '.join(sums) or '0'} FROM {reader}{where}").fetchone() if sums else []
    except duckdb.Error as err:
        raise DownloadRefusedError(f"{origin}: cannot be read as a ';' table ({' '.join(str(err).split())[:300]}): "
                                   f"corrupted or not the export; run `make official FORCE=1`") from err
    finally:
        con.close()
    return int(rows), header, {y: float(v or 0.0) for y, v in zip(emp, totals)}


def national_series() -> dict[int, float]:
    """The mirror's URSSAF national series (private salaried headcount at 31 December, France
    without Mayotte, all A21 sections summed) by year: 2019, 2022, 2023, 2024."""
    from analysis.data.loaders import employment as E

    t = E.load_urssaf_france_a21()
    return {int(y): float(v) for y, v in t.groupby("year")["employment"].sum(min_count=1).items()}


def completeness(p: Path, s: OfficialSource, meta: dict | None, previous: dict | None = None,
                 origin: str | None = None, records_count: int | None = None) -> dict:
    """Check that the official file is complete, not only well formed; the record for the lock.

    ``meta``: the portal's metadata as in the lock (``records_count``, ``fields_years``);
    ``previous``: the lock of an earlier download (its last year counts as announced);
    ``records_count``: overrides ``meta``'s. Raises :class:`IncompleteFileError` naming what is
    missing (rows, a year column, a national total off by more than :data:`NATIONAL_TOLERANCE`).
    """
    origin = origin or str(p)
    fmt = "parquet" if s.format == "parquet" else "csv"
    meta = meta or {}
    rows, header, totals = file_totals(p, fmt, origin)
    announced = records_count if records_count is not None else meta.get("records_count")
    if announced is not None and int(announced) != rows:
        raise IncompleteFileError(
            f"{origin}: {rows:,} rows received, the portal's metadata announces {int(announced):,} (records_count): "
            f"the export is incomplete (cut at a line break?); refused, run `make official FORCE=1` again later")
    claims = []
    if meta.get("fields_years"):
        claims.append((int(meta["fields_years"][1]), "the portal's field list"))
    if previous and previous.get("years"):
        claims.append((int(previous["years"][1]), f"the previous download ({str(previous.get('downloaded_at'))[:10]})"))
    last, by = max(claims) if claims else (None, "")
    years = check_columns(header, origin, last, by)
    national = {"series": NATIONAL_SERIES, "tolerance": NATIONAL_TOLERANCE, "years": {}}
    if s.coverage != "national":
        national["status"] = f"skipped: the source is an {s.coverage}, not the national file"
    else:
        series = national_series()
        common = sorted(set(series) & set(years))
        for y in common:
            gap = totals[y] / series[y] - 1 if series[y] else float("nan")
            national["years"][str(y)] = {"file": totals[y], "series": series[y], "gap": round(gap, 6)}
        bad = {y: v for y, v in national["years"].items() if not abs(v["gap"]) <= NATIONAL_TOLERANCE}
        if bad:
            y, v = next(iter(bad.items()))
            raise IncompleteFileError(
                f"{origin}: national headcount {y} is {v['file']:,.0f}, the URSSAF national series {NATIONAL_SERIES} "
                f"says {v['series']:,.0f} ({v['gap']:+.1%}, tolerance {NATIONAL_TOLERANCE:.0%}; years off: "
                f"{sorted(bad)}): rows are missing or the file is not the national export; refused")
        national["status"] = "ok" if common else f"no year in common with the series ({sorted(series)})"
        if not common:
            log.warning("official %s: no year of the file (%s-%s) is in the national series %s: totals not compared",
                        s.key, years[0], years[-1], sorted(series))
    return {"passed": True, "checked_at": _now(), "rows": rows, "records_count": announced,
            "years": [years[0], years[-1]], "latest_announced": last, "national_totals": national}


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _write_lock(s: OfficialSource, p: Path, digest: str, n: int, http: dict, meta: dict, years: list[int],
                checks: dict | None = None, downloaded_at: str | None = None) -> dict:
    lock = {
        "key": s.key, "url": s.url, "format": s.format, "filename": s.filename, "sha256": digest, "bytes": n,
        "downloaded_at": downloaded_at or _now(),
        "http": http, "metadata": meta, "years": [min(years), max(years)] if years else None,
        "official_page": s.official_page, "licence": s.licence, "checks": checks,
    }
    lp = p.with_name(p.name + ".lock.json")
    tmp = lp.with_name(lp.name + ".tmp")
    tmp.write_text(json.dumps(lock, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, lp)
    return lock


# ---------------------------------------------------------------------------------------------
# Temporary files: signals, sweeping, pruning
# ---------------------------------------------------------------------------------------------

@contextlib.contextmanager
def _interruptible():
    """SIGTERM (and SIGINT) raise :class:`DownloadInterrupted` while the block runs, so that the
    ``finally`` clauses remove the temporary file. Only in the main thread (elsewhere: unchanged)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise DownloadInterrupted(signum)

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


@contextlib.contextmanager
def _source_lock(folder: Path):
    """Exclusive lock of one source's folder while it is downloaded: a ``.part`` found while holding
    it belongs to a dead process (the lock dies with its holder)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(folder / ".download.lock", "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _partials(folder: Path) -> list[Path]:
    return sorted(q for q in folder.glob("*.part") if q.is_file()) if folder.is_dir() else []


def sweep_partial(folder: Path | None = None, *, wait: bool = False) -> list[Path]:
    """Remove the ``.part`` files of dead downloads under ``folder`` (default: every source folder
    of :func:`official_dir`); returns them. A folder whose download is running now is skipped
    (``wait=False``) or waited for."""
    import fcntl

    folders = [folder] if folder is not None else (
        [d for d in official_dir().iterdir() if d.is_dir()] if official_dir().is_dir() else [])
    removed = []
    for d in folders:
        if not _partials(d):
            continue
        with open(d / ".download.lock", "a") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                continue  # a download is running there
            try:
                for q in _partials(d):
                    q.unlink(missing_ok=True)
                    removed.append(q)
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return removed


def prune(path: Path | str = OFFICIAL_SOURCES_CSV) -> list[Path]:
    """Remove from :func:`official_dir` what no source of ``path`` uses: ``.part`` files of dead
    downloads, copies and locks of files or sources no longer listed, and the synthetic benchmark
    files of ``bench/`` (written again by ``make bench-official``). Returns the removed paths."""
    root = official_dir()
    if not root.is_dir():
        return []
    removed = sweep_partial()
    keep = set()
    for s in sources(path).values():
        keep |= {root / s.key / s.filename, root / s.key / (s.filename + ".lock.json"), root / s.key / ".download.lock"}
    return removed + remove_all_but(root, keep, spare=lambda q: q.name.endswith(".part"))


# ---------------------------------------------------------------------------------------------
# Download
# ---------------------------------------------------------------------------------------------

def download(key: str = URSSAF_COMMUNE_APE, *, force: bool = False, check: bool = True, rehash: bool = False,
             timeout: float = STALL_TIMEOUT, deadline: float | None = None, path: Path | str = OFFICIAL_SOURCES_CSV,
             session=None) -> Path:
    """Fetch the official file of ``key`` into the cache (or reuse the cached copy) and return its path.

    ``force``: download again even if a verified copy exists. ``check``: for a reused copy,
    ask the server whether upstream changed (:func:`check_upstream`, warns with
    :class:`UpstreamChangedWarning`; never replaces the copy). ``rehash``: when the server gives
    no validator, re-download to a temporary file and compare SHA-256s. ``timeout``: connection
    and stall timeout in seconds; ``deadline``: seconds for the whole transfer (default scaled to
    the expected size, :func:`download_deadline`).

    A reused copy is re-hashed and its completeness checked again (:func:`completeness`, the
    lock's ``checks`` updated). Raises :class:`DownloadRefusedError` for a truncated, corrupted,
    foreign or incomplete (:class:`IncompleteFileError`) download and :class:`OfficialDataError`
    for an unreachable server (naming the URL and the fix); :class:`DownloadInterrupted` on Ctrl-C
    or SIGTERM, after removing the temporary file.
    """
    s = source(key, path)
    p = local_path(key, path)
    session = session or _session()
    previous = read_lock(key, path)
    with _interruptible(), _source_lock(p.parent):
        for q in _partials(p.parent):  # left by a download killed with SIGKILL: we hold the lock
            log.warning("official %s: removing %s left by an interrupted download", key, q.name)
            q.unlink(missing_ok=True)
        if not force and previous is not None and p.is_file():
            if p.stat().st_size != int(previous.get("bytes", -1)) or sha256_of(p) != previous.get("sha256"):
                verified_path(key, path)  # raises naming the damage
            checks = completeness(p, s, previous.get("metadata"), None, origin=str(p),
                                  records_count=(previous.get("http") or {}).get("records_count"))
            _write_lock(s, p, previous["sha256"], int(previous["bytes"]), previous.get("http") or {},
                        previous.get("metadata") or {}, checks["years"], checks, previous.get("downloaded_at"))
            log.info("official %s: reusing %s (%s rows, years %s, national totals %s)", key, p, f"{checks['rows']:,}",
                     checks["years"], checks["national_totals"]["status"])
            if check:
                check_upstream(key, rehash=rehash, timeout=timeout, path=path, session=session)
            return p
        fd, tmp_name = tempfile.mkstemp(dir=p.parent, prefix=p.name + ".", suffix=".part")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            try:
                if s.format == "records":
                    http = _download_records(s, tmp, session, timeout, deadline)
                    digest, n = sha256_of(tmp), tmp.stat().st_size
                else:
                    with session.get(s.url, stream=True, timeout=timeout) as r:
                        r.raise_for_status()
                        http = _validators(r.headers)
                        digest, n = _stream_to(r, tmp, s.url, deadline, timeout,
                                               expected=int(previous["bytes"]) if previous else None)
            except DownloadRefusedError:
                raise
            except OSError as err:  # requests' ConnectionError / HTTPError / Timeout are OSErrors
                status = getattr(getattr(err, "response", None), "status_code", None)
                what = f"answered HTTP {status}" if status else f"could not be reached ({err.__class__.__name__})"
                raise OfficialDataError(f"official {key}: {s.url} {what}. The official page is {s.official_page}; "
                                        f"check the address in {OFFICIAL_SOURCES_CSV.name} or retry later") from err
            validate_file(tmp, "parquet" if s.format == "parquet" else "csv", origin=s.url)
            meta = _metadata(s, session, timeout)
            checks = completeness(tmp, s, meta, previous, origin=s.url, records_count=http.get("records_count"))
            os.replace(tmp, p)
        finally:
            if tmp.exists():
                tmp.unlink()
        lock = _write_lock(s, p, digest, n, http, meta, checks["years"], checks)
    log.info("official %s: %s bytes, sha256 %s, years %s, %s rows, national totals %s", key, f"{n:,}", digest[:12],
             lock["years"], f"{checks['rows']:,}", checks["national_totals"]["status"])
    return p


def check_upstream(key: str = URSSAF_COMMUNE_APE, *, rehash: bool = False, timeout: float = 60.0,
                   path: Path | str = OFFICIAL_SOURCES_CSV, session=None) -> dict:
    """Compare the server's copy with the lock; warn (:class:`UpstreamChangedWarning`) when it changed.

    Returns ``{"changed": bool, "reasons": [...], "checked": [...]}`` where ``checked`` names
    the validators the server gave (etag, last_modified, content_length, metadata dates,
    sha256 when ``rehash``). The dataset's dates from the portal's metadata endpoint decide when
    the server gives them (HTTP validators of an export generated on the fly may change while the
    data do not: that is logged, not warned); otherwise the HTTP validators decide. Nothing is
    replaced: run ``make official FORCE=1`` to update.
    """
    s = source(key, path)
    lock = read_lock(key, path)
    if lock is None:
        raise OfficialFileMissingError(not_downloaded_message(key, path))
    session = session or _session()
    http_reasons, meta_reasons, checked = [], [], []
    old_http = lock.get("http") or {}
    if s.format != "records":
        try:
            r = session.head(s.url, timeout=timeout, allow_redirects=True)
            if r.status_code == 405:  # HEAD not allowed: read the headers of a GET, not the body
                r = session.get(s.url, stream=True, timeout=timeout)
                r.close()
            r.raise_for_status()
            new_http = _validators(r.headers)
        except OSError as err:
            warnings.warn(f"official {key}: could not ask {s.url} whether it changed ({err.__class__.__name__}); "
                          f"using the cached copy of {lock['downloaded_at'][:10]}", UpstreamChangedWarning, stacklevel=2)
            return {"changed": None, "reasons": [f"unreachable: {err.__class__.__name__}"], "checked": []}
        for field in ("etag", "last_modified", "content_length"):
            old, new = old_http.get(field), new_http.get(field)
            if field == "content_length" and (old_http.get("content_encoding") or new_http.get("content_encoding")):
                continue  # compressed sizes say nothing about the file
            if old is not None and new is not None:
                checked.append(field)
                if old != new:
                    http_reasons.append(f"{field} {old!r} -> {new!r}")
    old_meta, new_meta = lock.get("metadata") or {}, _metadata(s, session, timeout)
    meta_checked = False
    for field in ("modified", "data_processed", "records_count"):
        if old_meta.get(field) is not None and new_meta.get(field) is not None:
            checked.append(f"metadata.{field}")
            meta_checked = True
            if old_meta[field] != new_meta[field]:
                meta_reasons.append(f"metadata {field} {old_meta[field]!r} -> {new_meta[field]!r}")
    reasons = meta_reasons + http_reasons
    if meta_checked and not meta_reasons and http_reasons:
        # an export generated on the fly may get new HTTP validators while the dataset is unchanged
        log.warning("official %s: the export's HTTP validators changed (%s) but the dataset's dates did not; "
                    "run `make official RECHECK=1` to compare SHA-256s", key, "; ".join(http_reasons))
        reasons = []
    if rehash or not checked:
        if rehash:
            folder = local_path(key, path).parent  # beside the copy: the national file is large
            fd, tmp_name = tempfile.mkstemp(dir=folder, prefix="recheck-", suffix=".part")
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                if s.format == "records":
                    _download_records(s, tmp, session, timeout)
                    digest = sha256_of(tmp)
                else:
                    with session.get(s.url, stream=True, timeout=timeout) as r:
                        r.raise_for_status()
                        digest, _ = _stream_to(r, tmp, s.url)
            finally:
                tmp.unlink(missing_ok=True)
            checked.append("sha256")
            if digest != lock["sha256"]:
                reasons.append(f"sha256 {lock['sha256'][:12]} -> {digest[:12]}")
        else:
            log.warning("official %s: the server gives no ETag, Last-Modified, size or dataset dates; "
                        "run `make official RECHECK=1` to compare SHA-256s", key)
    changed = bool(reasons)
    if changed:
        warnings.warn(f"official {key}: upstream changed since the download of {lock['downloaded_at'][:10]} "
                      f"({'; '.join(reasons)}); the cached copy (SHA-256 {lock['sha256'][:12]}) is still used. "
                      f"Run `make official FORCE=1` to fetch the new version", UpstreamChangedWarning, stacklevel=2)
    return {"changed": changed, "reasons": reasons, "checked": checked}


def main(argv: list[str] | None = None) -> int:
    """``recalcul official [--force] [--recheck] [--no-check] [--sources CSV] [KEY ...]`` (``make official``).

    Exit status 0 when every source is in the cache and verified, 1 otherwise (the error is printed).
    """
    parser = argparse.ArgumentParser(prog="recalcul official", description=__doc__.split("\n")[0])
    parser.add_argument("keys", nargs="*", help="keys of data/official_sources.csv (default: all)")
    parser.add_argument("--force", action="store_true", help="download again even if a verified copy exists")
    parser.add_argument("--recheck", action="store_true", help="compare SHA-256s with a fresh download")
    parser.add_argument("--no-check", action="store_true", help="do not ask the server whether upstream changed")
    parser.add_argument("--sources", default=str(OFFICIAL_SOURCES_CSV), help="sources file (default: %(default)s)")
    parser.add_argument("--deadline", type=float, default=None,
                        help=f"seconds for a whole download (default: scaled to its size; or ${DEADLINE_ENV})")
    parser.add_argument("--timeout", type=float, default=STALL_TIMEOUT,
                        help="seconds without a byte before giving up (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    warnings.simplefilter("always", UpstreamChangedWarning)
    status = 0
    for key in args.keys or list(sources(args.sources)):
        try:
            p = download(key, force=args.force, check=not args.no_check, rehash=args.recheck, path=args.sources,
                         timeout=args.timeout, deadline=args.deadline)
        except OfficialDataError as err:
            print(f"error: {err}", file=sys.stderr)
            status = 1
            continue
        except (DownloadInterrupted, KeyboardInterrupt) as err:
            signum = getattr(err, "signum", signal.SIGINT)
            name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
            print(f"official {key}: interrupted ({name}); the partial download was removed and the cache is as it "
                  f"was; run `make official` again", file=sys.stderr, flush=True)
            return 128 + int(signum)
        lock = read_lock(key, args.sources)
        c = lock.get("checks") or {}
        print(f"{key}: {p} ({lock['bytes']:,} bytes, SHA-256 {lock['sha256']}, downloaded {lock['downloaded_at']}, "
              f"years {lock['years']}; checked: {c.get('rows', 0):,} rows"
              f"{'' if c.get('records_count') is None else ' = records_count'}, year columns "
              f"{c.get('years')}, national totals {(c.get('national_totals') or {}).get('status')})")
    return status


if __name__ == "__main__":
    sys.exit(main())
