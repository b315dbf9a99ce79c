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
import csv
import datetime as _dt
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from analysis.paths import DATA_DIR, env_path
from analysis.data.registry import DataError, cache_dir

log = logging.getLogger("analysis")

OFFICIAL_SOURCES_CSV = DATA_DIR / "official_sources.csv"
SOURCE_COLUMNS = ["key", "format", "url", "filename", "metadata_url", "official_page", "publisher", "licence",
                  "dataset", "notes"]
FORMATS = ("csv", "parquet", "records")
#: The URSSAF commune x APE file (the only official source so far).
URSSAF_COMMUNE_APE = "urssaf_commune_ape"
#: The platform's cap on ``offset + limit`` for the ``/records`` endpoint.
RECORDS_CAP = 10_000
RECORDS_PAGE = 100
#: Columns (as :func:`slug` of the header) every commune x APE export must have.
REQUIRED_SLUGS = ("code_commune", "code_ape", "secteur_na38")
_RX_YEAR = re.compile(r"^effectifs_salaries_(\d{4})$")
_CHUNK = 1 << 20


class OfficialDataError(DataError):
    """Base class of the errors of the official-download path."""


class DownloadRefusedError(OfficialDataError):
    """A download (or the cached copy) is truncated, corrupted or not the expected table."""


class OfficialFileMissingError(OfficialDataError, FileNotFoundError):
    """The official file has not been downloaded (run ``make official``)."""


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


# ---------------------------------------------------------------------------------------------
# Sources and locations
# ---------------------------------------------------------------------------------------------

def sources(path: Path | str = OFFICIAL_SOURCES_CSV) -> dict[str, OfficialSource]:
    """Every official source of ``data/official_sources.csv``, keyed by ``key``."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = set(SOURCE_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise OfficialDataError(f"{path}: missing column(s) {sorted(missing)}")
        out = {}
        for row in reader:
            s = OfficialSource(**{c: (row[c] or "").strip() for c in SOURCE_COLUMNS})
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
    if os.environ.get(OFFICIAL_SWITCH_ENV, "").strip().lower() == "offline":
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


def check_columns(columns: list[str], origin: str) -> list[int]:
    """The years of a commune x APE header; :class:`DownloadRefusedError` if official columns are missing."""
    slugs = {slug(c) for c in columns}
    missing = [c for c in REQUIRED_SLUGS if c not in slugs]
    years = sorted(int(m.group(1)) for m in (_RX_YEAR.match(s) for s in slugs) if m)
    if missing or not years:
        raise DownloadRefusedError(
            f"{origin}: not the URSSAF commune x APE table: missing column(s) "
            f"{missing + ([] if years else ['Effectifs salariés <year>'])}; header starts {columns[:8]}")
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
    return {k: v for k, v in out.items() if v is not None}


def _stream_to(response, target: Path, origin: str) -> tuple[str, int]:
    """Write the body to ``target``; SHA-256 and byte count; refuse a body shorter than announced."""
    h, n = hashlib.sha256(), 0
    try:
        with open(target, "wb") as f:
            for block in response.iter_content(chunk_size=_CHUNK):
                f.write(block)
                h.update(block)
                n += len(block)
    except Exception as err:  # urllib3 ProtocolError / IncompleteRead, requests ChunkedEncodingError
        raise DownloadRefusedError(f"{origin}: the transfer broke off after {n:,} bytes ({err.__class__.__name__}: "
                                   f"{err}); nothing was written to the cache, run `make official` again") from err
    announced = _validators(response.headers)["content_length"]
    wire = response.raw.tell() if hasattr(response.raw, "tell") else n
    if announced is not None and wire != announced:
        raise DownloadRefusedError(f"{origin}: received {wire:,} bytes, the server announced {announced:,} "
                                   f"(Content-Length): truncated download refused")
    return h.hexdigest(), n


def _records_url(s: OfficialSource) -> str:
    parts = urlsplit(s.url)
    return urlunsplit(parts._replace(query=""))


def _download_records(s: OfficialSource, target: Path, session, timeout: float) -> dict:
    """Page through ``/records`` and write a ';' CSV with the field labels as headers."""
    origin = s.url
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


def _write_lock(s: OfficialSource, p: Path, digest: str, n: int, http: dict, meta: dict, years: list[int]) -> dict:
    lock = {
        "key": s.key, "url": s.url, "format": s.format, "filename": s.filename, "sha256": digest, "bytes": n,
        "downloaded_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "http": http, "metadata": meta, "years": [min(years), max(years)] if years else None,
        "official_page": s.official_page, "licence": s.licence,
    }
    lp = p.with_name(p.name + ".lock.json")
    tmp = lp.with_name(lp.name + ".tmp")
    tmp.write_text(json.dumps(lock, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, lp)
    return lock


def download(key: str = URSSAF_COMMUNE_APE, *, force: bool = False, check: bool = True, rehash: bool = False,
             timeout: float = 600.0, path: Path | str = OFFICIAL_SOURCES_CSV, session=None) -> Path:
    """Fetch the official file of ``key`` into the cache (or reuse the cached copy) and return its path.

    ``force``: download again even if a verified copy exists. ``check``: for a reused copy,
    ask the server whether upstream changed (:func:`check_upstream`, warns with
    :class:`UpstreamChangedWarning`; never replaces the copy). ``rehash``: when the server gives
    no validator, re-download to a temporary file and compare SHA-256s.

    Raises :class:`DownloadRefusedError` for a truncated, corrupted or foreign download and
    :class:`OfficialDataError` for an unreachable server (naming the URL and the fix).
    """
    s = source(key, path)
    p = local_path(key, path)
    session = session or _session()
    if not force and read_lock(key, path) is not None and p.is_file():
        verified_path(key, path)
        log.info("official %s: reusing %s", key, p)
        if check:
            check_upstream(key, rehash=rehash, timeout=timeout, path=path, session=session)
        return p
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=p.parent, prefix=p.name + ".", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            if s.format == "records":
                http = _download_records(s, tmp, session, timeout)
                digest, n = sha256_of(tmp), tmp.stat().st_size
            else:
                with session.get(s.url, stream=True, timeout=timeout) as r:
                    r.raise_for_status()
                    http = _validators(r.headers)
                    digest, n = _stream_to(r, tmp, s.url)
        except DownloadRefusedError:
            raise
        except OSError as err:  # requests' ConnectionError / HTTPError / Timeout are OSErrors
            status = getattr(getattr(err, "response", None), "status_code", None)
            what = f"answered HTTP {status}" if status else f"could not be reached ({err.__class__.__name__})"
            raise OfficialDataError(f"official {key}: {s.url} {what}. The official page is {s.official_page}; "
                                    f"check the address in {OFFICIAL_SOURCES_CSV.name} or retry later") from err
        years = validate_file(tmp, "parquet" if s.format == "parquet" else "csv", origin=s.url)
        meta = _metadata(s, session, timeout)
        os.replace(tmp, p)
    finally:
        if tmp.exists():
            tmp.unlink()
    lock = _write_lock(s, p, digest, n, http, meta, years)
    log.info("official %s: %s bytes, sha256 %s, years %s", key, f"{n:,}", digest[:12], lock["years"])
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
    """``python -m analysis.data.official [--force] [--recheck] [--no-check] [--sources CSV] [KEY ...]`` (``make official``).

    Exit status 0 when every source is in the cache and verified, 1 otherwise (the error is printed).
    """
    parser = argparse.ArgumentParser(prog="python -m analysis.data.official", description=__doc__.split("\n")[0])
    parser.add_argument("keys", nargs="*", help="keys of data/official_sources.csv (default: all)")
    parser.add_argument("--force", action="store_true", help="download again even if a verified copy exists")
    parser.add_argument("--recheck", action="store_true", help="compare SHA-256s with a fresh download")
    parser.add_argument("--no-check", action="store_true", help="do not ask the server whether upstream changed")
    parser.add_argument("--sources", default=str(OFFICIAL_SOURCES_CSV), help="sources file (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    warnings.simplefilter("always", UpstreamChangedWarning)
    status = 0
    for key in args.keys or list(sources(args.sources)):
        try:
            p = download(key, force=args.force, check=not args.no_check, rehash=args.recheck, path=args.sources)
        except OfficialDataError as err:
            print(f"error: {err}", file=sys.stderr)
            status = 1
            continue
        lock = read_lock(key, args.sources)
        print(f"{key}: {p} ({lock['bytes']:,} bytes, SHA-256 {lock['sha256']}, downloaded {lock['downloaded_at']}, "
              f"years {lock['years']})")
    return status


if __name__ == "__main__":
    sys.exit(main())
