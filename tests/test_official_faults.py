"""Fault probe of the official path (issue 28), as tests: a short export, a renamed year column,
national totals far from the national series, a server that trickles or stalls, SIGTERM / SIGINT /
SIGKILL during a download. Loopback portal on 127.0.0.1 (tests/official_server.py), temporary
folders; each test failed on the code before the fix.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from official_server import LoopbackPortal

from analysis.data import official
from analysis.data.loaders import employment as E
from analysis.data.registry import fetch

SRC = Path(official.__file__).resolve().parents[2]
TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def rouen_bytes() -> bytes:
    return fetch(E.URSSAF_COMMUNE_APE_ROUEN).read_bytes()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv(official.OFFICIAL_DIR_ENV, str(tmp_path / "official"))
    monkeypatch.delenv(official.OFFICIAL_SWITCH_ENV, raising=False)
    monkeypatch.delenv(official.DEADLINE_ENV, raising=False)
    return tmp_path


def _portal(body: bytes):
    return LoopbackPortal(body)


def _cut_at_line(body: bytes, n_lines: int) -> bytes:
    """The first ``n_lines`` lines (header included), ending with a line break: a well-formed CSV."""
    return b"\n".join(body.split(b"\n")[:n_lines]) + b"\n"


def _national_like(body: bytes, scale: float = 1.0) -> bytes:
    """The Rouen extract plus one row (Paris, APE 7010Z) whose headcounts bring the national totals of
    2019 and 2022 to the mirror's URSSAF national series (times ``scale``)."""
    import csv
    import io

    text = body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, data = rows[0], rows[1:]
    series = official.national_series()
    filler = list(data[0])
    col = {h: i for i, h in enumerate(header)}
    filler[col["Code commune"]], filler[col["Code APE"]] = "75056", "7010Z"
    filler[col["Code département"]], filler[col["Code zone d'emploi"]] = "75", "1109"
    for y in range(2006, 2023):
        i = col[f"Effectifs salariés {y}"]
        known = sum(float(r[i]) for r in data if r[i])
        target = series.get(y, known + 1000)
        filler[i] = str(int(round(target * scale - known)))
        filler[col[f"Nombre d'établissements {y}"]] = "100"
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow(header)
    w.writerows(data + [filler])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Item 1: completeness
# ---------------------------------------------------------------------------------------------

def test_export_cut_at_a_line_break_is_refused_by_records_count(folder, rouen_bytes, capsys):
    short = _cut_at_line(rouen_bytes, 4_000)  # header + 3,999 rows, Content-Length matching
    with _portal(short) as portal:
        portal.state.total_override = 9_338  # the portal's metadata announces the full file
        csv_path = portal.sources_csv(folder / "s.csv")
        assert official.main(["--sources", str(csv_path), "--no-check"]) == 1
        err = capsys.readouterr().err
        assert "3,999 rows received, the portal's metadata announces 9,338 (records_count)" in err
        assert "Traceback" not in err and err.count("\n") == 1
        assert not official.local_path(path=csv_path).exists() and not official.lock_path(path=csv_path).exists()
        assert not list(official.local_path(path=csv_path).parent.glob("*.part"))


def test_renamed_year_column_is_refused_by_name(folder, rouen_bytes):
    renamed = rouen_bytes.replace("Effectifs salariés 2022".encode(), "Effectifs 2022 (provisoire)".encode(), 1)
    with _portal(renamed) as portal:
        csv_path = portal.sources_csv(folder / "s.csv")
        with pytest.raises(official.IncompleteFileError) as err:
            official.download(path=csv_path, check=False)
    msg = str(err.value)
    assert "missing year column(s) ['Effectifs salariés 2022']" in msg
    assert "'Effectifs 2022 (provisoire)'" in msg and "renamed" in msg


def test_last_year_dropped_is_refused_when_the_portal_announces_it(folder, rouen_bytes):
    """Both 2022 columns gone: the portal's field list (and the previous lock) still announce 2022."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(rouen_bytes.decode("utf-8-sig")), delimiter=";"))
    keep = [i for i, h in enumerate(rows[0]) if not h.endswith("2022")]
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows([[r[i] for i in keep] for r in rows])
    body_2021 = out.getvalue().encode()
    with _portal(rouen_bytes) as portal:
        csv_path = portal.sources_csv(folder / "s.csv")
        official.download(path=csv_path, check=False)
        assert official.read_lock(path=csv_path)["years"] == [2006, 2022]
        portal.state.set_body(body_2021)
        with pytest.raises(official.IncompleteFileError, match=r"'Effectifs salariés 2022'.*announces 2022"):
            official.download(path=csv_path, force=True, check=False)
    assert official.read_lock(path=csv_path)["years"] == [2006, 2022], "the earlier copy is kept"


def test_swapped_year_columns_are_refused(folder, rouen_bytes):
    swapped = (rouen_bytes.replace("Effectifs salariés 2016".encode(), b"@@", 1)
               .replace("Effectifs salariés 2017".encode(), "Effectifs salariés 2016".encode(), 1)
               .replace(b"@@", "Effectifs salariés 2017".encode(), 1))
    with _portal(swapped) as portal:
        csv_path = portal.sources_csv(folder / "s.csv")
        with pytest.raises(official.IncompleteFileError, match="out of order: 'Effectifs salariés 2017' then "
                                                                "'Effectifs salariés 2016'"):
            official.download(path=csv_path, check=False)


def test_national_totals_are_checked_against_the_mirror_series(folder, rouen_bytes):
    with _portal(_national_like(rouen_bytes)) as portal:
        csv_path = portal.sources_csv(folder / "s.csv", coverage="national")
        official.download(path=csv_path, check=False)
        checks = official.read_lock(path=csv_path)["checks"]
        assert checks["passed"] and checks["rows"] == 9_339 == checks["records_count"]
        nat = checks["national_totals"]
        assert nat["status"] == "ok" and set(nat["years"]) == {"2019", "2022"} and nat["tolerance"] == 0.02
        assert all(abs(v["gap"]) < 1e-6 for v in nat["years"].values())
        # the same file short by 5 % of its jobs (the portal's record count cannot see it: it is not given)
        portal.state.set_body(_national_like(rouen_bytes, scale=0.95))
        portal.state.metadata = False
        with pytest.raises(official.IncompleteFileError, match=r"national headcount 2019 is .* says .*-5\.0%.*tolerance 2%"):
            official.download(path=csv_path, force=True, check=False)


def test_a_later_run_repeats_the_checks(folder, rouen_bytes):
    with _portal(rouen_bytes) as portal:
        csv_path = portal.sources_csv(folder / "s.csv")
        p = official.download(path=csv_path, check=False)
        lock_file = official.lock_path(path=csv_path)
        first = json.loads(lock_file.read_text())["checks"]
        lock = json.loads(lock_file.read_text())
        lock["checks"]["checked_at"] = "2020-01-01T00:00:00+00:00"  # as if checked long ago (no sleep: the clock has seconds)
        lock_file.write_text(json.dumps(lock))
        official.download(path=csv_path, check=False)  # reused: checks run again, the lock records when
        again = json.loads(lock_file.read_text())["checks"]
        assert again["rows"] == first["rows"] == 9_338 and again["checked_at"] >= first["checked_at"] > "2020-01-01"
        lock = json.loads(lock_file.read_text())
        lock["metadata"]["records_count"] = 9_400  # what the portal announced is no longer what the copy holds
        lock_file.write_text(json.dumps(lock))
        with pytest.raises(official.IncompleteFileError, match="9,338 rows received.*9,400"):
            official.download(path=csv_path, check=False)
        del lock["checks"]  # a lock written before the checks existed
        lock_file.write_text(json.dumps(lock))
        with pytest.raises(official.IncompleteFileError, match="no passing completeness check.*make official"):
            official.verified_path(path=csv_path)
        assert p.is_file()


# ---------------------------------------------------------------------------------------------
# Item 2: downloads end, temporary files go
# ---------------------------------------------------------------------------------------------

def test_deadline_is_scaled_to_the_expected_size(monkeypatch):
    monkeypatch.delenv(official.DEADLINE_ENV, raising=False)
    assert official.download_deadline(0) == official.download_deadline(None) == 300 + 2 * 1024**3 / (256 * 1024)
    assert official.download_deadline(700 * 2**20) == pytest.approx(300 + 2_800)
    assert official.download_deadline(700 * 2**20, deadline=60) == 60
    monkeypatch.setenv(official.DEADLINE_ENV, "90")
    assert official.download_deadline(700 * 2**20) == 90
    monkeypatch.setenv(official.DEADLINE_ENV, "soon")
    with pytest.raises(official.OfficialDataError, match="ANALYSIS_OFFICIAL_DEADLINE='soon' is not a number"):
        official.download_deadline(1)


def test_a_trickling_server_is_cut_at_the_deadline(folder, rouen_bytes):
    with _portal(rouen_bytes) as portal:
        portal.state.trickle = (1024, 0.05)  # 20 kB/s: 3 minutes for the extract
        csv_path = portal.sources_csv(folder / "s.csv")
        t0 = time.monotonic()
        with pytest.raises(official.DownloadRefusedError, match="passed its deadline of 1 s"):
            official.download(path=csv_path, timeout=5, deadline=1.0)
        assert time.monotonic() - t0 < 5
    assert not list((folder / "official").rglob("*.part"))


def test_a_stalled_server_is_cut_by_the_stall_timeout(folder, rouen_bytes):
    with _portal(rouen_bytes) as portal:
        portal.state.stall_after = 10_000
        csv_path = portal.sources_csv(folder / "s.csv")
        t0 = time.monotonic()
        with pytest.raises(official.DownloadRefusedError, match=r"after 10,000 bytes \(no byte for 0.3 s \(stall timeout\)"):
            official.download(path=csv_path, timeout=0.3)
        assert time.monotonic() - t0 < 10
    assert not list((folder / "official").rglob("*.part"))


def _start_cli(csv_path: Path, folder: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS)]),
           official.OFFICIAL_DIR_ENV: str(folder / "official")}
    return subprocess.Popen([sys.executable, "-m", "analysis.data.official", "--sources", str(csv_path), "--no-check"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_part(folder: Path, proc: subprocess.Popen, size: int = 2048) -> Path:
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        parts = [p for p in (folder / "official").rglob("*.part") if p.stat().st_size >= size]
        if parts:
            return parts[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("no .part file appeared")


@pytest.mark.parametrize("sig, status, said", [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "Ctrl-C")])
def test_sigterm_and_ctrl_c_remove_the_partial_file_and_print_one_line(folder, rouen_bytes, sig, status, said):
    with _portal(rouen_bytes) as portal:
        portal.state.trickle = (1024, 0.02)
        csv_path = portal.sources_csv(folder / "s.csv")
        proc = _start_cli(csv_path, folder)
        part = _wait_for_part(folder, proc)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == status, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.strip().count("\n") == 0 and f"interrupted ({said}); the partial download was removed" in err
    assert not part.exists() and not list((folder / "official").rglob("*.part"))


def test_sigkill_leftover_is_removed_at_the_next_start_and_by_the_sweep(folder, rouen_bytes):
    with _portal(rouen_bytes) as portal:
        portal.state.trickle = (1024, 0.02)
        csv_path = portal.sources_csv(folder / "s.csv")
        proc = _start_cli(csv_path, folder)
        part = _wait_for_part(folder, proc)
        proc.kill()
        proc.communicate(timeout=30)
        assert part.exists()  # SIGKILL cannot be caught: the next start finds it
        assert official.sweep_partial() == [part] and not part.exists()
        part.write_bytes(b"x" * 4096)  # another leftover, this time found by the next download
        portal.state.trickle = None
        p = official.download(path=csv_path, check=False)
    assert p.read_bytes() == rouen_bytes and not part.exists()
    assert not list(p.parent.glob("*.part"))


def test_a_running_download_keeps_its_partial_file(folder, rouen_bytes):
    with _portal(rouen_bytes) as portal:
        portal.state.trickle = (1024, 0.02)
        csv_path = portal.sources_csv(folder / "s.csv")
        proc = _start_cli(csv_path, folder)
        part = _wait_for_part(folder, proc)
        try:
            assert official.sweep_partial() == [] and part.exists(), "the live download's lock protects it"
        finally:
            proc.terminate()
            proc.communicate(timeout=30)


def test_prune_cache_covers_the_official_folder(folder, rouen_bytes, monkeypatch):
    from analysis.data import build_cache, cache

    with _portal(rouen_bytes) as portal:
        csv_path = portal.sources_csv(folder / "s.csv")
        p = official.download(path=csv_path, check=False)
    stray = [p.parent / (p.name + ".abc123.part"), folder / "official" / "old_source" / "old.csv",
             folder / "official" / "bench" / "urssaf_commune_ape_synthetic_national_2006_2023.csv"]
    for q in stray:
        q.parent.mkdir(parents=True, exist_ok=True)
        q.write_bytes(b"x" * 100)
    assert cache._is_temporary(stray[0])
    removed = official.prune(csv_path)
    assert sorted(removed) == sorted(stray)
    assert p.is_file() and official.lock_path(path=csv_path).is_file()
    assert not (folder / "official" / "bench").exists()
    # make prune-cache calls it (its sources file is data/official_sources.csv: the test copy is not listed there)
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(folder / "cache"))
    monkeypatch.setattr(build_cache, "registry", lambda: {})
    monkeypatch.setattr(build_cache, "import_all_loaders", lambda: {})
    monkeypatch.setattr(cache, "LOADERS", {})
    assert build_cache.main(["--prune"]) == 0
    assert not p.exists()
