"""The cited windows from the official URSSAF commune x APE file, for notebooks 01 and 02.

When the national file has been downloaded (``make official``, :func:`analysis.data.official.available`),
these functions build:

- :func:`ze2020_a38_panel` -- private salaried employment by zone d'emploi 2020 x A38 for
  2007-2023 (the multiplier's cited window), in the schema of
  :func:`analysis.data.loaders.employment.load_urssaf_ze2020_a38`, ready for
  :func:`analysis.methods.multiplier.zone_employment`;
- :func:`multiplier_estimates` -- the notebook-01 estimates on that panel
  (:func:`analysis.methods.multiplier.zone_panel` + :func:`analysis.methods.multiplier.estimate_grid`);
- :func:`multiplier_note` -- the sentence of the notebook-01 scoreboard note saying which path
  produced the recorded value (and, online, the official 2007-2023 estimate);
- :func:`metropole_growth` -- employment growth of EPCI (e.g. the métropoles) by sector grouping
  over 2017-2020 (the cited window of notebook 02), from the EPCI x A38 table.

The aggregated tables are cached on disk beside the official file, keyed by its SHA-256 (from the
lock file) and :data:`VERSION`: the DuckDB aggregation (about 30 s at national size) runs once
per downloaded file. Units: salaried headcount at 31 December, private employers; growth as a
fraction. Nothing here downloads: without the file every builder raises
:class:`analysis.data.official.OfficialFileMissingError`, whose message says to run ``make official``.
"""

from __future__ import annotations

import os
import tempfile
from typing import Iterable, Sequence

import pandas as pd

from analysis.methods import dynamics, official_aggregate
from analysis.data import official
from analysis.methods import multiplier as mp

#: Bump when the aggregation output changes (invalidates the tables cached beside the file).
VERSION = 1
#: ``data`` label of the estimates from the official file in the notebook-01 results table.
DATA_LABEL = "URSSAF ZE2020 official"
MULTIPLIER_WINDOW = (2007, 2023)
METROPOLE_WINDOW = (2017, 2020)


def tables(levels: Sequence[str] = official_aggregate.LEVELS, *, key: str = official.URSSAF_COMMUNE_APE,
           refresh: bool = False) -> dict[str, pd.DataFrame]:
    """Aggregated ``level`` x A38 x year tables of the downloaded official file (cached as parquet).

    The file is re-hashed against its lock first (:func:`analysis.data.official.verified_path`).
    """
    p = official.verified_path(key)
    lock = official.read_lock(key)
    folder = p.parent / f"aggregates-{lock['sha256'][:16]}-v{VERSION}"
    targets = {lv: folder / f"{lv}_a38.parquet" for lv in levels}
    if refresh or not all(t.is_file() for t in targets.values()):
        agg = official_aggregate.aggregate(p, fmt="parquet" if lock.get("format") == "parquet" else "csv",
                                           levels=tuple(levels))
        folder.mkdir(parents=True, exist_ok=True)
        for lv, t in targets.items():
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            os.close(fd)
            agg.tables[lv].to_parquet(tmp, index=False)
            os.replace(tmp, t)
        for name, d in agg.diagnostics.items():
            d.to_csv(folder / f"diagnostics_{name}.csv", index=False)
    return {lv: pd.read_parquet(t) for lv, t in targets.items()}


def _years(table: pd.DataFrame, years: Iterable[int] | None, what: str) -> pd.DataFrame:
    if years is None:
        return table
    years = sorted(set(int(y) for y in years))
    have = set(table["year"].unique())
    missing = [y for y in years if y not in have]
    if missing:
        raise official_aggregate.OfficialAggregateError(
            f"the official file has no {what} for year(s) {missing} (it has {min(have)}-{max(have)}); "
            f"a newer export may: run `make official FORCE=1`")
    return table[table["year"].isin(years)].reset_index(drop=True)


def ze2020_a38_panel(years: Iterable[int] | None = range(MULTIPLIER_WINDOW[0], MULTIPLIER_WINDOW[1] + 1)) -> pd.DataFrame:
    """ZE2020 x A38 x year private employment from the official file (schema of ``load_urssaf_ze2020_a38``)."""
    return _years(tables(("ze2020",))["ze2020"], years, "ZE2020 x A38 employment")


def epci_a38_panel(years: Iterable[int] | None = None) -> pd.DataFrame:
    """EPCI (2024, SIREN) x A38 x year private employment from the official file."""
    return _years(tables(("epci",))["epci"], years, "EPCI x A38 employment")


def multiplier_estimates(classification: pd.DataFrame, regions: pd.Series, *,
                         windows: Sequence[tuple[int, int]] = (MULTIPLIER_WINDOW,),
                         definitions: Sequence[str] = ("footnote17", "footnote17_broad", "industry_only"),
                         specs: Sequence[tuple] = (("log", "ols", False, False), ("log", "ols", True, False),
                                                   ("log", "iv", False, False), ("log", "iv", True, False)),
                         tolerance: float = 0.01, cov: str = "cluster", panel: pd.DataFrame | None = None,
                         data_label: str = DATA_LABEL) -> tuple[pd.DataFrame, dict]:
    """Notebook-01 estimates on the official ZE2020 x A38 panel, metropolitan zones.

    ``regions``: ``zone -> region`` (e.g. the majority region of each ZE2020, as in notebook 01);
    zones of the overseas regions are left out by :func:`analysis.methods.multiplier.zone_employment`.
    ``panel``: a ZE2020 x A38 table to use instead of the official file (tests). Returns
    ``(results, panels)``: one row per (window, definition, spec) with the columns of
    :func:`analysis.methods.multiplier.estimate_grid` and ``data = data_label``; ``panels`` keyed by
    ``(data_label, "start-end", definition)`` holds the zone panels (drop reasons included).
    """
    years = sorted({y for w in windows for y in w})
    raw = panel if panel is not None else ze2020_a38_panel(years)
    employment = mp.zone_employment(raw, regions, zone="ze2020", sector="a38")
    tables_, panels = [], {}
    for start, end in windows:
        for definition in definitions:
            p = mp.zone_panel(employment, mp.sector_groups(classification, "a38", definition), start, end,
                              regions=regions, tolerance=tolerance)
            panels[(data_label, f"{start}-{end}", definition)] = p
            tables_.append(mp.estimate_grid(p, list(specs), cov=cov, data=data_label, window=f"{start}-{end}",
                                            definition=definition))
    return pd.concat(tables_, ignore_index=True), panels


def multiplier_note(results: pd.DataFrame | None = None, *, window: tuple[int, int] = MULTIPLIER_WINDOW,
                    data_label: str = DATA_LABEL) -> str:
    """Scoreboard sentence of notebook 01: which path produced the recorded value and the official estimate.

    The recorded headline is computed from the public-data mirror on either path. Offline (no
    official file, or ``ANALYSIS_OFFICIAL=offline``, or no ``data_label`` rows in ``results``) the
    sentence says so and how to add the official window. Online it adds the official ``window``
    estimate of the headline specification (footnote 17, log, employment-weighted OLS, no region
    fixed effects) from ``results`` (:func:`multiplier_estimates` rows): jobs per 100 exposed
    jobs with its region-clustered and AKM 95 % intervals and the number of zones.
    """
    rows = results[results["data"].eq(data_label)] if results is not None and "data" in results else None
    if not official.available() or rows is None or rows.empty:
        return f"recorded value from the {official.provenance_note()}"
    key = {"data": data_label, "window": f"{window[0]}-{window[1]}", "definition": "footnote17", "spec": "log",
           "method": "ols", "weighted": True, "region_fe": False}
    r = mp._select(rows, key).iloc[0]
    akm = (f", AKM {100 * r['m_low_akm']:.0f}-{100 * r['m_high_akm']:.0f}" if pd.notna(r.get("m_low_akm"))
           else ", AKM not computed")
    return (f"recorded value from the public-data mirror (offline files); {window[0]}-{window[1]} zones d'emploi 2020 "
            f"from the {official.provenance_note()}: weighted OLS footnote 17 {100 * r['m']:.0f} per 100 (clustered "
            f"{100 * r['m_low_cluster']:.0f}-{100 * r['m_high_cluster']:.0f}{akm}, {int(r['n'])} zones)")


def metropole_growth(sirens: Iterable[str], start: int = METROPOLE_WINDOW[0], end: int = METROPOLE_WINDOW[1],
                     sectors: Sequence[str] = ("industry", "manufacturing", "total"), *,
                     panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Private employment growth of EPCI (2024 SIREN, e.g. métropoles) by sector grouping, ``start``-``end``.

    Sector groupings as :func:`analysis.methods.dynamics.sector_codes` ('industry' = A38 BZ-EZ,
    'manufacturing' = C, 'total' = every A38). ``panel``: an EPCI x A38 table to use instead of
    the official file (tests). Growth follows the secret-cell rule of :mod:`analysis.methods.cells`
    (through :func:`analysis.methods.dynamics.growth_table`): computed on the EPCI x A38 cells present in
    both years, a cell absent or secret in one year is left out of both and counted. One row per
    (EPCI, sector): ``code``, ``name``, ``sector``, ``start``, ``end``, ``emp_start``, ``emp_end``
    (jobs), ``change``, ``growth`` (fraction), ``growth_pa``, ``n_cells``, ``n_cells_one_year``,
    ``share_one_year`` (the larger share of start- or end-year jobs in those cells),
    ``unreliable`` (share > 5 %), ``reason``, ``source``. An EPCI absent from the file raises.
    """
    sirens = [str(s) for s in sirens]
    t = panel if panel is not None else epci_a38_panel([start, end])
    t = t[t["year"].isin([start, end])]
    unknown = sorted(set(sirens) - set(t["epci"]))
    if unknown:
        raise official_aggregate.OfficialAggregateError(f"EPCI {unknown} not in the official EPCI x A38 table")
    names = t.drop_duplicates("epci").set_index("epci")["epci_name"]
    rows = []
    for sector in sectors:
        codes = dynamics.sector_codes(sector)
        d = t[t["epci"].isin(sirens) & (t["a38"].isin(codes) if codes else True)]
        cells = d.rename(columns={"epci": "code", "a38": "sector"})[["code", "sector", "year", "employment"]]
        g = dynamics.growth_table(cells, start, end)
        g.insert(1, "name", g["code"].map(names))
        g.insert(2, "sector", sector)
        g.insert(3, "start", start)
        g.insert(4, "end", end)
        rows.append(g)
    out = pd.concat(rows, ignore_index=True)
    out["source"] = "URSSAF commune x APE, official national export, EPCI 2024 x A38"
    return out.sort_values(["code", "sector"], ignore_index=True)
