"""Energy-transition arithmetic on small synthetic tables whose answers are known by hand."""

import math

import pandas as pd
import pytest

from analysis.methods import energy
from analysis.report import charts


# --- parameters ------------------------------------------------------------------------------

def test_parameters_file_is_documented():
    p = energy.read_parameters()
    assert (p["source"].str.strip() != "").all(), "every parameter names its source"
    assert (p["description"].str.strip() != "").all()
    assert energy.param(p, "rte_final_energy_2050_reference_twh") > 0
    assert energy.param_list(p, "auvergne_departements") == ["03", "15", "43", "63"]
    with pytest.raises(KeyError, match="nope"):
        energy.param(p, "nope")


def test_duplicated_parameter_rejected(tmp_path):
    path = tmp_path / "p.csv"
    pd.DataFrame([dict(name="a", value="1", unit="", description="d", source="s", url=""),
                  dict(name="a", value="2", unit="", description="d", source="s", url="")]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="duplicated"):
        energy.read_parameters(path)


# --- RTE paths and final energy ----------------------------------------------------------------

def test_consumption_change():
    t = pd.DataFrame({"path": ["a", "a", "b", "b", "c"], "year": [2019, 2050, 2019, 2050, 2019],
                      "value": [100.0, 150.0, 100.0, 80.0, 5.0]})
    out = energy.consumption_change(t, 2019, 2050, by=["path"])
    assert out["path"].tolist() == ["a", "b"]          # c has no 2050 value
    assert out["ratio"].tolist() == pytest.approx([1.5, 0.8])
    assert out["change_pct"].tolist() == pytest.approx([50.0, -20.0])


def _balance():
    tj = energy.TJ_PER_TWH
    rows = [
        ("FC_IND_IS_E", "TOTAL", 2019, 30 * tj), ("FC_IND_IS_E", "E7000", 2019, 10 * tj),
        ("FC_IND_FBT_E", "TOTAL", 2019, 20 * tj), ("FC_IND_FBT_E", "E7000", 2019, 10 * tj),
        ("FC_TRA_ROAD_E", "TOTAL", 2019, 40 * tj),  # no electricity line
        ("FC_OTH_HH_E", "TOTAL", 2019, 10 * tj), ("FC_OTH_HH_E", "E7000", 2019, 5 * tj),
        ("FC_IND_IS_E", "E7000", 2020, 8 * tj), ("FC_IND_FBT_E", "E7000", 2020, 9 * tj),
        ("NRG_EHG_E", "TOTAL", 2019, 999 * tj),  # energy branch: not final consumption
    ]
    return pd.DataFrame(rows, columns=["nrg_bal", "siec", "year", "value"])


def test_final_energy_by_sector_sums_sub_sectors():
    out = energy.final_energy_by_sector(_balance(), 2019).set_index("sector")
    assert out.loc["industry", "final_energy_twh"] == pytest.approx(50)
    assert out.loc["industry", "electricity_twh"] == pytest.approx(20)
    assert out.loc["transport", "electricity_twh"] == pytest.approx(0)
    assert out.loc["total", "final_energy_twh"] == pytest.approx(100)
    assert out.loc["total", "electricity_share"] == pytest.approx(0.25)
    assert list(out.index) == ["industry", "transport", "residential", "total"]


def test_missing_lines_and_industry_series():
    assert "FC_TRA_DAVI_E" in energy.missing_balance_lines(_balance())
    assert "FC_IND_IS_E" not in energy.missing_balance_lines(_balance())
    s = energy.industry_electricity(_balance(), [2019, 2020])
    assert s.to_dict() == pytest.approx({2019: 20.0, 2020: 17.0})
    with pytest.raises(ValueError, match="2021"):
        energy.industry_electricity(_balance(), [2021])


def test_electricity_share_path_doubling():
    el50 = energy.final_electricity_2050(650, 50, 0.9)
    assert el50 == pytest.approx(540)
    r = energy.electricity_share_path(1600, 400, 960, el50)
    assert r["share_2019"] == pytest.approx(0.25)
    assert r["share_2050"] == pytest.approx(0.5625)
    assert r["share_ratio"] == pytest.approx(2.25)
    assert r["final_energy_change_pct"] == pytest.approx(-40)


def _rte_balances():
    rows = []
    for path, n19, n50, p2g in [("référence", 475.0, 645.0, 50.0), ("sobriété", 475.0, 555.0, 47.0),
                                ("réindustrialisation profonde", 475.0, 752.0, 87.0)]:
        for mix in ["M0", "N1"]:
            rows += [("demande", "Consommation France", path, mix, 2019, n19),
                     ("demande", "Consommation France", path, mix, 2050, n50),
                     ("demande", "dont power-to-gas pour usage final", path, mix, 2050, p2g)]
    return pd.DataFrame(rows, columns=["section", "variable", "path", "mix", "year", "value"])


def test_final_electricity_by_path():
    out = energy.final_electricity_by_path(_rte_balances(), 427.5).set_index("path")
    assert list(out.index) == list(energy.RTE_PATHS)
    assert out["final_to_national_ratio"].iloc[0] == pytest.approx(0.9)
    assert out.loc["référence", "final_electricity_twh"] == pytest.approx((645 - 50) * 0.9)
    assert out.loc["sobriété", "national_net_of_p2g_twh"] == pytest.approx(508)
    with pytest.raises(ValueError, match="M9"):
        energy.final_electricity_by_path(_rte_balances(), 427.5, mix="M9")


def test_industry_increments_mark_bounds():
    paths = energy.final_electricity_by_path(_rte_balances(), 427.5)
    inc = energy.industry_increments(65, paths, industrial_h2_share=0.5, sobriety_share_of_reference=1.0,
                                     reindus_extra_share=1.0).set_index("path")
    assert inc["increment_twh"].tolist() == pytest.approx([65, 65 + 0.5 * 50, 65, 65 + (752 - 645)])
    assert inc["basis"].tolist() == [energy.BASIS_RTE, energy.BASIS_RTE_H2, energy.BASIS_BOUND, energy.BASIS_BOUND]
    half = energy.industry_increments(65, paths, industrial_h2_share=0.0, sobriety_share_of_reference=0.5,
                                      reindus_extra_share=0.0)
    assert half["increment_twh"].tolist() == pytest.approx([65, 65, 32.5, 65])
    m = energy.industry_multipliers(100, inc.reset_index())
    assert m["basis"].tolist() == inc["basis"].tolist()
    assert m["multiplier"].iloc[0] == pytest.approx(1.65)


# --- industry multiplier -----------------------------------------------------------------------

def test_industry_multipliers():
    out = energy.industry_multipliers(100, {"ref": 65, "x2": 100})
    assert out["multiplier"].tolist() == pytest.approx([1.65, 2.0])
    assert out["path"].tolist() == ["ref", "x2"]
    assert energy.increment_for_multiplier(115.7, 2) == pytest.approx(115.7)
    with pytest.raises(ValueError):
        energy.industry_multipliers(0, {"a": 1})


def test_industrial_hydrogen_share():
    h = pd.DataFrame({"use": ["steel", "heat", "road", "heat - coproduction"], "twh_h2": [5, 5, 10, 99]})
    assert energy.industrial_hydrogen_share(h, ["steel", "heat"], exclude=["heat - coproduction"]) == pytest.approx(0.5)


def _hydrogen():
    t = "Consommation d'hydrogène par usage dans les trajectoires"
    rows = [
        (t, "Usages matériaux", "Sidérurgie", "référence", 2050, 5.0, 1),
        (t, "Usages matériaux", "Sidérurgie - coproduction", "référence", 2050, 50.0, 2),
        (t, "Usages énergétiques", "Transport routier", "référence", 2050, 15.0, 3),
        (t, "Usages énergétiques", "Transport routier", "hydrogène +", 2050, 99.0, 3),
        (t, "Total usages finaux", "Total usages finaux (hors coproduction)", "référence", 2050, 20.0, 4),
        (t, "Equilibrage du système électrique", "M0 référence", "référence", 2050, 30.0, 5),
        ("Capacités d'électrolyse", pd.NA, "M0", pd.NA, 2050, 7.0, 9),
    ]
    return pd.DataFrame(rows, columns=["table", "category", "series", "trajectory", "year", "value", "line"])


def test_hydrogen_final_uses_and_industrial_share():
    uses = energy.hydrogen_final_uses(_hydrogen(), "référence", 2050)
    assert uses["use"].tolist() == ["Sidérurgie", "Transport routier"]
    assert energy.industrial_hydrogen_share(uses) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        energy.hydrogen_final_uses(_hydrogen(), "référence", 2040)


def test_regional_sector_consumption_flags_missing_transmission():
    c = pd.DataFrame({
        "reg": ["84"] * 5 + ["11"], "sector_group": ["I"] * 4 + ["T", "I"],
        "year": [2011, 2012, 2012, 2012, 2012, 2012],
        "energy": ["electricity"] * 3 + ["gas"] * 2 + ["electricity"],
        "operator": ["Enedis", "Enedis", "RTE", "GRDF", "GRDF", "RTE"],
        "consumption_mwh": [1e6, 1e6, 2e6, 3e6, 9e6, 9e6],
    })
    out = energy.regional_sector_consumption(c, "84").set_index(["energy", "year"])
    assert out.loc[("electricity", 2011), "consumption_twh"] == pytest.approx(1)
    assert not out.loc[("electricity", 2011), "transmission_reported"]
    assert out.loc[("electricity", 2012), "consumption_twh"] == pytest.approx(3)
    assert out.loc[("electricity", 2012), "transmission_reported"]
    assert out.loc[("gas", 2012), "consumption_twh"] == pytest.approx(3)      # tertiary excluded
    with pytest.raises(ValueError):
        energy.regional_sector_consumption(c, "99")


# --- biomethane sites --------------------------------------------------------------------------

def _points():
    return pd.DataFrame({
        "commissioning_date": pd.to_datetime(["2018-03-01", "2019-06-30", "2020-01-15", "2020-12-31", "2021-05-01"]),
        "closure_date": pd.to_datetime([None, "2020-06-01", None, None, None]),
        "dep": ["63", "03", "38", "15", "69"],
        "capacity_gwh_per_year": [10.0, 20.0, 30.0, 40.0, 50.0],
    })


def test_sites_in_service_counts_closures_and_subset():
    p = _points()
    sub = p["dep"].isin(["03", "15", "43", "63"])
    out = energy.sites_in_service(p, energy.year_ends(2018, 2021), sub).set_index("date")
    assert out["sites"].tolist() == [1, 2, 3, 4]            # the 2019 site closed in 2020
    assert out["sites_subset"].tolist() == [1, 2, 2, 2]
    assert out["share_sites_subset"].iloc[-1] == pytest.approx(0.5)
    assert out["capacity_gwh_yr"].iloc[-1] == pytest.approx(130)
    assert out["share_capacity_subset"].iloc[-1] == pytest.approx(50 / 130)


def test_first_date_reaching():
    p = _points()
    assert energy.first_date_reaching(p, 3) == pd.Timestamp("2020-01-15")
    assert energy.first_date_reaching(p, 4) == pd.Timestamp("2021-05-01")   # the 2020 closure delays the 4th
    assert energy.first_date_reaching(p, 2) == pd.Timestamp("2019-06-30")
    assert energy.first_date_reaching(p, 9) is None


def test_in_service_on_closure_day_is_closed():
    p = _points()
    assert not energy.in_service(p, "2020-06-01").iloc[1]
    assert energy.in_service(p, "2020-05-31").iloc[1]


# --- heat network ------------------------------------------------------------------------------

def test_substituted_factor_and_round_trip():
    f = {"gas": 0.2, "oil": 0.3}
    sub = energy.substituted_emission_factor(f, {"gas": 0.5, "oil": 0.5}, 0.8)
    assert sub == pytest.approx(0.3125)
    avoided = energy.avoided_emissions_t(20, sub, 0.0125)      # 20 GWh x 0.3 kg/kWh = 6,000 t
    assert avoided == pytest.approx(6000)
    assert energy.heat_implied_by_savings_gwh(avoided, sub, 0.0125) == pytest.approx(20)


def test_heat_inversion_refuses_no_savings():
    with pytest.raises(ValueError):
        energy.heat_implied_by_savings_gwh(100, 0.1, 0.2)
    with pytest.raises(ValueError):
        energy.substituted_emission_factor({"gas": 0.2}, {"gas": 0.9}, 0.9)


def test_heat_sensitivity_compares_scopes_like_with_like():
    fuels = {"direct": {"gas": 0.2, "oil": 0.3}, "ACV": {"gas": 0.24, "oil": 0.36}}
    out = energy.heat_savings_sensitivity(1000, fuels, {"gas": {"gas": 1.0}, "gas+oil": {"gas": 0.5, "oil": 0.5}},
                                          [0.8, 1.0], {"direct": 0.04, "ACV": 0.06}, heat_gwh=10)
    assert len(out) == 8
    g = out[(out["mix"] == "gas") & (out["scope"] == "direct")].set_index("boiler_efficiency")
    assert g.loc[1.0, "implied_heat_gwh"] > g.loc[0.8, "implied_heat_gwh"]   # better boilers -> more heat needed
    assert g.loc[1.0, "implied_heat_gwh"] == pytest.approx(1000 / ((0.2 - 0.04) * 1000))   # combustion vs direct
    assert g.loc[1.0, "avoided_t"] == pytest.approx(10 * (0.2 - 0.04) * 1000)
    a = out[(out["mix"] == "gas") & (out["scope"] == "ACV")].set_index("boiler_efficiency")
    assert a.loc[1.0, "avoided_t"] == pytest.approx(10 * (0.24 - 0.06) * 1000)          # life cycle vs life cycle
    assert "avoided_t" not in energy.heat_savings_sensitivity(1000, fuels, {"gas": {"gas": 1.0}}, [0.9],
                                                              {"direct": 0.04, "ACV": 0.06}).columns


def test_heat_sensitivity_refuses_mixed_scopes():
    with pytest.raises(ValueError, match="same scopes"):
        energy.heat_savings_sensitivity(1000, {"ACV": {"gas": 0.24}}, {"gas": {"gas": 1.0}}, [0.9], {"direct": 0.04})


def _base_carbone():
    return pd.DataFrame({
        "identifier": ["1", "1", "1", "2", "3", "3"],
        "line_type": ["Elément", "Poste", "Poste", "Elément", "Elément", "Poste"],
        "post_type": [None, "Combustion", "Amont", None, None, "Combustion"],
        "total": [0.24, 0.2, 0.04, 0.3, 0.1, 0.2],
    })


def test_fuel_factor_by_scope():
    assert energy.fuel_factor_by_scope(_base_carbone(), 1) == {"direct": 0.2, "ACV": 0.24}
    with pytest.raises(KeyError, match="'2'"):
        energy.fuel_factor_by_scope(_base_carbone(), "2")      # no combustion line
    with pytest.raises(ValueError, match="exceeds"):
        energy.fuel_factor_by_scope(_base_carbone(), "3")
    with pytest.raises(KeyError):
        energy.fuel_factor_by_scope(_base_carbone(), "9")


# --- plant calculator --------------------------------------------------------------------------

def test_energy_savings():
    r = energy.energy_savings(10_000, 0.1, 0.2)
    assert r["saved_mwh"] == pytest.approx(1000)
    assert r["consumption_after_mwh"] == pytest.approx(9000)
    assert r["avoided_tco2"] == pytest.approx(200)
    with pytest.raises(ValueError):
        energy.energy_savings(1, 1.2, 0.2)


def test_pv_sizing_round_trip():
    kwp = energy.pv_capacity_kwp(1200, 0.13, 1200)            # 156 MWh / 1.2 MWh per kWp
    assert kwp == pytest.approx(130)
    assert energy.pv_covered_share(kwp, 1200, 1200) == pytest.approx(0.13)
    assert energy.pv_capacity_kwp(1200, 0.13, 1200, self_consumption_rate=0.5) == pytest.approx(260)
    with pytest.raises(ValueError):
        energy.pv_capacity_kwp(1, 0.1, 0)


def test_plant_calculator_grid():
    out = energy.plant_calculator([1000, 2000], 0.1, 0.2, 0.13, [1000, 1300], 0.05)
    assert len(out) == 4
    row = out[(out["consumption_mwh"] == 2000) & (out["pv_yield_kwh_per_kwp"] == 1000)].iloc[0]
    assert row["pv_kwp"] == pytest.approx(260)
    assert row["avoided_tco2_savings"] == pytest.approx(40)
    assert row["avoided_tco2_pv"] == pytest.approx(2000 * 0.13 * 0.05)
    assert math.isfinite(out["pv_kwp"].sum())


# --- figures -----------------------------------------------------------------------------------

def test_plot_functions_return_figures():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    b = _rte_balances()
    demand = b.assign(variable="Demande totale")
    paths = energy.consumption_change(pd.concat([b[b["variable"] == "Consommation France"],
                                                 demand[demand["variable"] == "Demande totale"]]),
                                      2019, 2050, by=["variable", "path", "mix"])
    fig = charts.plot_rte_paths(b, paths, ["M0", "N1"])
    assert len(fig.axes) == 2 and len(fig.axes[1].patches) == 6
    plt.close(fig)
    m = energy.industry_multipliers(100, {"référence": 65, "sobriété (borne haute)": 65})
    fig = charts.plot_industry_electricity(pd.Series([100.0, 101.0], index=[2018, 2019]), m, 100)
    markers = [c.get_paths()[0].vertices.shape[0] for c in fig.axes[0].collections]
    assert len(markers) == 2 and markers[0] != markers[1]           # bounds drawn with another marker
    plt.close(fig)
    p = _points()
    sub = p["dep"].isin(["03", "15", "43", "63"])
    service = energy.sites_in_service(p, energy.year_ends(2018, 2021), sub)
    fig = charts.plot_biomethane_sites(service, 3, min_sites_for_share=2)
    assert len(fig.axes) == 2 and len(fig.axes[1].lines[0].get_xdata()) == 3
    plt.close(fig)


def test_plot_biomethane_map():
    import geopandas as gpd
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from shapely.geometry import box

    deps = gpd.GeoDataFrame({"dep": ["63", "69"]}, geometry=[box(2.5, 45.3, 3.9, 46.3), box(4.2, 45.4, 5.2, 46.3)],
                            crs="EPSG:4326")
    pts = pd.DataFrame({"lon": [3.0, 4.8], "lat": [45.8, 45.8], "capacity_gwh_per_year": [10.0, None]})
    fig = charts.plot_biomethane_map(deps, pts, pd.Series([True, False]), ["63"], "30/06/2025")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["63", "69"]
    assert [len(c.get_offsets()) for c in ax.collections[-2:]] == [1, 1]    # in service, commissioned later
    assert ax.get_legend().get_texts()[0].get_text().endswith("30/06/2025")
    plt.close(fig)
