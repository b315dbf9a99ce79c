"""analysis.methods.shiftshare against the test targets of the reference R package ShiftShareSE (Kolesár).

Targets are the numbers in ShiftShareSE's tests/testthat/test_se.R (Stata and Matlab
cross-checks), on the ADH data the package ships (validation/shiftsharese_adh.rda).
"""

import time
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.methods import shiftshare as ss
from analysis.data.loaders import validation

REL = 1e-8
CTRL = ["t2", "l_shind_manuf_cbp", "l_sh_popedu_c", "l_sh_popfborn", "l_sh_empl_f", "l_sh_routine33",
        "l_task_outsource"]


@pytest.fixture(scope="module")
def adh():
    reg, W, sic = validation.adh_arrays(validation.load_shiftsharese_adh())
    return reg, W, sic


def controls(reg):
    div = pd.get_dummies(reg["division"], prefix="div", drop_first=True, dtype=float)
    return pd.concat([reg[CTRL].astype(float), div], axis=1)


def fit(adh, y, iv=False, weighted=True, sector=False, method="all", mask=None, alpha=0.05):
    reg, W, sic = adh
    if mask is not None:
        reg, W = reg[mask].reset_index(drop=True), W[mask].reset_index(drop=True)
    kw = dict(controls=controls(reg), weights=reg["weights"] if weighted else None, region_cvar=reg["statefip"],
              sector_cvar=np.floor(sic / 10) if sector else None, method=method, alpha=alpha)
    if iv:
        return ss.ivreg_ss(reg[y], reg["shock"], reg["IV"], W, **kw)
    return ss.reg_ss(reg[y], reg["IV"], W, **kw)


def approx(values):
    return pytest.approx(values, rel=REL)


def stata(values):
    """Stata targets are printed with 9 decimals: 1e-8 relative or half a unit of the last digit."""
    return pytest.approx(values, rel=REL, abs=5e-10)


def test_loader_shapes(adh):
    reg, W, sic = adh
    assert reg.shape[0] == 1444 and W.shape == (1444, 770) and len(sic) == 770
    assert reg["statefip"].nunique() == 48 and sorted(reg["division"].unique()) == [str(i) for i in range(1, 10)]
    # ADH Table 3 rows as in test_adh.R
    assert reg.loc[0, ["d_sh_empl", "d_sh_empl_mfg", "shock", "IV"]].to_numpy(float) == pytest.approx(
        [.1587391, -3.8059785, 5.293786, 2.278828], abs=1e-6)


def test_homoskedastic_ehw_cluster_first_stage_and_reduced_form(adh):
    m = ["homosk", "ehw", "region_cluster"]
    b2, b1 = fit(adh, "shock", weighted=False, method=m), fit(adh, "shock", method=m)
    assert [b2.se[k] for k in m] + [b1.se[k] for k in m] == stata(
        [.029158413, .171520974, .181839343, .02732516, .087007189, .091423724])
    b4, b3 = fit(adh, "d_sh_empl_mfg", weighted=False, method=m), fit(adh, "d_sh_empl_mfg", method=m)
    assert [b4.se[k] for k in m] + [b3.se[k] for k in m] == stata(
        [.028257944, .048665505, .051901337, .030314902, .050950162, .040030546])


def test_iv_standard_errors_without_small_sample_correction(adh):
    m = ["homosk", "ehw", "region_cluster"]
    b6, b5 = fit(adh, "d_sh_empl_mfg", iv=True, weighted=False, method=m), fit(adh, "d_sh_empl_mfg", iv=True, method=m)
    assert [b6.se[k] for k in m] + [b5.se[k] for k in m] == stata(
        [.0390714, .090163192, .100470868, .053969004, .095215853, .098773877])
    assert b5.beta == pytest.approx(-0.5963601, abs=1e-7)      # ADH Table 3, weighted IV


def test_akm_first_stage_reduced_form_and_iv(adh):
    c1, c3, c5 = (fit(adh, "shock", sector=True), fit(adh, "d_sh_empl", sector=True),
                  fit(adh, "d_sh_empl", iv=True, sector=True))
    # as in test_se.R, the unclustered reduced form and IV (a3, a5) are those of manufacturing employment
    a1, a3, a5 = fit(adh, "shock"), fit(adh, "d_sh_empl_mfg"), fit(adh, "d_sh_empl_mfg", iv=True)
    assert [c1.beta, c3.beta, c5.beta] == approx([0.631040938185757, -0.488568717122902, -0.774226658776735])
    order = ["ehw", "region_cluster", "akm", "akm0"]
    # first stage: p-values (x100 in the reference's units: plain here), CI bounds
    assert [c1.p[k] for k in order] + [a1.p["akm"], a1.p["akm0"]] == pytest.approx(
        [0.000000000000408, 0.000000000005114, 0, 0.001282890950014, 0, 0.000056519706974], abs=1e-13)
    assert [c1.ci_low[k] for k in order] + [a1.ci_low["akm"], a1.ci_low["akm0"]] == approx(
        [0.460509980597489, 0.451853732302979, 0.527240172127609, 0.537570958010291, 0.495188795569771,
         0.522017706924849])
    assert [c1.ci_high[k] for k in order] + [a1.ci_high["akm"], a1.ci_high["akm0"]] == approx(
        [0.801571895774021, 0.810228144068530, 0.734841704243901, 0.838282656411893, 0.766893080801748,
         0.889797428206052])
    # reduced form
    assert [c3.ci_low[k] for k in order] + [a3.ci_low["akm"], a3.ci_low["akm0"]] == approx(
        [-0.708954124424006, -0.637097672687110, -0.810383925354586, -1.236885319089530, -0.516754284756085,
         -0.629980318872062])
    assert [c3.ci_high[k] for k in order] + [a3.ci_high["akm"], a3.ci_high["akm0"]] == approx(
        [-0.268183309821816, -0.340039761558712, -0.166753508891236, -0.239754057137763, -0.235900929361803,
         -0.257494610447470])
    assert [c3.p[k] for k in order] + [a3.p["akm"], a3.p["akm0"]] == approx(
        [0.000013926848098, 0.000000000114031, 0.002924641237718, 0.000421803253836, 0.000000150063370,
         0.000090458689727])
    # IV: AKM and AKM0 with 3-digit sector clusters and without
    assert [c5.p["akm"], c5.p["akm0"], a5.p["akm"], a5.p["akm0"]] == approx(
        [0.001277718157450, 0.000421803253837, 0.000000051567025, 0.000090458689726])
    assert [c5.ci_low["akm"], c5.ci_low["akm0"], a5.ci_low["akm"], a5.ci_low["akm0"]] == approx(
        [-1.245349169792894, -1.690324047107167, -0.810991466572728, -0.891427381124374])
    assert [c5.ci_high["akm"], c5.ci_high["akm0"], a5.ci_high["akm"], a5.ci_high["akm0"]] == approx(
        [-0.303104147760458, -0.389313219498141, -0.381728638531380, -0.391771441695858])
    # IV EHW and cluster intervals, with the reference's small-sample factors applied by hand
    n, p, nc = 1444, 17, 48
    z = 1.959963984540054
    ssc, ssc2 = np.sqrt(nc / (nc - 1) * (n - 1) / (n - p)), np.sqrt(n / (n - p))
    assert [c5.beta - z * c5.se["ehw"] * ssc2, c5.beta - z * c5.se["region_cluster"] * ssc] == approx(
        [-1.099125621404828, -1.124400324750013])
    assert [c5.beta + z * c5.se["ehw"] * ssc2, c5.beta + z * c5.se["region_cluster"] * ssc] == approx(
        [-0.449327696148525, -0.424052992803340])
    # reduced form and IV AKM0 p-values coincide under the null (same test)
    assert c3.p["akm0"] == approx(c5.p["akm0"]) and a3.p["akm0"] == approx(a5.p["akm0"])
    assert c5.akm0_shape() == "interval" and "AKM0" in c5.summary()


def test_akm0_under_weak_identification(adh):
    reg = adh[0]
    div = reg["division"].astype(int)
    iv0 = fit(adh, "d_sh_empl", iv=True, weighted=False, method="akm0", mask=(div < 8).to_numpy())
    iv1 = fit(adh, "d_sh_empl", iv=True, weighted=False, method="akm0", mask=(div < 7).to_numpy())
    iv2 = fit(adh, "d_sh_empl", iv=True, weighted=False, method="akm0", mask=(div < 6).to_numpy())
    assert iv0.akm0_shape() == "interval" and iv0.ci_low["akm0"] < iv0.ci_high["akm0"]
    assert iv1.akm0_shape() == "two half-lines" and iv1.se["akm0"] == np.inf
    assert iv2.akm0_shape() == "real line" and iv2.se["akm0"] == np.inf
    assert (iv2.ci_low["akm0"], iv2.ci_high["akm0"]) == (-np.inf, np.inf)
    r0 = fit(adh, "shock", method="akm0", mask=(div > 4).to_numpy(), alpha=0.05)
    r1 = fit(adh, "shock", method="akm0", mask=(div > 4).to_numpy(), alpha=0.045)
    r2 = fit(adh, "shock", method="akm0", mask=(div < 6).to_numpy())
    assert r0.akm0_shape() == "interval"
    # reference print: "Estimate: 0.750267 ... AKM0 Inf 0.0658442 (-Inf -14.0093 ] + [ -0.564209 Inf )"
    assert r1.beta == pytest.approx(0.750267, abs=1e-6) and r1.p["akm0"] == pytest.approx(0.0658442, abs=1e-7)
    (lo1, hi1), (lo2, hi2) = r1.ci_set["akm0"]
    assert lo1 == -np.inf and hi1 == pytest.approx(-14.0093, abs=1e-4)
    assert lo2 == pytest.approx(-0.564209, abs=1e-6) and hi2 == np.inf and r1.se["akm0"] == np.inf
    assert "(-inf, -14.01] U [-0.5642, inf)" in r1.summary()
    assert r2.beta == pytest.approx(0.533953, abs=1e-6) and r2.p["akm0"] == pytest.approx(0.859052, abs=1e-6)
    assert r2.akm0_shape() == "real line"


def test_missing_region_cvar_warns_and_collinear_shares_are_dropped(adh):
    reg, W, _ = adh
    with pytest.warns(UserWarning, match="region_cvar"):
        r = ss.reg_ss(reg["d_sh_empl"], reg["IV"], W, method="all")
    assert np.isnan(r.se["region_cluster"]) and not np.isnan(r.se["akm"])
    W2 = pd.concat([W, W.iloc[:, [0]].set_axis(["copy_of_first"], axis=1)], axis=1)
    with pytest.warns(ss.CollinearSharesWarning, match="1 sector column"):
        r2 = ss.reg_ss(reg["d_sh_empl"], reg["IV"], W2, region_cvar=reg["statefip"], method="all")
    assert r2.dropped_sectors == ("copy_of_first",) and r2.n_sectors == 770
    assert r2.se["akm"] == pytest.approx(r.se["akm"], rel=1e-10)
    with pytest.warns(ss.CollinearSharesWarning):
        r3 = ss.ivreg_ss(reg["d_sh_empl"], reg["shock"], reg["IV"], W2, region_cvar=reg["statefip"])
    assert r3.n_sectors == 770


def test_bad_input_is_named():
    with pytest.raises(ss.ShiftShareError, match="y has 3 values"):
        ss.reg_ss([1, 2, 3], [1, 2, 3, 4], np.eye(4))
    with pytest.raises(ss.ShiftShareError, match="W must be"):
        ss.reg_ss([1, 2, 3, 4], [1, 2, 3, 4], np.eye(3))
    with pytest.raises(ss.ShiftShareError, match="unknown method"):
        ss.reg_ss([1, 2, 3, 4], [1, 2, 3, 5], np.eye(4), method="akm1")


def test_quadratic_set():
    assert ss.quadratic_set(1, 0, -4) == ((-2.0, 2.0),)
    assert ss.quadratic_set(-1, 0, 4) == ((-np.inf, -2.0), (2.0, np.inf))
    assert ss.quadratic_set(-1, 0, -4) == ((-np.inf, np.inf),)
    assert ss.quadratic_set(1, 0, 4) == ()


def test_akm_on_adh_under_one_second(adh):
    reg, W, sic = adh
    ctrl = controls(reg)
    ss.ivreg_ss(reg["d_sh_empl"], reg["shock"], reg["IV"], W, controls=ctrl, weights=reg["weights"],
                region_cvar=reg["statefip"])  # warm-up
    elapsed = []
    for _ in range(3):                      # best of 3: the machine is shared
        t0 = time.perf_counter()
        r = ss.ivreg_ss(reg["d_sh_empl"], reg["shock"], reg["IV"], W, controls=ctrl, weights=reg["weights"],
                        region_cvar=reg["statefip"], sector_cvar=np.floor(sic / 10))
        elapsed.append(time.perf_counter() - t0)
    elapsed = min(elapsed)
    assert r.beta == approx(-0.774226658776735)
    assert elapsed < 1.0, f"AKM on ADH took {elapsed:.2f} s"
