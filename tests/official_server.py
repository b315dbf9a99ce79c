"""A loopback stand-in for the Opendatasoft explore API v2.1 of open.urssaf.fr (tests only).

Serves one dataset on 127.0.0.1 (port chosen by the OS), as far as the platform documents it:

- ``GET|HEAD /api/explore/v2.1/catalog/datasets/<id>/exports/csv``: the whole table as ';' CSV
  with field labels as headers (the layout of the mirror's Rouen extract), with ``ETag``,
  ``Last-Modified`` and ``Content-Length`` unless told otherwise;
- ``GET /api/explore/v2.1/catalog/datasets/<id>``: dataset metadata (``metas.default.modified``,
  ``data_processed``, ``records_count``, ``fields`` with ``name`` and ``label``);
- ``GET /api/explore/v2.1/catalog/datasets/<id>/records?limit=&offset=``: JSON pages
  ``{"total_count": n, "results": [...]}`` keyed by field names, ``limit`` at most 100 and
  ``offset + limit`` at most 10,000 (HTTP 400 beyond, as the platform does).

Faults for the refusal tests: ``truncate_to`` (announce the full length, send fewer bytes),
``chunked`` (no Content-Length, chunked transfer; with ``truncate_to`` the stream just stops),
``validators=False`` (no ETag / Last-Modified), ``html`` (an error page with status 200),
``trickle=(n_bytes, seconds)`` (send the export ``n_bytes`` at a time, ``seconds`` apart: a server
that never stops), ``stall_after`` (send that many bytes of the export, then nothing).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from pathlib import Path

from analysis.data.official import slug

DATASET = "etablissements-et-effectifs-salaries-au-niveau-commune-x-ape-last"
BASE = "/api/explore/v2.1/catalog/datasets"


@dataclass
class State:
    body: bytes
    modified: str = "2025-06-30T08:00:00+00:00"
    last_modified: float = 1_750_000_000.0
    validators: bool = True
    metadata: bool = True
    chunked: bool = False
    truncate_to: int | None = None
    html: bool = False
    total_override: int | None = None
    trickle: tuple[int, float] | None = None
    stall_after: int | None = None
    requests: list = field(default_factory=list)

    def set_body(self, body: bytes, modified: str | None = None) -> None:
        self.body = body
        self.last_modified += 86_400
        self.modified = modified or f"2025-07-{len(self.requests) % 28 + 1:02d}T08:00:00+00:00"

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'

    def table(self) -> tuple[list[str], list[list[str]], list[dict]]:
        """Header, rows and records (dicts keyed by field name, as the records API gives them) of the
        served CSV: parsed once per distinct body in the test session (:data:`_PARSED`)."""
        key = hashlib.sha1(self.body).digest()
        if key not in _PARSED:
            rows = list(csv.reader(io.StringIO(self.body.decode("utf-8-sig")), delimiter=";"))
            names = [slug(h) for h in rows[0]]
            records = [{n: _record_value(v) for n, v in zip(names, r)} for r in rows[1:]]
            _PARSED[key] = (rows[0], rows[1:], records)
        return _PARSED[key]


#: Parsed served bodies, by SHA-1 (most tests serve the same 3.8 MB extract; parsing it took 0.3 s a test).
_PARSED: dict[bytes, tuple[list[str], list[list[str]], list[dict]]] = {}


def _record_value(v: str):
    """A CSV cell as the records API types it: None when empty, an int when it is one, else the text."""
    if v == "":
        return None
    try:
        return int(v)
    except ValueError:
        return v


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: State

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
        st = self.state
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if st.chunked and ctype.startswith("text/csv"):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if self.command == "HEAD":
                return
            payload = body if st.truncate_to is None else body[: st.truncate_to]
            for i in range(0, len(payload), 65_536):
                part = payload[i:i + 65_536]
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            if st.truncate_to is None:
                self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if ctype.startswith("text/csv") and (st.trickle or st.stall_after is not None):
            import time

            try:
                if st.stall_after is not None:
                    self.wfile.write(body[: st.stall_after])
                    self.wfile.flush()
                    time.sleep(30)
                else:
                    n, pause = st.trickle
                    for i in range(0, len(body), n):
                        self.wfile.write(body[i:i + n])
                        self.wfile.flush()
                        time.sleep(pause)
            except OSError:  # the client gave up and closed the connection
                pass
            self.close_connection = True
            return
        if st.truncate_to is not None and ctype.startswith("text/csv"):
            self.wfile.write(body[: st.truncate_to])
            self.close_connection = True
            return
        self.wfile.write(body)

    def _route(self) -> None:
        st = self.state
        url = urlsplit(self.path)
        st.requests.append((self.command, url.path, url.query))
        if url.path == f"{BASE}/{DATASET}/exports/csv":
            if st.html:
                return self._send(200, b"<!DOCTYPE html><html><body>Service unavailable</body></html>",
                                  "text/html; charset=utf-8")
            extra = {}
            if st.validators:
                extra = {"ETag": st.etag, "Last-Modified": formatdate(st.last_modified, usegmt=True)}
            return self._send(200, st.body, "text/csv; charset=utf-8", extra)
        if url.path == f"{BASE}/{DATASET}":
            if not st.metadata:
                return self._send(404, b'{"error_code": "NotFound"}', "application/json")
            header, rows, _ = st.table()
            meta = {"dataset_id": DATASET,
                    "metas": {"default": {"modified": st.modified, "data_processed": st.modified,
                                          "records_count": st.total_override or len(rows)}},
                    "fields": [{"name": slug(h), "label": h.lstrip("\ufeff"), "type": "text"} for h in header]}
            return self._send(200, json.dumps(meta).encode(), "application/json")
        if url.path == f"{BASE}/{DATASET}/records":
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            limit, offset = int(q.get("limit", 10)), int(q.get("offset", 0))
            if limit > 100 or offset + limit > 10_000:
                return self._send(400, json.dumps({"error_code": "InvalidRESTParameterError",
                                                   "message": "limit <= 100 and offset + limit <= 10000"}).encode(),
                                  "application/json")
            _, rows, records = st.table()
            body = {"total_count": st.total_override or len(rows), "results": records[offset:offset + limit]}
            return self._send(200, json.dumps(body).encode(), "application/json")
        self._send(404, b'{"error_code": "NotFound"}', "application/json")

    def do_GET(self):  # noqa: N802
        self._route()

    def do_HEAD(self):  # noqa: N802
        self._route()


class LoopbackPortal:
    """Context manager: ``with LoopbackPortal(body) as portal: portal.export_url ...``."""

    def __init__(self, body: bytes):
        self.state = State(body=body)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # shutdown() waits for serve_forever's next poll: 0.5 s by default, at every test's end
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    @property
    def root(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def export_url(self) -> str:
        return f"{self.root}{BASE}/{DATASET}/exports/csv?delimiter=%3B&use_labels=true&with_bom=true"

    @property
    def records_url(self) -> str:
        return f"{self.root}{BASE}/{DATASET}/records"

    @property
    def metadata_url(self) -> str:
        return f"{self.root}{BASE}/{DATASET}"

    def sources_csv(self, path: Path, fmt: str = "csv", filename: str = "urssaf_commune_ape_test.csv",
                    coverage: str = "extract") -> Path:
        """A ``data/official_sources.csv`` pointing at this server. ``coverage``: 'extract' (the
        default: the Rouen extract is served, no national totals check) or 'national'."""
        url = self.records_url if fmt == "records" else self.export_url
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["key", "format", "url", "filename", "metadata_url", "official_page", "publisher", "licence",
                        "dataset", "notes", "coverage"])
            w.writerow(["urssaf_commune_ape", fmt, url, filename, self.metadata_url,
                        f"{self.root}/explore/dataset/{DATASET}/", "URSSAF", "Licence Ouverte 2.0",
                        "loopback test copy", "served by tests/official_server.py", coverage])
        return path

    def __enter__(self) -> "LoopbackPortal":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
