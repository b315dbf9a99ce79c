"""The notebook cells of the official path (``pytest -k official``).

``NB01_CELL`` is the cell of notebook 01 after the URSSAF ZE2020 estimates, read from the notebook
(it uses ``official``, ``official_panels``, ``classification``, ``region_2020``, ``URSSAF_SPECS``,
``GAP_TOLERANCE``, ``results``, ``panels``, ``COLUMNS``, ``INFERENCE_COLUMNS``);
``NB02_CELL`` (ready to paste) after the métropole proxies of notebook 02 (``FIVE``, ``metro``). Offline (the
nbval path) each prints one line; online they add the cited windows. Both branches run here:
offline with an empty official folder, online after a loopback download (tests/official_server.py).
"""

import contextlib
import io
import json
import shutil
from pathlib import Path

import pandas as pd

import analysis
import pytest
from official_server import LoopbackPortal

from analysis.methods import dynamics, official_panels
from analysis.geo import areas as geography
from analysis.data import official
from analysis.methods import multiplier as mp
from analysis.data.loaders import employment as E
from analysis.data.registry import fetch

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

def _notebook_cell(notebook: str, marker: str) -> str:
    """The source of the one code cell of ``notebooks/<notebook>.ipynb`` that contains ``marker``."""
    nb = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text(encoding="utf-8"))
    found = [''.join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code" and marker in ''.join(c["source"])]
    assert len(found) == 1, f"{notebook}: {len(found)} code cells contain {marker!r}"
    return found[0]


#: The official-path cell of notebook 01, read from the notebook itself (tested as committed).
NB01_CELL = _notebook_cell("01_local_multiplier", "official_panels.multiplier_estimates(")

#: The official-path cell of notebook 02, read from the notebook itself (tested as committed).
NB02_CELL = _notebook_cell("02_territorial_dynamics", "official_panels.metropole_growth(")


def _run(cell: str, namespace: dict) -> list[str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(cell, "<notebook cell>", "exec"), namespace)
    return out.getvalue().splitlines()


@pytest.fixture
def empty_official(tmp_path, monkeypatch):
    monkeypatch.setenv(official.OFFICIAL_DIR_ENV, str(tmp_path / "official"))
    monkeypatch.delenv(official.OFFICIAL_SWITCH_ENV, raising=False)  # `make test` sets it for nbval
    return tmp_path / "official"


def test_official_cells_offline_print_one_line(empty_official):
    assert not official.available()
    for cell in (NB01_CELL, NB02_CELL):
        assert cell.startswith("# NBVAL_CHECK_OUTPUT\n")
        lines = _run(cell, {"pd": pd, "rc": analysis, "mp": mp, "official": official, "official_panels": official_panels,
                            "FIVE": {}, "metro": pd.DataFrame()})
        assert lines == [official.not_downloaded_message()]
    assert lines[0].startswith("Official file not downloaded (URSSAF urssaf_commune_ape, "
                               "https://open.urssaf.fr/explore/dataset/")
    assert "run `make official`" in lines[0]
    assert official.provenance_note().startswith("offline path")
    assert official_panels.multiplier_note(None) == official_panels.multiplier_note(pd.DataFrame({"data": ["x"]})) == (
        "recorded value from the offline path (public-data mirror; the official urssaf_commune_ape file is not "
        "downloaded, `make official` would add it)")


def _install_through_portal(body: bytes, tmp_path) -> None:
    """Download ``body`` from a loopback portal to where the default data/official_sources.csv expects it."""
    default = official.source()
    with LoopbackPortal(body) as portal:
        sources = portal.sources_csv(tmp_path / "sources.csv", filename=default.filename)
        official.download(path=sources)
    assert official.available()


def test_official_nb02_cell_online_with_the_rouen_extract(empty_official, tmp_path):
    _install_through_portal(fetch(E.URSSAF_COMMUNE_APE_ROUEN).read_bytes(), tmp_path)
    ns = {"pd": pd, "rc": analysis, "FIVE": {"200023414": "Rouen"}, "metro": pd.DataFrame(index=["Rouen"])}
    lines = _run(NB02_CELL, ns)
    assert lines[0].startswith("official path (URSSAF urssaf_commune_ape export downloaded ")
    ref = official_panels.metropole_growth(["200023414"], 2017, 2020, ("industry",))
    assert ns["metro"].loc["Rouen", "EPCI industry 2017-2020 (official)"] == pytest.approx(100 * ref["growth"].iloc[0])
    assert any(line.startswith("Rouen") and "-1.5" in line for line in lines)  # industry -1.5 %
    assert "cells present in only one of 2017 and 2020 (left out): 0" in lines[-1]
    # the aggregates are cached beside the file, keyed by its SHA-256
    folder = official.local_path().parent
    assert len(list(folder.glob("aggregates-*-v1/epci_a38.parquet"))) == 1


def test_official_nb01_cell_online_with_a_synthetic_file(empty_official, tmp_path):
    import official_synthetic

    path = tmp_path / "synthetic.csv"
    official_synthetic.write_national_file(path, communes=400, seed=3)
    _install_through_portal(path.read_bytes(), tmp_path)
    classification = mp.load_sector_classification()
    region_2020 = geography.main_zones(geography.area_communes("ze2020"), zoning="reg").set_index("code")["reg"]
    specs = [("log", "ols", True, False), ("log", "iv", True, False)]
    cols = ["data", "window", "definition", "spec", "method", "weighted", "beta", "m", "n"]
    inference = ["m", "m_low_cluster", "m_high_cluster", "m_low_akm", "m_high_akm", "m_low_akm0", "m_high_akm0",
                 "m_ar_low", "m_ar_high", "first_stage_f", "n_sectors"]
    ns = {"pd": pd, "rc": analysis, "mp": mp, "official": official, "official_panels": official_panels,
          "classification": classification, "region_2020": region_2020, "URSSAF_SPECS": specs,
          "GAP_TOLERANCE": 0.01, "results": pd.DataFrame(columns=cols), "panels": {}, "COLUMNS": cols,
          "INFERENCE_COLUMNS": inference}
    lines = _run(NB01_CELL, ns)
    assert lines[0].startswith("official path")
    got = ns["results"]
    assert len(got) == 3 * len(specs) and set(got["data"]) == {official_panels.DATA_LABEL}
    assert set(got["window"]) == {"2007-2023"}
    assert set(ns["panels"]) == {(official_panels.DATA_LABEL, "2007-2023", d)
                                 for d in ("footnote17", "footnote17_broad", "industry_only")}
    # the same rows as the other windows of notebook 01: zone_panel + estimate_grid on the aggregated panel,
    # every column (clustered, AKM and AKM0 intervals, first stage) equal
    panel = official_panels.ze2020_a38_panel()
    emp = mp.zone_employment(panel, region_2020, zone="ze2020", sector="a38")
    zp = mp.zone_panel(emp, mp.sector_groups(classification, "a38", "footnote17"), 2007, 2023, regions=region_2020,
                       tolerance=0.01)
    ref = mp.estimate_grid(zp, specs, cov="cluster", data=official_panels.DATA_LABEL, window="2007-2023",
                           definition="footnote17")
    mine = got[got["definition"] == "footnote17"].reset_index(drop=True)[list(ref.columns)]
    pd.testing.assert_frame_equal(mine, ref, check_dtype=False)
    assert ref["n"].iloc[0] > 50 and ref["n_sectors"].iloc[0] >= mp.MIN_AKM_SECTORS
    assert ref[["m_low_akm", "m_high_akm"]].notna().all().all()        # AKM computed, as on 2019-2024
    # the scoreboard sentence names the official path and the official headline-spec estimate
    note = official_panels.multiplier_note(got)
    ols = ref.iloc[0]
    assert note.startswith("recorded value from the public-data mirror (offline files); 2007-2023 zones d'emploi "
                           "2020 from the official path (URSSAF urssaf_commune_ape export downloaded ")
    assert (f"weighted OLS footnote 17 {100 * ols['m']:.0f} per 100 (clustered {100 * ols['m_low_cluster']:.0f}-"
            f"{100 * ols['m_high_cluster']:.0f}, AKM {100 * ols['m_low_akm']:.0f}-{100 * ols['m_high_akm']:.0f}, "
            f"{int(ols['n'])} zones)") in note
    with pytest.MonkeyPatch.context() as m:
        m.setenv(official.OFFICIAL_SWITCH_ENV, "offline")  # what `make test` sets for nbval
        assert not official.available()
        assert _run(NB01_CELL, dict(ns)) == [official.not_downloaded_message()]
        assert official_panels.multiplier_note(got).startswith("recorded value from the offline path")
    shutil.rmtree(empty_official)
    assert not official.available()


def test_key_figures_need_the_official_years_or_fall_back(empty_official, tmp_path):
    """The Rouen extract (2006-2022) has no 2024: the key figures keep the zone proxy, never mix windows."""
    from analysis.methods import territory_figures as tf

    _install_through_portal(fetch(E.URSSAF_COMMUNE_APE_ROUEN).read_bytes(), tmp_path)
    assert official.available() and tf.official_industry_cells() is None
