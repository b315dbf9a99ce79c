"""Issue 26 on the public files: rc.panel reproduces notebook 01's panels; the shock-level identity on the
headline IV specification (URSSAF zones d'emploi 2020 x A38, 2019-2024, footnote 17, weighted)."""

import warnings

import numpy as np
import pytest

import analysis as rc
from analysis.methods import multiplier as mp

pytestmark = pytest.mark.usefixtures("mirror")


def test_panels_as_notebook_01_builds_them():
    from analysis.data.loaders import employment
    from analysis.geo import areas as geography

    p = rc.panel("urssaf_ze2020_a38")
    region_2020 = geography.main_zones(geography.area_communes("ze2020"), zoning="reg").set_index("code")["reg"]
    urssaf = mp.zone_employment(employment.load_urssaf_ze2020_a38(), region_2020, zone="ze2020", sector="a38")
    assert p.data.equals(urssaf) and (p.regions == region_2020.reindex(p.regions.index)).all()
    ete = employment.load_ete_departement_a17()
    q4 = ete[(ete["quarter"] == 4) & ~ete["region"].isin(mp.OVERSEAS_REGIONS) & ~ete["sector"].isin(["AZ", "OQ"])]
    dept, regions = rc.prepare_ete(ete)
    assert dept.equals(q4.rename(columns={"dep": "zone"})[["zone", "sector", "year", "employment"]].reset_index(drop=True))
    assert regions.nunique() == 13 and len(regions) == 96
    assert rc.panel("urssaf_ze2020_a38", sample="all").data["zone"].nunique() > p.data["zone"].nunique()


def test_a_panel_is_named_by_its_level_too_and_a_window_outside_it_names_the_gap():
    """rc.panel('ze2020') is the panel notebook 01's LEVEL=ze2020 uses; a window outside the URSSAF years lists them
    (2019, 2022, 2023, 2024: '2019-2024' hid the gap)."""
    p = rc.panel("ze2020")
    assert p.data.equals(rc.panel("urssaf_ze2020_a38").data)
    with pytest.raises(mp.MultiplierError, match=r"years present: 2019, 2022, 2023, 2024\)"):
        rc.local_multiplier(p, "2020-2024")
    with pytest.raises(mp.MultiplierError, match=r"or by level: ze2010 \(estel_ze2010\)"):
        rc.panel("epci")
    assert mp.years_text([2003, 2001, 2002]) == "2001-2003"
    assert mp.years_text([2010, 2010]) == "2010" and mp.years_text([]) == "none"  # not '2010-2010'
    assert mp.years_text([2024, 2019, 2022, 2023]) == "2019, 2022, 2023, 2024"


def test_headline_iv_numbers_and_the_shock_level_identity():
    p = rc.panel("urssaf_ze2020_a38")
    iv = rc.local_multiplier(p, "2019-2024", method="iv", inference="akm")
    assert round(100 * iv.m, 1) == 100.8 and iv.nobs == 284
    lo, hi = iv.conf_int("akm").loc["m"]
    assert (round(100 * lo, 1), round(100 * hi, 1)) == (59.7, 141.9)
    panel = iv.panel[(iv.panel["drop_reason"] == "") & iv.panel["bartik_log"].notna()].sort_values("zone")
    W = panel[[c for c in panel.columns if c.startswith(mp.SHARE_PREFIX)]]
    W = W.loc[:, W.sum() > 0]
    W.columns = [c[len(mp.SHARE_PREFIX):] for c in W.columns]
    groups = mp.sector_groups(mp.load_sector_classification(), "a38", "footnote17")
    shocks = mp.national_shifts(p.data, groups, 2019, 2024)
    r = rc.shock_level_iv(panel["dln_sheltered"], panel["dln_exposed"], shocks, W, weights=panel["total_0"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loc = rc.ivreg_ss(panel["dln_sheltered"], panel["dln_exposed"], W.to_numpy() @ shocks.reindex(W.columns).to_numpy(),
                          W, weights=panel["total_0"], method="ehw")
    assert r.beta == pytest.approx(loc.beta, rel=1e-10)
    rw = rc.rotemberg_weights(iv.panel, shocks, weighted=True, labels=p.sector_labels)
    assert r.beta == pytest.approx(rw.attrs["beta_bartik"], rel=1e-8) and rw.loc[0, "sector"] == "KZ"
    assert rw.loc[0, "label"].startswith("Activités financières")
    assert 1 < r.effective_shocks < len(W.columns) and np.isfinite(r.first_stage_f)
