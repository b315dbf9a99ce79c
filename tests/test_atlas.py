"""The atlas: every territory of a level has its row and JSON, figures carry their base, missing is never 0;
comparisons and territories like this one."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

import analysis as rc
from analysis.geo import areas as geography
from analysis.methods import measured, neighbours, territory_figures as tf
from analysis.report import atlas


@pytest.fixture(scope="module")
def inputs():
    return tf.load_inputs()


@pytest.fixture(scope="module")
def built(tmp_path_factory, inputs):
    out = tmp_path_factory.mktemp("atlas") / "atlas"
    summary = atlas.build(out, ["ti2018", "ti2023", "reg"], inputs)
    return out, summary


def test_every_ti_of_both_waves_has_a_row_and_a_json(built):
    out, summary = built
    assert summary["levels"] == {"ti2018": 149, "ti2023": 183, "reg": 18}
    for level, wave in (("ti2018", geography.WAVE_2018), ("ti2023", geography.WAVE_2023)):
        t = atlas.table(level, out)
        assert sorted(t["code"]) == sorted(geography.ti_names(wave).index)
        assert (t["wave"] == wave).all()
        assert len(list((out / level).glob("*.json"))) == len(t)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["mirror"]["registry_sha256"] == atlas.registry_version()["registry_sha256"]


def test_a_json_holds_the_measured_records_and_reads_fast(built):
    out, _ = built
    t0 = time.perf_counter()
    rec = atlas.territory("ti2018", "ti-3210", out)
    assert time.perf_counter() - t0 < 0.05
    assert rec["name"] == "Hainaut-Douaisis-Cambrésis" and rec["wave"] == geography.WAVE_2018
    figs = {f["figure"]: f for f in rec["figures"]}
    assert list(figs) == list(tf.FIGURES)
    assert set(figs["industry_jobs"]) == set(measured.COLUMNS)
    assert figs["industry_jobs"]["base"] == measured.ZONE_PROXY and figs["population"]["value"] == 795980
    # a code with no file in a level that is built: the resolver's refusal and hints, not "build the atlas"
    with pytest.raises(geography.UnknownAreaError, match=r"unknown ti code\(s\) \['ti-9999'\]"):
        atlas.territory("ti2018", "ti-9999", out)
    with pytest.raises(geography.UnknownAreaError, match=r"exist in the 2023-2027 wave \(pass wave='2023'\)"):
        atlas.territory("ti", "ti-0102", out, wave="2018")
    with pytest.raises(KeyError, match=r"'200040715' is not in the atlas level 'epci' .*build them: recalcul atlas"):
        atlas.territory("epci", "200040715", out)  # a real EPCI, its level not built here
    with pytest.raises(geography.UnknownAreaError, match="has no level 'commune'"):
        atlas.territory("commune", "63113", out)


def test_a_territory_is_asked_of_the_atlas_as_of_the_resolver(built):
    """The forms resolve() takes (level 'ti' with a wave, 'TI-3210', 'reg' 4, an Area) give the same file as the
    atlas level and canonical code; the resolver's refusals hold (a wave for a région, a wave that disagrees)."""
    out, _ = built
    first = atlas.territory("ti2018", "ti-3210", out)
    assert atlas.territory("ti", "TI-3210", out, wave="2018") == first
    assert atlas.territory(rc.resolve("ti", "ti-3210", wave="2018"), atlas_dir=out) == first
    assert atlas.territory("ti", "ti-3210", out)["wave"] == geography.WAVE_2023  # the default wave, as resolve()
    assert atlas.territory("region", 4, out)["name"] == "La Réunion"
    with pytest.raises(geography.UnknownAreaError, match="wave applies only"):
        atlas.territory("reg", "04", out, wave="2018")
    with pytest.raises(geography.UnknownAreaError, match="disagree"):
        atlas.territory("ti2018", "ti-3210", out, wave="2023")
    with pytest.raises(geography.UnknownAreaError, match="Territoire d'industrie id"):
        atlas.territory("ti", "3210x", out)
    assert atlas.ranking("ti", "population", 1, atlas_dir=out, wave="2018")["code"].tolist() == \
        atlas.ranking("ti2018", "population", 1, atlas_dir=out)["code"].tolist()


def test_atlas_rows_are_the_profile_figures(built, inputs):
    """The atlas row of a territory holds the figures the profile computes for it (same functions)."""
    out, _ = built
    t = atlas.table("ti2023", out).set_index("code")
    for code in ("ti-5214", "ti-0401", "ti-8406"):
        kf = tf.key_figures(rc.resolve("ti", code), inputs).set_index("figure")
        for fig in tf.FIGURES:
            a, p = t.loc[code, fig], kf.loc[fig, "value"]
            assert (pd.isna(a) and p is None) or a == pytest.approx(p), (code, fig)
            assert t.loc[code, f"{fig}_base"] == kf.loc[fig, "base"]


def test_regional_populations_add_up_to_france(built):
    out, _ = built
    t = atlas.table("reg", out)
    assert t["population"].sum() == geography.communes()["population"].sum()
    mayotte = t.set_index("code").loc["06"]
    assert pd.isna(mayotte["unemployment_rate_pct"]) and "Mayotte" in mayotte["unemployment_rate_pct_note"]
    assert mayotte["unemployment_rate_pct_base"] == ""


def test_nearest_explains_its_distance():
    table = pd.DataFrame({"code": list("abcd"), "name": list("ABCD"), "population": [100, 110, 1000, 105],
                          "industry_share_pct": [10.0, 11.0, 30.0, None], "private_jobs_growth_pct": [1.0, 1.0, 5.0, 1.0],
                          "unemployment_rate_pct": [7.0, 7.5, 12.0, 7.0]})
    near = neighbours.nearest(table, "a", k=3)
    assert list(near["code"]) == ["b", "c"]  # d lacks the industry share "a" has: never compared, never near
    z = neighbours.standardise(table)
    assert near.loc[0, "n_indicators"] == 4 and near.loc[0, "distance"] == pytest.approx(
        float(np.sqrt(((z.loc[1] - z.loc[0]) ** 2).sum())), abs=1e-3)
    assert list(neighbours.nearest(table, "d", k=1)["code"]) == ["a"]  # d is compared on the three it has
    assert "industry_share_pct_gap_sd" in near.columns
    with pytest.raises(KeyError, match="zz"):
        neighbours.nearest(table, "zz")
    with pytest.raises(ValueError, match="positive"):
        neighbours.nearest(table, "a", k=0)


def test_compare_writes_a_table_and_both_languages(tmp_path, inputs, monkeypatch, built):
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "svg")
    areas = [rc.resolve("ti", "ti-3208", wave="2018"), rc.resolve("ti", "ti-9303", wave="2018")]
    r = atlas.compare(areas, tmp_path / "cmp", inputs=inputs, atlas_dir=built[0])
    tab = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert list(tab["figure"]) == list(tf.FIGURES)
    carros = "Carros (2018-2022)"
    row = tab.set_index("figure")
    assert pd.isna(row.loc["industry_jobs", carros]) and row.loc["industry_share_pct", carros] > 0
    assert row.loc["ets_sites", carros] == 0  # the Peille and Contes works are not in Carros
    assert len(r["like"]["Dunkerque (2018-2022)"]) == 5
    assert (tmp_path / "cmp" / "compare.svg").is_file() and (tmp_path / "cmp" / "en" / "compare.svg").is_file()
    en = (tmp_path / "cmp" / "en" / "compare.svg").read_text()
    assert "Unemployment rate" in en and "hatched" in en and "hachuré" not in en and "chômage" not in en
    fr = (tmp_path / "cmp" / "compare.svg").read_text()
    assert "chômage" in fr and "Unemployment" not in fr
    with pytest.raises(ValueError, match="2 to 6"):
        atlas.compare(areas[:1], tmp_path / "x", inputs=inputs)
    with pytest.raises(ValueError, match="the same territory is given twice: ti ti-3208"):
        atlas.compare([areas[0], rc.resolve("ti", "TI-3208", wave="2018")], tmp_path / "y", inputs=inputs)
    assert not (tmp_path / "y").exists()


def test_ranking_lists_caveats_and_never_ranks_a_missing_figure(built):
    out, _ = built
    r = atlas.ranking("ti2018", "industry_jobs_growth_pct", 5, atlas_dir=out)
    ranked = r[r["rank"].notna()]
    assert list(ranked["rank"]) == [1, 2, 3, 4, 5]
    assert ranked["value"].is_monotonic_decreasing
    proxies = ranked[ranked["base"] == "zone proxy"]
    assert (proxies["flag"].str.startswith("proxy")).all()
    rest = r[r["rank"].isna()]
    assert rest["value"].isna().all() and (rest["note"].str.len() > 10).all()
    carros = r.set_index("code").loc["ti-9303"]
    assert pd.isna(carros["rank"]) and pd.isna(carros["value"])
    with pytest.raises(ValueError, match="figures"):
        atlas.ranking("ti2018", "growth", atlas_dir=out)
    with pytest.raises(ValueError, match="positive"):
        atlas.ranking("ti2018", "population", 0, atlas_dir=out)


def test_a_national_map_needs_outlines(built, tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "svg")
    out, _ = built
    with pytest.raises(ValueError, match="no outlines"):
        atlas.figure_map("ti2018", "population", tmp_path, atlas_dir=out)
    folder = atlas.figure_map("reg", "unemployment_rate_pct", tmp_path / "m", atlas_dir=out)
    assert (folder / "map_reg_unemployment_rate_pct.svg").is_file()
    assert (folder / "en" / "map_reg_unemployment_rate_pct.svg").is_file()
    assert list(pd.read_csv(folder / "ranking.csv")["rank"].dropna())[:3] == [1, 2, 3]


def test_building_some_levels_keeps_the_others_of_the_same_mirror_and_drops_the_rest(built, inputs, tmp_path):
    """`recalcul atlas --levels reg` replaced the whole atlas by the régions: the TI files the site links to were
    lost. The other levels are now kept when built from the same mirror, byte for byte; built from another
    mirror version they are removed and named, never mixed with the new level."""
    import shutil

    out = tmp_path / "atlas"
    shutil.copytree(built[0], out)
    before = {p.relative_to(out): p.read_bytes() for p in (out / "ti2018").glob("*.json")}
    r = atlas.build(out, ["reg"], inputs)
    assert r["levels"] == {"reg": 18} and r["kept"] == {"ti2018": 149, "ti2023": 183} and r["dropped"] == []
    assert {p.relative_to(out): p.read_bytes() for p in (out / "ti2018").glob("*.json")} == before
    assert json.loads((out / "metadata.json").read_text())["levels"] == {"ti2018": 149, "ti2023": 183, "reg": 18}
    assert atlas.territory("ti", "ti-3210", out, wave="2018")["name"] == "Hainaut-Douaisis-Cambrésis"
    meta = json.loads((out / "metadata.json").read_text())
    meta["mirror"] = {**meta["mirror"], "registry_sha256": "0" * 64}  # as if built from another mirror
    (out / "metadata.json").write_text(json.dumps(meta))
    r = atlas.build(out, ["reg"], inputs)
    assert r["kept"] == {} and r["dropped"] == ["ti2018", "ti2023"]
    assert sorted(p.name for p in out.iterdir()) == ["metadata.json", "reg", "reg.csv", "reg.parquet"]
