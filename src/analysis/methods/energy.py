"""Energy-transition arithmetic: RTE 2050 paths, final energy by sector, biomethane sites,
heat-network CO2 savings, and a small plant calculator (energy savings, PV sizing).

Every function takes DataFrames or numbers and returns DataFrames or numbers (the charts are drawn in
:mod:`analysis.report.charts.energy`); nothing here reads a public file (the loaders in :mod:`analysis.data.loaders.energy` do that). Assumptions are
named parameters, documented with their sources in ``data/energy_parameters.csv`` and read
with :func:`read_parameters`.

Units: energy in TWh (national), GWh or MWh (sites) as the names say; emission factors in
kgCO2e per kWh (of fuel PCI for fuels, of delivered heat for heat networks, of consumed
electricity for electricity); avoided emissions in tonnes CO2e per year.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.paths import DATA_DIR

PARAMETERS_CSV = DATA_DIR / "energy_parameters.csv"
PARAMETER_COLUMNS = ["name", "value", "unit", "description", "source", "url"]

#: TJ in one TWh (1 TWh = 3.6 PJ).
TJ_PER_TWH = 3600.0


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------

def read_parameters(path: Path | str = PARAMETERS_CSV) -> pd.DataFrame:
    """The documented parameters (``name, value, unit, description, source, url``), values as text."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in PARAMETER_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    if df["name"].duplicated().any():
        raise ValueError(f"{path}: duplicated parameter name(s) {df.loc[df['name'].duplicated(), 'name'].tolist()}")
    return df.set_index("name", drop=False)


def param(params: pd.DataFrame, name: str) -> float:
    """A numeric parameter; ``KeyError`` naming the parameter if it is absent."""
    if name not in params.index:
        raise KeyError(f"parameter {name!r} is not in data/energy_parameters.csv")
    return float(params.loc[name, "value"])


def param_text(params: pd.DataFrame, name: str) -> str:
    """A text parameter (identifiers, dates)."""
    if name not in params.index:
        raise KeyError(f"parameter {name!r} is not in data/energy_parameters.csv")
    return str(params.loc[name, "value"])


def param_list(params: pd.DataFrame, name: str) -> list[str]:
    """A ``;``-separated list parameter, as strings."""
    return [v.strip() for v in param_text(params, name).split(";") if v.strip()]


# ---------------------------------------------------------------------------------------------
# 1. RTE 2050 paths and the electricity share of final energy
# ---------------------------------------------------------------------------------------------

def consumption_change(table: pd.DataFrame, base_year: int, target_year: int, *, by: Sequence[str],
                       year: str = "year", value: str = "value") -> pd.DataFrame:
    """Value in ``base_year`` and ``target_year`` for each group of ``by``, with the ratio and the % change.

    ``table`` is tidy (one row per group and year). Groups missing either year are dropped.
    Returns ``by`` + ``[f"{base_year}", f"{target_year}", "ratio", "change_pct"]`` sorted by ``by``.
    """
    wide = (table[table[year].isin([base_year, target_year])]
            .pivot_table(index=list(by), columns=year, values=value, aggfunc="sum")
            .dropna(subset=[base_year, target_year]))
    out = pd.DataFrame({str(base_year): wide[base_year], str(target_year): wide[target_year]})
    out["ratio"] = out[str(target_year)] / out[str(base_year)]
    out["change_pct"] = 100 * (out["ratio"] - 1)
    return out.reset_index().sort_values(list(by), kind="stable").reset_index(drop=True)


#: Eurostat nrg_bal codes of final energy consumption for energy use, grouped into sectors.
#: The trimmed France extract on the mirror has no aggregate lines (FC_E, FC_IND_E, ...).
EUROSTAT_SECTORS = {
    "FC_IND_IS_E": "industry", "FC_IND_CPC_E": "industry", "FC_IND_NFM_E": "industry",
    "FC_IND_NMM_E": "industry", "FC_IND_TE_E": "industry", "FC_IND_MAC_E": "industry",
    "FC_IND_MQ_E": "industry", "FC_IND_FBT_E": "industry", "FC_IND_PPP_E": "industry",
    "FC_IND_WP_E": "industry", "FC_IND_CON_E": "industry", "FC_IND_TL_E": "industry",
    "FC_IND_NSP_E": "industry",
    "FC_TRA_RAIL_E": "transport", "FC_TRA_ROAD_E": "transport", "FC_TRA_DNAVI_E": "transport",
    "FC_TRA_DAVI_E": "transport", "FC_TRA_PIPE_E": "transport", "FC_TRA_NSP_E": "transport",
    "FC_OTH_HH_E": "residential", "FC_OTH_CP_E": "tertiary",
    "FC_OTH_AF_E": "agriculture", "FC_OTH_FISH_E": "agriculture", "FC_OTH_NSP_E": "other",
}
#: Final-consumption lines of the complete balance that a sum of sectors should contain.
EUROSTAT_EXPECTED_LINES = tuple(EUROSTAT_SECTORS)
ELECTRICITY_SIEC = "E7000"
TOTAL_SIEC = "TOTAL"


def missing_balance_lines(balance: pd.DataFrame, *, flow: str = "nrg_bal") -> list[str]:
    """Final-consumption lines of :data:`EUROSTAT_SECTORS` absent from ``balance`` (sorted)."""
    present = set(balance[flow].unique())
    return sorted(c for c in EUROSTAT_EXPECTED_LINES if c not in present)


def final_energy_by_sector(balance: pd.DataFrame, year: int, *, flow: str = "nrg_bal", product: str = "siec",
                           period: str = "year", value: str = "value") -> pd.DataFrame:
    """Final energy consumption (energy use) and its electricity part by sector, one year, TWh.

    ``balance`` is a tidy Eurostat ``nrg_bal_c`` extract in TJ with columns ``flow`` (nrg_bal code),
    ``product`` (siec code: ``TOTAL`` and ``E7000`` are used), ``period`` and ``value``. Sectors
    are the sums of the sub-sector lines in :data:`EUROSTAT_SECTORS` that the extract has (see
    :func:`missing_balance_lines`). Non-energy use is not included.
    Returns ``sector, final_energy_twh, electricity_twh, electricity_share`` with a ``total`` row.
    """
    d = balance[(balance[period] == year) & balance[flow].isin(list(EUROSTAT_SECTORS))
                & balance[product].isin([TOTAL_SIEC, ELECTRICITY_SIEC])]
    if d.empty:
        raise ValueError(f"no final-consumption lines for {year}")
    d = d.assign(sector=d[flow].map(EUROSTAT_SECTORS))
    wide = d.pivot_table(index="sector", columns=product, values=value, aggfunc="sum").fillna(0.0) / TJ_PER_TWH
    order = [s for s in ["industry", "transport", "residential", "tertiary", "agriculture", "other"] if s in wide.index]
    out = pd.DataFrame({"final_energy_twh": wide[TOTAL_SIEC], "electricity_twh": wide.get(ELECTRICITY_SIEC, 0.0)})
    out = out.loc[order]
    out.loc["total"] = out.sum()
    out["electricity_share"] = out["electricity_twh"] / out["final_energy_twh"]
    return out.rename_axis("sector").reset_index()


def industry_electricity(balance: pd.DataFrame, years: Iterable[int], *, flow: str = "nrg_bal",
                         product: str = "siec", period: str = "year", value: str = "value") -> pd.Series:
    """Industry's final electricity consumption, TWh, by year: sum of the ``FC_IND_*_E`` sub-sectors."""
    years = list(years)
    ind = [c for c, s in EUROSTAT_SECTORS.items() if s == "industry"]
    d = balance[balance[flow].isin(ind) & (balance[product] == ELECTRICITY_SIEC) & balance[period].isin(years)]
    out = d.groupby(period)[value].sum() / TJ_PER_TWH
    missing = sorted(set(years) - set(out.index))
    if missing:
        raise ValueError(f"no industry electricity lines for {missing}")
    return out.rename("industry_electricity_twh").rename_axis("year")


def final_electricity_2050(national_consumption_twh: float, power_to_gas_final_twh: float,
                           final_to_national_ratio: float) -> float:
    """Electricity counted in final energy in 2050, TWh.

    RTE's ``Consommation France`` includes electrolysis for final hydrogen uses (power-to-gas,
    whose output is counted in final energy as hydrogen, not as electricity), network losses and
    the energy branch. The first is subtracted; the others are removed by applying the observed
    2019 ratio of final electricity (Eurostat) to RTE's national consumption (``final_to_national_ratio``).
    """
    return (national_consumption_twh - power_to_gas_final_twh) * final_to_national_ratio


#: The three RTE consumption paths, in display order (``path`` values of the annex loader).
RTE_PATHS = ("référence", "sobriété", "réindustrialisation profonde")
RTE_NATIONAL = "Consommation France"
RTE_POWER_TO_GAS_FINAL = "dont power-to-gas pour usage final"


def final_electricity_by_path(balances: pd.DataFrame, final_electricity_2019_twh: float, *, mix: str = "M0",
                              base_path: str = "référence", base_year: int = 2019, year: int = 2050,
                              paths: Sequence[str] = RTE_PATHS) -> pd.DataFrame:
    """Final electricity (Eurostat definition) in ``year`` for each RTE consumption path, France, TWh/yr.

    ``balances`` is :func:`analysis.data.loaders.energy.load_rte_balances`'s table (section
    ``demande``; the national line and its power-to-gas part depend on the path only, so one
    ``mix`` is enough). ``final_electricity_2019_twh`` is the Eurostat 2019 final electricity
    (energy use, sum of sectors). The observed ratio of that figure to RTE's ``base_year``
    national consumption of ``base_path`` (losses, energy branch) is applied to every path's
    ``year`` national consumption net of electrolysis for final hydrogen uses, as in
    :func:`final_electricity_2050`.

    Returns one row per path (in ``paths`` order): ``path, national_base_twh, national_twh,
    power_to_gas_final_twh, national_net_of_p2g_twh, final_to_national_ratio, final_electricity_twh``.
    """
    d = balances[(balances["mix"] == mix) & (balances["section"] == "demande")]
    lines = d[d["variable"].isin([RTE_NATIONAL, RTE_POWER_TO_GAS_FINAL])].set_index(["variable", "path", "year"])["value"]
    try:
        national_base = float(lines[(RTE_NATIONAL, base_path, base_year)])
        rows = []
        for p in paths:
            national = float(lines[(RTE_NATIONAL, p, year)])
            p2g = float(lines[(RTE_POWER_TO_GAS_FINAL, p, year)])
            rows.append({"path": p, "national_twh": national, "power_to_gas_final_twh": p2g})
    except KeyError as err:
        raise ValueError(f"RTE balances lack {err.args[0]} for mix {mix!r}") from err
    out = pd.DataFrame(rows)
    ratio = final_electricity_2019_twh / national_base
    out.insert(1, "national_base_twh", national_base)
    out["national_net_of_p2g_twh"] = out["national_twh"] - out["power_to_gas_final_twh"]
    out["final_to_national_ratio"] = ratio
    out["final_electricity_twh"] = [final_electricity_2050(n, g, ratio) for n, g in
                                    zip(out["national_twh"], out["power_to_gas_final_twh"])]
    return out


def electricity_share_path(final_2019_twh: float, electricity_2019_twh: float, final_2050_twh: float,
                           electricity_2050_twh: float) -> dict:
    """Electricity share of final energy in 2019 and 2050, the ratio of shares and the change in final energy.

    Returns a dict with ``share_2019``, ``share_2050``, ``share_ratio`` (2050 / 2019) and
    ``final_energy_change_pct`` (100 * (final_2050 / final_2019 - 1)).
    """
    s19 = electricity_2019_twh / final_2019_twh
    s50 = electricity_2050_twh / final_2050_twh
    return {"share_2019": s19, "share_2050": s50, "share_ratio": s50 / s19,
            "final_energy_change_pct": 100 * (final_2050_twh / final_2019_twh - 1)}


# ---------------------------------------------------------------------------------------------
# 2. Industry electricity multiplier
# ---------------------------------------------------------------------------------------------

def industry_multipliers(baseline_twh: float, increments_twh: Mapping[str, float] | pd.DataFrame) -> pd.DataFrame:
    """Industry electricity in 2050 and its multiplier for each path: ``(baseline + increment) / baseline``.

    ``increments_twh`` maps path -> increment (TWh/yr), or is :func:`industry_increments`'s table
    (its ``basis`` column is kept). Returns ``path, baseline_twh, increment_twh,
    electricity_2050_twh, multiplier`` (+ ``basis``) in the order given.
    """
    if baseline_twh <= 0:
        raise ValueError("baseline must be positive")
    if isinstance(increments_twh, pd.DataFrame):
        extra = increments_twh.drop(columns=["increment_twh"]).set_index("path")
        increments_twh = dict(zip(increments_twh["path"], increments_twh["increment_twh"]))
    else:
        extra = None
    rows = [{"path": k, "baseline_twh": baseline_twh, "increment_twh": float(v),
             "electricity_2050_twh": baseline_twh + float(v), "multiplier": (baseline_twh + float(v)) / baseline_twh}
            for k, v in increments_twh.items()]
    out = pd.DataFrame(rows)
    if extra is not None and not extra.empty:
        out = out.join(extra, on="path")
    return out


#: ``basis`` labels of :func:`industry_increments`.
BASIS_RTE = "RTE (publié)"
BASIS_RTE_H2 = "RTE (publié) + électrolyse industrielle (annexe H2)"
BASIS_BOUND = "borne haute du projet (pas un chiffre RTE)"


def industry_increments(reference_increment_twh: float, path_table: pd.DataFrame, *, industrial_h2_share: float,
                        sobriety_share_of_reference: float, reindus_extra_share: float,
                        reference: str = "référence", sobriety: str = "sobriété",
                        reindus: str = "réindustrialisation profonde") -> pd.DataFrame:
    """Industry's 2019-2050 electricity increment (TWh/yr) for each RTE path, with its basis.

    Only the reference increment is published by RTE (``reference_increment_twh``, direct
    industrial uses, hydrogen production excluded). The other rows are derived:

    - reference + industrial electrolysis: adds ``industrial_h2_share`` of the reference path's
      electrolysis for final hydrogen uses (``power_to_gas_final_twh`` of ``path_table``);
    - sobriety: ``sobriety_share_of_reference`` x the reference increment (1 = upper bound);
    - deep re-industrialisation: the reference increment plus ``reindus_extra_share`` of the
      path's extra national consumption over the reference (1 = all of it, upper bound).

    The last two are PROJECT BOUNDS, not RTE figures: RTE's per-sector 2050 values for those
    paths are not in the public annex. ``path_table`` is :func:`final_electricity_by_path`'s
    output (``path, national_twh, power_to_gas_final_twh``). Returns ``path, increment_twh,
    basis`` (basis :data:`BASIS_RTE`, :data:`BASIS_RTE_H2` or :data:`BASIS_BOUND`).
    """
    t = path_table.set_index("path")
    extra = t.loc[reindus, "national_twh"] - t.loc[reference, "national_twh"]
    rows = [
        (reference, reference_increment_twh, BASIS_RTE),
        (f"{reference} + électrolyse industrielle",
         reference_increment_twh + industrial_h2_share * t.loc[reference, "power_to_gas_final_twh"], BASIS_RTE_H2),
        (f"{sobriety} (borne haute)", reference_increment_twh * sobriety_share_of_reference, BASIS_BOUND),
        (f"{reindus} (borne haute)", reference_increment_twh + reindus_extra_share * extra, BASIS_BOUND),
    ]
    return pd.DataFrame([{"path": p, "increment_twh": float(v), "basis": b} for p, v, b in rows])


def increment_for_multiplier(baseline_twh: float, multiplier: float) -> float:
    """Increment (TWh) that turns ``baseline_twh`` into ``multiplier`` times itself."""
    return baseline_twh * (multiplier - 1)


#: RTE hydrogen annex: final uses that are industry in the Eurostat sense (refining is the energy
#: branch there, blending / transport / synthetic fuels are not industry).
RTE_INDUSTRIAL_HYDROGEN_USES = ("Ammoniac et engrais", "Chimie", "Divers industriel", "Sidérurgie",
                                "Chaleur industrielle")


def hydrogen_final_uses(hydrogen: pd.DataFrame, trajectory: str, year: int) -> pd.DataFrame:
    """Electrolytic hydrogen demand by final use, one trajectory and year (TWh H2 PCI/yr).

    ``hydrogen`` is :func:`analysis.data.loaders.energy.load_rte_hydrogen`'s table. Keeps the
    consumption-by-use table, drops totals, power-system balancing and the '... - coproduction'
    rows (hydrogen co-produced by other processes, not made from electricity).
    Returns ``category, use, twh_h2`` sorted by the sheet order.
    """
    t = hydrogen[hydrogen["table"].str.startswith("Consommation d'hydrogène par usage")
                 & (hydrogen["trajectory"] == trajectory) & (hydrogen["year"] == year)]
    t = t[~t["category"].isin(["Total usages finaux", "Equilibrage du système électrique"])
          & ~t["series"].str.endswith("coproduction")]
    if t.empty:
        raise ValueError(f"no hydrogen uses for trajectory {trajectory!r} in {year}")
    return (t.sort_values("line")[["category", "series", "value"]]
            .rename(columns={"series": "use", "value": "twh_h2"}).reset_index(drop=True))


def industrial_hydrogen_share(hydrogen_uses: pd.DataFrame, industrial_uses: Iterable[str] = RTE_INDUSTRIAL_HYDROGEN_USES,
                              *, use: str = "use", value: str = "twh_h2", exclude: Iterable[str] = ()) -> float:
    """Share of final hydrogen demand going to industrial uses (``industrial_uses`` over all uses).

    ``hydrogen_uses`` has one row per use for one path and year; rows whose ``use`` is in
    ``exclude`` (e.g. by-product hydrogen) are dropped before the shares are taken.
    """
    d = hydrogen_uses[~hydrogen_uses[use].isin(list(exclude))]
    total = d[value].sum()
    if total <= 0:
        raise ValueError("no hydrogen demand")
    return float(d.loc[d[use].isin(list(industrial_uses)), value].sum() / total)


# ---------------------------------------------------------------------------------------------
# Regional context (ODRE)
# ---------------------------------------------------------------------------------------------

#: Transmission-grid operators in the ODRE consumption file: a year without them misses the
#: large industrial sites connected to the transmission grid.
TRANSMISSION_OPERATORS = ("RTE", "GRT Gaz", "GRTgaz", "NaTran", "Teréga", "TIGF")


def regional_sector_consumption(conso: pd.DataFrame, reg: str, sector_group: str = "I",
                                transmission_operators: Iterable[str] = TRANSMISSION_OPERATORS) -> pd.DataFrame:
    """Electricity and gas consumption of one sector group in one région, by year, TWh.

    ``conso`` is :func:`analysis.data.loaders.energy.load_odre_consumption_region_naf`'s table
    (MWh); ``sector_group`` 'I' = industry. Returns ``year, energy, consumption_twh,
    transmission_reported`` (False when no transmission-grid operator reported that energy
    that year: the total then misses the largest sites and is not comparable).
    """
    d = conso[(conso["reg"] == reg) & (conso["sector_group"] == sector_group)]
    if d.empty:
        raise ValueError(f"no consumption rows for région {reg!r}, sector group {sector_group!r}")
    tso = set(transmission_operators)
    g = d.groupby(["year", "energy"])
    out = pd.DataFrame({"consumption_twh": g["consumption_mwh"].sum() / 1e6,
                        "transmission_reported": g["operator"].agg(lambda s: bool(tso & set(s)))})
    return out.reset_index().sort_values(["energy", "year"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# 3. Biomethane injection sites in service
# ---------------------------------------------------------------------------------------------

def in_service(points: pd.DataFrame, date: str | pd.Timestamp, *, start: str = "commissioning_date",
               end: str = "closure_date") -> pd.Series:
    """Boolean mask of sites in service on ``date``: commissioned on or before it and not closed by then."""
    d = pd.Timestamp(date)
    started = pd.to_datetime(points[start]) <= d
    closed = pd.to_datetime(points[end]) <= d
    return started & ~closed.fillna(False)


def sites_in_service(points: pd.DataFrame, dates: Iterable, subset: pd.Series, *, capacity: str = "capacity_gwh_per_year",
                     start: str = "commissioning_date", end: str = "closure_date") -> pd.DataFrame:
    """Sites and capacity in service at each date, in total and in a subset (e.g. a sub-region).

    ``subset`` is a boolean Series aligned on ``points``. Capacity is each site's registered
    capacity today (the registry does not keep past capacities). Returns ``date, sites,
    sites_subset, share_sites_subset, capacity_gwh_yr, capacity_subset_gwh_yr, share_capacity_subset``.
    """
    rows = []
    for date in dates:
        m = in_service(points, date, start=start, end=end)
        cap = points.loc[m, capacity].fillna(0.0)
        cap_sub = points.loc[m & subset, capacity].fillna(0.0)
        n, n_sub = int(m.sum()), int((m & subset).sum())
        rows.append({"date": pd.Timestamp(date), "sites": n, "sites_subset": n_sub,
                     "share_sites_subset": n_sub / n if n else np.nan,
                     "capacity_gwh_yr": float(cap.sum()), "capacity_subset_gwh_yr": float(cap_sub.sum()),
                     "share_capacity_subset": float(cap_sub.sum() / cap.sum()) if cap.sum() else np.nan})
    return pd.DataFrame(rows)


def year_ends(first: int, last: int) -> list[pd.Timestamp]:
    """31 December of each year from ``first`` to ``last``."""
    return [pd.Timestamp(year=y, month=12, day=31) for y in range(first, last + 1)]


def first_date_reaching(points: pd.DataFrame, threshold: int, *, start: str = "commissioning_date",
                        end: str = "closure_date") -> pd.Timestamp | None:
    """First commissioning date on which the number of sites in service reaches ``threshold`` (None if never)."""
    for date in sorted(pd.to_datetime(points[start]).dropna().unique()):
        if in_service(points, date, start=start, end=end).sum() >= threshold:
            return pd.Timestamp(date)
    return None


# ---------------------------------------------------------------------------------------------
# 4. Heat network: CO2 saved versus individual boilers
# ---------------------------------------------------------------------------------------------

def substituted_emission_factor(fuel_factors: Mapping[str, float], fuel_shares: Mapping[str, float],
                                boiler_efficiency: float) -> float:
    """Emissions of the replaced boilers per kWh of useful heat, kgCO2e/kWh.

    ``fuel_factors`` are kgCO2e per kWh of fuel (PCI); ``fuel_shares`` (summing to 1) split the
    replaced heat between fuels; ``boiler_efficiency`` is useful heat per kWh of fuel (PCI).
    """
    if not 0 < boiler_efficiency <= 1.2:
        raise ValueError(f"boiler efficiency {boiler_efficiency} out of range")
    if abs(sum(fuel_shares.values()) - 1) > 1e-9:
        raise ValueError("fuel shares must sum to 1")
    return sum(fuel_factors[f] * s for f, s in fuel_shares.items()) / boiler_efficiency


def avoided_emissions_t(heat_gwh: float, substituted_factor: float, network_factor: float) -> float:
    """tCO2e/yr avoided when ``heat_gwh`` of network heat (``network_factor`` kgCO2e/kWh) replaces boilers
    emitting ``substituted_factor`` kgCO2e per kWh of useful heat. (GWh x kg/kWh = 1,000 t.)"""
    return heat_gwh * (substituted_factor - network_factor) * 1000.0


def heat_implied_by_savings_gwh(avoided_t: float, substituted_factor: float, network_factor: float) -> float:
    """INVERSION: network heat (GWh/yr) that would avoid ``avoided_t`` tCO2e/yr, given the two factors.

    This assumes the savings figure and derives the heat it needs; it does not test the figure.
    """
    gap = substituted_factor - network_factor
    if gap <= 0:
        raise ValueError("the network emits as much as the boilers it replaces: no savings possible")
    return avoided_t / (gap * 1000.0)


#: Emission scopes compared like with like: a fuel's combustion emissions against a network's
#: direct content; a fuel's life-cycle factor (combustion + upstream) against the network's
#: life-cycle (ACV) content.
SCOPES = ("direct", "ACV")


def fuel_factor_by_scope(base_carbone: pd.DataFrame, identifier: str | int) -> dict[str, float]:
    """Combustion-only and life-cycle emission factors of one Base Carbone fuel, kgCO2e per unit.

    ``base_carbone`` is :func:`analysis.data.loaders.energy.load_base_carbone`'s table. ``'ACV'`` is
    the element's total (its 'Elément' line: combustion + upstream); ``'direct'`` is its
    'Poste' line of type 'Combustion'. E.g. 37132 natural gas 2022: direct 0.201, ACV 0.239
    kgCO2e/kWh PCI. Raises ``KeyError`` naming the identifier when a line is missing, and
    ``ValueError`` if the combustion part exceeds the total.
    """
    key = str(identifier).strip()
    rows = base_carbone[base_carbone["identifier"] == key]
    total = rows.loc[rows["line_type"] == "Elément", "total"]
    combustion = rows.loc[(rows["line_type"] == "Poste") & (rows["post_type"] == "Combustion"), "total"]
    if len(total) != 1 or total.isna().all():
        raise KeyError(f"Base Carbone identifier {key!r}: no single 'Elément' line with a total")
    if len(combustion) != 1 or combustion.isna().all():
        raise KeyError(f"Base Carbone identifier {key!r}: no single 'Combustion' decomposition line")
    out = {"direct": float(combustion.iloc[0]), "ACV": float(total.iloc[0])}
    if out["direct"] > out["ACV"] + 1e-12:
        raise ValueError(f"Base Carbone identifier {key!r}: combustion part exceeds the total")
    return out


def heat_savings_sensitivity(avoided_t: float, fuel_factors: Mapping[str, Mapping[str, float]],
                             mixes: Mapping[str, Mapping[str, float]], efficiencies: Sequence[float],
                             network_factors: Mapping[str, float], heat_gwh: float | None = None) -> pd.DataFrame:
    """Heat-network savings on a grid of assumptions, each scope compared like with like.

    ``fuel_factors`` maps scope -> fuel -> kgCO2e/kWh PCI and ``network_factors`` maps scope ->
    the network's content (kgCO2e/kWh delivered), with the same scopes (:data:`SCOPES`:
    'direct' = combustion of the replaced fuel vs the network's direct content, 'ACV' =
    life-cycle vs life-cycle). Mixing scopes (life-cycle gas against a direct network content)
    would overstate the savings, so mismatched scope keys raise ``ValueError``.

    For each scope, replaced-fuel mix and boiler efficiency: ``implied_heat_gwh``, the network
    heat (GWh/yr) that ``avoided_t`` tCO2e/yr would require (an INVERSION of a savings figure),
    and, when ``heat_gwh`` is given, ``avoided_t`` = the savings (tCO2e/yr) of ``heat_gwh`` of
    network heat. Returns ``scope, mix, boiler_efficiency, substituted_factor, network_factor,
    implied_heat_gwh`` (+ ``avoided_t``).
    """
    if set(fuel_factors) != set(network_factors):
        raise ValueError(f"fuel and network factors must have the same scopes, got {sorted(fuel_factors)} "
                         f"and {sorted(network_factors)}")
    rows = []
    for scope, nf in network_factors.items():
        for mix_name, shares in mixes.items():
            for eff in efficiencies:
                sub = substituted_emission_factor(fuel_factors[scope], shares, eff)
                row = {"scope": scope, "mix": mix_name, "boiler_efficiency": float(eff), "substituted_factor": sub,
                       "network_factor": float(nf), "implied_heat_gwh": heat_implied_by_savings_gwh(avoided_t, sub, nf)}
                if heat_gwh is not None:
                    row["avoided_t"] = avoided_emissions_t(heat_gwh, sub, nf)
                rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# 5. Plant calculator: energy savings, avoided CO2, PV sizing
# ---------------------------------------------------------------------------------------------

def energy_savings(consumption_mwh: float, saving_rate: float, emission_factor: float) -> dict:
    """Energy saved and CO2 avoided when a plant consuming ``consumption_mwh`` (before) saves ``saving_rate``.

    ``emission_factor`` in kgCO2e/kWh of the energy saved. Returns ``saved_mwh``,
    ``consumption_after_mwh`` and ``avoided_tco2`` (MWh x kg/kWh = t).
    """
    if not 0 <= saving_rate < 1:
        raise ValueError("saving rate must be in [0, 1)")
    saved = consumption_mwh * saving_rate
    return {"saved_mwh": saved, "consumption_after_mwh": consumption_mwh - saved,
            "avoided_tco2": saved * emission_factor}


def pv_capacity_kwp(electricity_mwh: float, covered_share: float, specific_yield_kwh_per_kwp: float,
                    self_consumption_rate: float = 1.0) -> float:
    """PV capacity (kWp) whose self-consumed output covers ``covered_share`` of ``electricity_mwh``.

    Output = kWp x yield; the covered consumption is output x ``self_consumption_rate``.
    """
    if specific_yield_kwh_per_kwp <= 0 or not 0 < self_consumption_rate <= 1:
        raise ValueError("yield must be positive and self-consumption rate in (0, 1]")
    return electricity_mwh * 1000.0 * covered_share / (specific_yield_kwh_per_kwp * self_consumption_rate)


def pv_covered_share(capacity_kwp: float, electricity_mwh: float, specific_yield_kwh_per_kwp: float,
                     self_consumption_rate: float = 1.0) -> float:
    """Share of ``electricity_mwh`` covered by ``capacity_kwp`` of PV (inverse of :func:`pv_capacity_kwp`)."""
    return capacity_kwp * specific_yield_kwh_per_kwp * self_consumption_rate / (electricity_mwh * 1000.0)


def plant_calculator(consumptions_mwh: Sequence[float], saving_rate: float, energy_factor: float,
                     pv_share: float, yields: Sequence[float], electricity_factor: float) -> pd.DataFrame:
    """Savings, avoided CO2 and PV size for a grid of plant consumptions and PV yields.

    For each consumption C (MWh/yr, applied both to the energy saved and to the electricity
    covered by PV, i.e. one illustrative size) and yield Y: ``saved_mwh``, ``avoided_tco2_savings``
    (``energy_factor``), ``pv_kwp`` covering ``pv_share`` of C, ``pv_mwh`` and ``avoided_tco2_pv``
    (``electricity_factor``, grid electricity displaced).
    """
    rows = []
    for c in consumptions_mwh:
        s = energy_savings(c, saving_rate, energy_factor)
        for y in yields:
            kwp = pv_capacity_kwp(c, pv_share, y)
            rows.append({"consumption_mwh": float(c), "saved_mwh": s["saved_mwh"],
                         "avoided_tco2_savings": s["avoided_tco2"], "pv_yield_kwh_per_kwp": float(y),
                         "pv_kwp": kwp, "pv_mwh": c * pv_share, "avoided_tco2_pv": c * pv_share * electricity_factor})
    return pd.DataFrame(rows)
