"""Official-path download (``pytest -k official``): loopback portal on 127.0.0.1, no real network.

The server (tests/official_server.py) serves the mirror's Rouen extract of the URSSAF commune x
APE file in the official export format, with the export endpoint, the dataset metadata and the
records pagination of the Opendatasoft explore API v2.1.
"""

import hashlib
import json
import warnings

import pytest
from official_server import LoopbackPortal

from analysis.data import official
from analysis.data.loaders import employment as E
from analysis.data.registry import fetch


@pytest.fixture(scope="module")
def rouen_bytes() -> bytes:
    return fetch(E.URSSAF_COMMUNE_APE_ROUEN).read_bytes()


@pytest.fixture
def portal(rouen_bytes, tmp_path, monkeypatch):
    monkeypatch.setenv(official.OFFICIAL_DIR_ENV, str(tmp_path / "official"))
    # `make test` sets ANALYSIS_OFFICIAL=offline so that notebooks take the committed offline path;
    # these tests exercise the official path itself.
    monkeypatch.delenv(official.OFFICIAL_SWITCH_ENV, raising=False)
    with LoopbackPortal(rouen_bytes) as p:
        p.csv_path = p.sources_csv(tmp_path / "official_sources.csv")
        yield p


def _export_gets(portal) -> int:
    return sum(1 for m, path, _ in portal.state.requests if m == "GET" and path.endswith("/exports/csv"))


def test_official_sources_file_names_the_export_endpoint():
    s = official.source()
    assert s.format == "csv"
    assert s.url.startswith("https://open.urssaf.fr/api/explore/v2.1/catalog/datasets/"
                            "etablissements-et-effectifs-salaries-au-niveau-commune-x-ape-last/exports/csv")
    assert "use_labels=true" in s.url
    with pytest.raises(official.OfficialDataError, match="unknown official source 'nope'"):
        official.source("nope")


def test_official_download_writes_lock_and_reuses_copy(portal, rouen_bytes):
    assert not official.available(path=portal.csv_path)
    assert "make official" in official.not_downloaded_message(path=portal.csv_path)
    p = official.download(path=portal.csv_path)
    assert p.read_bytes() == rouen_bytes
    lock_file = p.with_name(p.name + ".lock.json")
    assert lock_file == official.lock_path(path=portal.csv_path) and lock_file.is_file()
    lock = json.loads(lock_file.read_text())
    assert lock["sha256"] == hashlib.sha256(rouen_bytes).hexdigest()
    assert lock["bytes"] == len(rouen_bytes) == 3_825_827
    assert lock["url"] == portal.export_url
    assert lock["downloaded_at"].startswith("20") and lock["downloaded_at"].endswith("+00:00")
    assert lock["http"]["etag"] == portal.state.etag
    assert lock["http"]["content_length"] == len(rouen_bytes)
    assert lock["metadata"]["records_count"] == 9_338
    assert lock["years"] == [2006, 2022]
    assert official.available(path=portal.csv_path)
    assert "official path" in official.provenance_note(path=portal.csv_path)
    # second run: reused after re-hashing, upstream asked (HEAD + metadata), body not downloaded again
    with warnings.catch_warnings():
        warnings.simplefilter("error", official.UpstreamChangedWarning)
        again = official.download(path=portal.csv_path)
    assert again == p and _export_gets(portal) == 1
    assert any(m == "HEAD" for m, _, _ in portal.state.requests)
    check = official.check_upstream(path=portal.csv_path)
    assert check["changed"] is False
    assert {"etag", "last_modified", "content_length", "metadata.modified"} <= set(check["checked"])


def test_official_changed_upstream_warns_and_keeps_copy(portal, rouen_bytes):
    official.download(path=portal.csv_path)
    old = official.read_lock(path=portal.csv_path)["sha256"]
    lines = rouen_bytes.split(b"\n")
    portal.state.set_body(b"\n".join(lines[:-2] + [lines[-2].replace(b";1;", b";2;", 1), b""]))
    with pytest.warns(official.UpstreamChangedWarning, match="upstream changed.*etag.*make official FORCE=1"):
        p = official.download(path=portal.csv_path)
    assert official.sha256_of(p) == old  # the cached copy is kept
    new = official.download(path=portal.csv_path, force=True)
    assert official.read_lock(path=portal.csv_path)["sha256"] == hashlib.sha256(portal.state.body).hexdigest() != old
    assert new.read_bytes() == portal.state.body


def test_official_change_without_validators_needs_rehash(portal, rouen_bytes):
    portal.state.validators = False
    portal.state.metadata = False
    portal.state.chunked = True  # no Content-Length either
    official.download(path=portal.csv_path)
    lock = official.read_lock(path=portal.csv_path)
    assert lock["http"]["etag"] is None and lock["http"]["content_length"] is None
    portal.state.set_body(rouen_bytes.replace(b";1;", b";3;", 1))
    assert official.check_upstream(path=portal.csv_path)["checked"] == []  # nothing to compare
    with pytest.warns(official.UpstreamChangedWarning, match="sha256"):
        r = official.check_upstream(path=portal.csv_path, rehash=True)
    assert r["changed"] and r["checked"] == ["sha256"]


@pytest.mark.parametrize("fault", ["content_length", "chunked", "html"])
def test_official_truncated_or_foreign_download_refused(portal, rouen_bytes, fault):
    if fault == "content_length":
        portal.state.truncate_to = len(rouen_bytes) // 2
    elif fault == "chunked":
        portal.state.chunked, portal.state.truncate_to = True, len(rouen_bytes) - 1_000
    else:
        portal.state.html = True
    with pytest.raises(official.DownloadRefusedError) as err:
        official.download(path=portal.csv_path)
    expected = {"content_length": "transfer broke off|announced", "chunked": "broke off|line break|fields",
                "html": "HTML or JSON"}[fault]
    assert __import__("re").search(expected, str(err.value)), str(err.value)
    folder = official.local_path(path=portal.csv_path).parent
    assert not official.local_path(path=portal.csv_path).exists()
    assert not official.lock_path(path=portal.csv_path).exists()
    assert not list(folder.glob("*.part"))
    assert not official.available(path=portal.csv_path)


def test_official_corrupted_cached_copy_refused(portal):
    p = official.download(path=portal.csv_path)
    data = bytearray(p.read_bytes())
    data[5_000] ^= 0x01  # same size, one bit flipped
    p.write_bytes(bytes(data))
    assert official.available(path=portal.csv_path)  # cheap check: size only
    with pytest.raises(official.DownloadRefusedError, match="SHA-256 .* differs .*make official FORCE=1"):
        official.verified_path(path=portal.csv_path)
    with pytest.raises(official.DownloadRefusedError):
        official.download(path=portal.csv_path)
    p.write_bytes(bytes(data[:-10]))
    assert not official.available(path=portal.csv_path)
    with pytest.raises(official.DownloadRefusedError, match="bytes on disk"):
        official.verified_path(path=portal.csv_path)


def test_official_records_pagination_gives_the_same_table(portal, rouen_bytes, tmp_path):
    import pandas as pd

    csv_path = portal.sources_csv(tmp_path / "sources_records.csv", fmt="records")
    p = official.download(path=csv_path, check=False)
    pages = [q for m, path, q in portal.state.requests if path.endswith("/records")]
    assert len(pages) == 94  # 9,338 records, 100 a page
    got = pd.read_csv(p, sep=";", dtype=str, keep_default_na=False)
    ref = pd.read_csv(fetch(E.URSSAF_COMMUNE_APE_ROUEN), sep=";", dtype=str, keep_default_na=False,
                      encoding="utf-8-sig")
    assert list(got.columns) == list(ref.columns)
    pd.testing.assert_frame_equal(got, ref)
    assert official.read_lock(path=csv_path)["http"]["records_count"] == 9_338


def test_official_records_over_the_platform_cap_refused(portal, tmp_path):
    portal.state.total_override = 1_500_000
    csv_path = portal.sources_csv(tmp_path / "sources_records.csv", fmt="records")
    with pytest.raises(official.DownloadRefusedError, match="cap of 10,000.*export endpoint"):
        official.download(path=csv_path)


def test_official_unreachable_server_names_url(tmp_path, monkeypatch):
    monkeypatch.setenv(official.OFFICIAL_DIR_ENV, str(tmp_path / "official"))
    with LoopbackPortal(b"") as p:
        csv_path = p.sources_csv(tmp_path / "s.csv")
        url = p.export_url
    # the server is shut down: connection refused on the loopback port
    with pytest.raises(official.OfficialDataError, match="could not be reached") as err:
        official.download(path=csv_path, timeout=5)
    assert url in str(err.value)


def test_official_command_line(portal, rouen_bytes, capsys):
    assert official.main(["--sources", str(portal.csv_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("urssaf_commune_ape: ") and hashlib.sha256(rouen_bytes).hexdigest() in out
    assert "years [2006, 2022]" in out
    portal.state.html = True
    assert official.main(["--sources", str(portal.csv_path), "--force"]) == 1
    assert "HTML or JSON" in capsys.readouterr().err
    assert official.sha256_of(official.local_path(path=portal.csv_path)) == hashlib.sha256(rouen_bytes).hexdigest()


def test_official_new_export_validators_with_unchanged_dataset_dates_only_log(portal, rouen_bytes, caplog):
    official.download(path=portal.csv_path)
    portal.state.body = rouen_bytes.replace(b";1;", b";4;", 1)  # new ETag, same dataset dates and record count
    with warnings.catch_warnings():
        warnings.simplefilter("error", official.UpstreamChangedWarning)
        r = official.check_upstream(path=portal.csv_path)
    assert r["changed"] is False and "metadata.modified" in r["checked"]
    assert "HTTP validators changed" in caplog.text and "RECHECK=1" in caplog.text
    with pytest.warns(official.UpstreamChangedWarning, match="sha256"):
        assert official.check_upstream(path=portal.csv_path, rehash=True)["changed"] is True
    assert not list(official.local_path(path=portal.csv_path).parent.glob("*.part"))
