"""Dataset registry: consistency with the mirror's MANIFEST and actionable errors."""

import csv
import shutil

import pytest

from analysis.data import registry as reg
from analysis.data.cache import parsed


def test_registry_matches_manifest(mirror):
    manifest = {r["file"]: r for r in csv.DictReader(open(mirror / "MANIFEST.csv", encoding="utf-8"))}
    entries = reg.registry()
    assert {e.file for e in entries.values()} == set(manifest), "every MANIFEST file is registered, no other"
    for e in entries.values():
        m = manifest[e.file]
        assert (e.sha256, e.raw_url, e.official_page, e.publisher, e.licence) == (
            m["sha256"], m["raw_url"], m["official_page"], m["publisher"], m["licence"]), e.key
        assert e.bytes == int(m["bytes"])


def test_fetch_from_mirror_is_hash_checked(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    path = reg.fetch("insee_estel_france_a5_1998_2023")
    assert path.read_bytes() == (mirror / "employment/insee_estel_france_a5_1998_2023.json").read_bytes()
    assert str(path).startswith(str(tmp_path / "cache"))


def _fake_mirror(mirror, tmp_path, key):
    e = reg.entry(key)
    fake = tmp_path / "mirror"
    (fake / e.file).parent.mkdir(parents=True)
    shutil.copy(mirror / e.file, fake / e.file)
    return fake, e


def test_corrupted_copy_raises_hash_error_and_writes_nothing(mirror, tmp_path, monkeypatch):
    fake, e = _fake_mirror(mirror, tmp_path, "insee_estel_france_a5_1998_2023")
    with open(fake / e.file, "ab") as f:
        f.write(b" ")
    monkeypatch.setenv("ANALYSIS_DATA_MIRROR", str(fake))
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    with pytest.raises(reg.DataHashError) as err:
        reg.fetch(e.key)
    msg = str(err.value)
    assert e.file in msg and e.sha256 in msg
    assert reg.registry()[e.key].sha256 not in msg.split("got")[1], "the actual hash is reported"
    cached = list((tmp_path / "cache").rglob("*.json")) if (tmp_path / "cache").exists() else []
    assert cached == [], "a file with a wrong hash must not reach the cache"


def test_missing_mirror_file_names_file_and_variable(tmp_path, monkeypatch):
    (tmp_path / "mirror").mkdir()
    monkeypatch.setenv("ANALYSIS_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    with pytest.raises(reg.MirrorFileMissingError, match="insee_estel_france_a5_1998_2023.json.*ANALYSIS_DATA_MIRROR"):
        reg.fetch("insee_estel_france_a5_1998_2023")


def test_mirror_variable_pointing_nowhere(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_DATA_MIRROR", str(tmp_path / "nowhere"))
    with pytest.raises(reg.MirrorFileMissingError, match="is not a folder"):
        reg.fetch("insee_estel_france_a5_1998_2023")


def test_no_mirror_and_no_network_says_which_variable_to_set(tmp_path, monkeypatch):
    import requests

    def refuse(*args, **kwargs):
        raise requests.exceptions.ConnectionError("network unreachable")

    monkeypatch.delenv("ANALYSIS_DATA_MIRROR", raising=False)
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(requests, "get", refuse)
    with pytest.raises(reg.DataUnavailableError, match="set ANALYSIS_DATA_MIRROR"):
        reg.fetch("insee_estel_france_a5_1998_2023")


def test_unknown_key_suggests_close_keys():
    with pytest.raises(reg.UnknownDatasetError, match="insee_estel_france_a5_1998_2023"):
        reg.entry("insee_estel_france_a5")
    with pytest.raises(KeyError):
        reg.entry("no such dataset")


def test_parsed_cache_is_keyed_by_hash_and_parser_version(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("analysis.data.cache.LOADERS", {})
    calls = []

    def make(version, offset):
        @parsed("insee_estel_france_a5_1998_2023", version)
        def toy_parser(path):
            import pandas as pd
            calls.append(version)
            return pd.DataFrame({"bytes": [path.stat().st_size + offset]})
        return toy_parser

    v1 = make(1, 0)
    first = v1()
    again = v1()
    assert calls == [1], "second load comes from the parquet cache"
    assert again.equals(first)
    v2 = make(2, 1)
    assert v2()["bytes"].iloc[0] == first["bytes"].iloc[0] + 1, "a new parser version is never served stale"
    assert calls == [1, 2]
    files = sorted(p.name for p in (tmp_path / "cache" / "parsed").rglob("*.parquet"))
    sha = reg.entry("insee_estel_france_a5_1998_2023").sha256[:12]
    assert [f.rsplit("-", 1)[0] for f in files] == [f"toy_parser-{sha}-v1", f"toy_parser-{sha}-v2"]
    code = {f.rsplit("-", 1)[1] for f in files}
    assert len(code) == 1, "the parser module's code hash is part of the key"


class _FakeResponse:
    def __init__(self, content: bytes, status: int = 200):
        self.content, self.status_code, self.headers = content, status, {"content-length": str(len(content))}

    def raise_for_status(self):
        import requests

        if self.status_code >= 400:
            raise requests.exceptions.HTTPError(f"{self.status_code}", response=self)

    def iter_content(self, chunk_size=1024):
        yield self.content


def test_download_with_wrong_bytes_reports_actual_hash_and_caches_nothing(tmp_path, monkeypatch):
    import hashlib

    import requests

    body = b"not the INSEE file"
    monkeypatch.delenv("ANALYSIS_DATA_MIRROR", raising=False)
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(requests, "get", lambda *a, **k: _FakeResponse(body))
    e = reg.entry("insee_estel_france_a5_1998_2023")
    with pytest.raises(reg.DataHashError) as err:
        reg.fetch(e.key)
    msg = str(err.value)
    assert e.file in msg and e.sha256 in msg and hashlib.sha256(body).hexdigest() in msg
    assert not list((tmp_path / "cache").rglob("*.json")), "nothing reaches the cache"


def test_upstream_http_error_is_named(tmp_path, monkeypatch):
    import requests

    monkeypatch.delenv("ANALYSIS_DATA_MIRROR", raising=False)
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(requests, "get", lambda *a, **k: _FakeResponse(b"", 404))
    with pytest.raises(reg.DataUnavailableError, match="HTTP 404"):
        reg.fetch("insee_estel_france_a5_1998_2023")


def test_relative_mirror_path_is_taken_from_the_repository_root(mirror, tmp_path, monkeypatch):
    import os

    from analysis.paths import REPO_ROOT

    rel = os.path.relpath(mirror, REPO_ROOT)
    monkeypatch.setenv("ANALYSIS_DATA_MIRROR", rel)
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)  # as a kernel running in notebooks/ would be elsewhere
    assert reg.mirror_dir() == mirror.resolve()
    assert reg.fetch("insee_estel_france_a5_1998_2023").is_file()
