"""Fault injection on the data cache: tampered, truncated and orphaned files, stale helpers, full
disks, a cache path that is a file, a mirror that lost a file, killed builds. Each test fails on
the cache of 2026-11 (trusted blindly, keyed on the parser module only) and passes now."""

import errno
import importlib
import logging
import os
import random
import shutil
import sys
import textwrap
import time

import pandas as pd
import pytest

from analysis.data import cache
from analysis.data import registry as reg

KEY = "insee_estel_france_a5_1998_2023"  # a 14 kB JSON file: fast to copy and hash


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("analysis.data.cache.LOADERS", {})
    return tmp_path / "cache"


def _toy_loader(calls, version=1, value=1.5):
    @cache.parsed(KEY, version)
    def toy_table(path):
        calls.append(path)
        return pd.DataFrame({"code": ["6319C", "0606C", "7501C"], "co2": [0.036, value, 0.2],
                             "size": [path.stat().st_size] * 3})

    return toy_table


def test_cached_table_has_a_recorded_sha256(tmp_cache):
    calls = []
    load = _toy_loader(calls)
    load()
    target = load.cache_path()
    import hashlib

    recorded = (target.parent / (target.name + ".sha256")).read_text().split()[0]
    assert recorded == hashlib.sha256(target.read_bytes()).hexdigest()
    assert load().equals(load()) and len(calls) == 1, "a verified table is served without re-parsing"


def test_tampered_parquet_is_detected_and_reparsed(tmp_cache, caplog):
    calls = []
    load = _toy_loader(calls)
    good = load()
    target = load.cache_path()
    edited = good.copy()
    edited.loc[0, "co2"] = 0.999  # Issoire 0.036 -> 0.999, a valid parquet file with other data
    edited.to_parquet(target, index=False)
    with caplog.at_level(logging.WARNING, logger="analysis"):
        again = load()
    assert again.equals(good), "the edited table must never be served"
    assert len(calls) == 2, "re-parsed from the verified source"
    assert [r for r in caplog.records if str(target) in r.getMessage() and "SHA-256" in r.getMessage()]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="analysis"):
        load()
    assert not caplog.records and len(calls) == 2, "repaired: the next read is verified and silent"


def test_truncated_parquet_is_reparsed_not_a_raw_pyarrow_error(tmp_cache, caplog):
    calls = []
    load = _toy_loader(calls)
    good = load()
    target = load.cache_path()
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    with caplog.at_level(logging.WARNING, logger="analysis"):
        assert load().equals(good)
    assert len(calls) == 2 and any(str(target) in r.getMessage() for r in caplog.records)


def test_random_single_byte_flips_are_never_served(tmp_cache):
    calls = []
    load = _toy_loader(calls)
    good = load()
    target = load.cache_path()
    original = target.read_bytes()
    rng = random.Random(13)
    for _ in range(30):
        data = bytearray(original)
        pos = rng.randrange(len(data))
        data[pos] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(data))
        assert load().equals(good)
    assert len(calls) == 31


def test_table_without_its_sha256_is_reparsed(tmp_cache):
    """A killed build can leave the parquet without its sidecar (or a cache of the old format)."""
    calls = []
    load = _toy_loader(calls)
    load()
    target = load.cache_path()
    (target.parent / (target.name + ".sha256")).unlink()
    load()
    assert len(calls) == 2 and (target.parent / (target.name + ".sha256")).is_file()


def test_change_to_a_helper_module_invalidates_the_table(tmp_path, tmp_cache, monkeypatch):
    """The parser's own module is unchanged; only a helper it imports changes (as validate.py)."""
    pkg = tmp_path / "toypkg_h13"
    (pkg / "loaders").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text("def scale():\n    return 1.0\n")
    (pkg / "loaders" / "__init__.py").write_text("")
    (pkg / "loaders" / "toy.py").write_text(textwrap.dedent(f"""
        import pandas as pd
        from analysis.data.cache import parsed
        from ..helpers import scale

        @parsed({KEY!r}, 1)
        def load_scaled(path):
            return pd.DataFrame({{"value": [2.0 * scale()]}})
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    toy = importlib.import_module("toypkg_h13.loaders.toy")
    try:
        assert toy.load_scaled()["value"].iloc[0] == 2.0
        first = toy.load_scaled.cache_path()
        (pkg / "helpers.py").write_text("def scale():\n    return 10.0  # a fixed helper\n")
        importlib.reload(sys.modules["toypkg_h13.helpers"])
        toy = importlib.reload(toy)
        assert toy.load_scaled.cache_path() != first, "the helper's source is part of the key"
        assert toy.load_scaled()["value"].iloc[0] == 20.0, "a stale table must not be served"
    finally:
        for name in [m for m in sys.modules if m.startswith("toypkg_h13")]:
            del sys.modules[name]


def test_real_loader_key_covers_validate_module():
    from analysis.data.loaders import energy

    deps = cache._module_dependencies(energy.__name__)
    assert "analysis.data.validate" in deps and "analysis.data.loaders.energy" in deps
    assert "analysis.data.cache" not in deps


def test_disk_full_while_writing_a_table_names_the_path_and_cause(tmp_cache, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    calls = []
    load = _toy_loader(calls)
    monkeypatch.setattr(cache, "_write_bytes_atomic", full)
    with pytest.raises(reg.CacheWriteError) as err:
        load()
    msg = str(err.value)
    assert str(load.cache_path()) in msg and "No space left on device" in msg and "ANALYSIS_DATA_CACHE" in msg
    assert not list(tmp_cache.rglob("*.parquet")), "nothing half-written is left"


def test_disk_full_while_copying_from_the_mirror_is_not_reported_as_a_download(tmp_cache, monkeypatch):
    def full(src, dst, *args):
        dst.write(src.read(10))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(shutil, "copyfileobj", full)
    with pytest.raises(reg.CacheWriteError) as err:
        reg.fetch(KEY)
    msg = str(err.value)
    assert "No space left on device" in msg and str(tmp_cache / "raw" / "employment") in msg
    assert "could not download" not in msg and "set ANALYSIS_DATA_MIRROR" not in msg
    assert not any(p.is_file() for p in (tmp_cache / "raw").rglob("*")), "no partial file left"


def test_cache_path_that_is_a_file_is_named(tmp_path, monkeypatch):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(blocker))
    with pytest.raises(reg.CacheWriteError, match=f"{blocker}.* is a file, not a folder"):
        reg.fetch(KEY)


def test_verified_cached_copy_serves_when_the_mirror_lost_the_file(mirror, tmp_path, tmp_cache, monkeypatch):
    e = reg.entry(KEY)
    path = reg.fetch(KEY)  # warm cache from the real mirror
    empty = tmp_path / "mirror"
    empty.mkdir()
    monkeypatch.setenv("ANALYSIS_DATA_MIRROR", str(empty))
    assert reg.fetch(KEY) == path and path.read_bytes() == (mirror / e.file).read_bytes()
    path.write_bytes(b"damaged")  # no verified copy left: now the missing file is an error
    with pytest.raises(reg.MirrorFileMissingError, match=f"{e.file} is missing from the mirror"):
        reg.fetch(KEY)


def test_killed_build_leftovers_are_removed_but_a_running_build_is_not_disturbed(tmp_cache):
    calls = []
    load = _toy_loader(calls)
    load()
    folder = load.cache_path().parent
    raw_folder = tmp_cache / "raw" / "employment"
    old = [folder / ".toy_table-x.parquet.k3j2.tmp", folder / "tmpab12cd.tmp", raw_folder / "tmpq9x8w7z"]
    young = folder / ".toy_table-y.parquet.zz.tmp"
    for p in [*old, young]:
        p.write_bytes(b"x" * 1000)
    past = time.time() - 2 * cache.ORPHAN_AGE
    for p in old:
        os.utime(p, (past, past))
    removed = cache.clean_orphans()
    assert sorted(removed) == sorted(old)
    assert young.exists() and load.cache_path().exists()
    assert reg.fetch(KEY).is_file(), "the verified raw file is kept"


def test_prune_removes_stale_versions_only(tmp_cache):
    calls = []
    v1 = _toy_loader(calls, version=1)
    v1()
    v2 = _toy_loader(calls, version=2)
    v2()
    stray = tmp_cache / "raw" / "employment" / "old_vintage.json"
    stray.write_text("[]")
    screen = tmp_cache / "display" / "0123abcd.png"
    screen.parent.mkdir()
    screen.write_bytes(b"png")
    record = tmp_cache / "exports" / "0123abcd.json"
    record.parent.mkdir()
    record.write_text('{"key": "k"}')
    copy = tmp_cache / "export-files" / "0123abcd.svg"  # the copy of an export's file (figures._store)
    copy.parent.mkdir()
    copy.write_text("<svg/>")
    kept_by_make_test = tmp_cache / "test-figures" / "01_x.svg"
    kept_by_make_test.parent.mkdir()
    kept_by_make_test.write_text("<svg/>")
    book = tmp_cache / "book-html" / "0123abcd" / "html" / "index.html"  # Sphinx's pages of a book (site.build_site)
    book.parent.mkdir(parents=True)
    book.write_text("<p/>")
    old_table, new_table = tmp_cache / "derived" / "f" / "v1" / "a.parquet", tmp_cache / "derived" / "f" / "v2" / "a.parquet"
    other_args = tmp_cache / "derived" / "f" / "v2" / "b.parquet"  # the newest version's tables: all kept
    for path in (old_table, other_args, new_table):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"parquet")
        (path.parent / (path.name + ".sha256")).write_text("x")
        time.sleep(0.01)
    removed = cache.prune({"toy_table": v2})
    assert v1.cache_path() in removed and stray in removed and screen in removed and record in removed
    assert kept_by_make_test in removed and copy in removed and book in removed and not book.exists()
    assert old_table in removed and not old_table.parent.exists() and new_table.exists() and other_args.exists()
    assert (new_table.parent / "a.parquet.sha256").exists() and (other_args.parent / "b.parquet.sha256").exists()
    assert v2.cache_path().exists() and reg.fetch(KEY).exists()
    assert v2().equals(v2()) and len(calls) == 2, "the current table still serves from the cache"


def test_cached_files_follow_the_umask(tmp_cache):
    old = os.umask(0o002)  # a team cache: group-writable
    try:
        calls = []
        load = _toy_loader(calls)
        load()
        raw = reg.fetch(KEY)
    finally:
        os.umask(old)
    assert load.cache_path().stat().st_mode & 0o777 == 0o664
    assert raw.stat().st_mode & 0o777 == 0o664


def test_build_cache_prints_one_line_per_data_error_and_carries_on(tmp_cache, monkeypatch, capsys):
    from analysis.data import build_cache
    from analysis.data.validate import SchemaError

    calls = []
    good = _toy_loader(calls)

    @cache.parsed(KEY, 1)
    def broken_table(path):
        raise SchemaError(f"{reg.entry(KEY).file}: column 'eff' has non-numeric value(s) ['12 345 s']")

    monkeypatch.setattr(build_cache, "registry", lambda: {KEY: reg.entry(KEY)})
    monkeypatch.setattr(build_cache, "import_all_loaders", lambda: {"broken_table": broken_table, "toy_table": good})
    assert build_cache.main([]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert "broken_table: error: employment/insee_estel_france_a5_1998_2023.json: column 'eff'" in err
    assert "toy_table: 3 rows" in out, "the other tables are still built"


def _settle(target, seconds=10.0):
    """Date the table and its sidecar ``seconds`` back, as for a table built by an earlier run."""
    for p in (target, target.parent / (target.name + ".sha256")):
        t = p.stat().st_mtime - seconds
        os.utime(p, (t, t))


def test_a_settled_table_is_decoded_once_per_process_and_each_caller_gets_a_copy(tmp_cache, monkeypatch):
    calls = []
    load = _toy_loader(calls)
    good = load()
    _settle(load.cache_path())
    decoded = []
    real = cache._read_checked
    monkeypatch.setattr(cache, "_read_checked", lambda t, *a: decoded.append(t) or real(t, *a))
    first = load()
    first.loc[0, "co2"] = 99.0  # a caller editing its table does not edit the next caller's
    second = load()
    assert second.equals(good) and len(decoded) == 1 and len(calls) == 1


def test_a_table_edited_after_it_was_kept_is_verified_again(tmp_cache, caplog):
    calls = []
    load = _toy_loader(calls)
    good = load()
    target = load.cache_path()
    _settle(target)
    load()  # kept in the process
    edited = good.copy()
    edited.loc[0, "co2"] = 0.999
    edited.to_parquet(target, index=False)
    with caplog.at_level(logging.WARNING, logger="analysis"):
        assert load().equals(good), "the edit is seen: the table is re-parsed, not served from memory"
    assert len(calls) == 2 and any("SHA-256" in r.getMessage() for r in caplog.records)


def test_a_large_table_is_not_kept(tmp_cache, monkeypatch):
    load = _toy_loader([])
    load()
    _settle(load.cache_path())
    monkeypatch.setattr(cache, "KEEP_AT_MOST", load.cache_path().stat().st_size - 1)
    decoded = []
    real = cache._read_checked
    monkeypatch.setattr(cache, "_read_checked", lambda t, *a: decoded.append(t) or real(t, *a))
    load()
    load()
    assert len(decoded) == 2 and cache._READ.get(load.cache_path()) is None


def test_a_table_just_written_is_not_kept(tmp_cache, monkeypatch):
    """A file modified less than SETTLED_AFTER seconds ago could be edited again within the same tick
    of the file system's clock; it is read and verified each time."""
    load = _toy_loader([])
    load()
    decoded = []
    real = cache._read_checked
    monkeypatch.setattr(cache, "_read_checked", lambda t, *a: decoded.append(t) or real(t, *a))
    load()
    load()
    assert len(decoded) == 2


def test_a_derived_table_is_computed_once_and_read_back_until_code_or_data_change(tmp_cache, monkeypatch, caplog):
    """cache.derived keeps a computed table in <cache>/derived/: the first call computes and returns the file's
    read-back, later calls (other arguments apart) read it without computing; an edited package or data file
    changes the key (computed again, the older file removed); a tampered file is computed again with a warning."""
    calls = []

    @cache.derived(version=1)
    def table(n):
        calls.append(n)
        return pd.DataFrame({"code": pd.array(["01", None, "2A"], dtype="string"), "x": [float(n), 1.5, None]})

    first = table(3)
    assert calls == [3] and first["x"].tolist()[0] == 3.0 and first["code"].isna().tolist() == [False, True, False]
    pd.testing.assert_frame_equal(table(3), first)
    assert calls == [3]  # read back, not computed
    table(4)
    assert calls == [3, 4]  # other arguments: another table
    pd.testing.assert_frame_equal(table(3), first)
    table(4)
    assert calls == [3, 4]  # each arguments' table is kept: neither is computed again
    folder = tmp_cache / "derived" / "test_a_derived_table_is_computed_once_and_read_back_until_code_or_data_change.<locals>.table"
    assert len(list(folder.glob("*/*.parquet"))) == 2 and len(list(folder.iterdir())) == 1  # one code version
    monkeypatch.setattr(cache, "_inputs_digest", lambda: "edited package")
    table(4)
    assert calls == [3, 4, 4] and len(list(folder.glob("*/*.parquet"))) == 1  # the other version's tables are gone
    assert [p.name for p in folder.iterdir()] == ["edited package"[:24]]
    table(3)
    assert calls == [3, 4, 4, 3] and len(list(folder.glob("*/*.parquet"))) == 2
    target = sorted(folder.glob("*/*.parquet"), key=lambda p: pd.read_parquet(p)["x"].iloc[0])[-1]  # the table of 4
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    cache._READ.clear()
    with caplog.at_level(logging.WARNING, logger="analysis"):
        again = table(4)
    assert calls == [3, 4, 4, 3, 4] and "SHA-256" in caplog.text and again["x"].tolist()[0] == 4.0


def test_the_derived_inputs_digest_covers_package_and_data_files(tmp_path, monkeypatch):
    """_inputs_digest changes when a package source file or a project data file (the registry) changes."""
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "m.py").write_text("X = 1\n")
    shutil.copytree(cache.REGISTRY_CSV.parent, tmp_path / "data")
    monkeypatch.setattr(cache, "PACKAGE_DIR", tmp_path / "pkg")
    monkeypatch.setattr(cache, "REGISTRY_CSV", tmp_path / "data" / cache.REGISTRY_CSV.name)
    first = cache._inputs_digest()
    assert first == cache._inputs_digest()
    time.sleep(0.01)
    (tmp_path / "pkg" / "sub" / "m.py").write_text("X = 2\n")
    second = cache._inputs_digest()
    (tmp_path / "data" / "claims.csv").write_text("edited\n")
    assert len({first, second, cache._inputs_digest()}) == 3
