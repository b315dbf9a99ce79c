"""The analysis-ready panels of notebook 01, with their regions and sector labels, in one call each.

:func:`panel` returns a :class:`analysis.methods.multiplier.Panel` (``data`` = ``zone``, ``sector``, ``year``,
``employment`` in jobs; ``regions`` = ``zone -> region``; ``level``; ``sector_labels``; ``sample``):

* ``"estel_ze2010"``: INSEE ESTEL salaried employment at 31 December, zones d'emploi 2010 x 5 sectors (AZ, BE,
  FZ, GU, OQ), 1998-2017; the 9 interregional zones placed in the region holding most of their population;
* ``"urssaf_ze2020_a38"``: URSSAF private salaried headcount at 31 December, zones d'emploi 2020 x A38, 2019,
  2022-2024; each zone's region is the one holding most of its population;
* ``"ete_dep_a17"``: INSEE quarterly salaried employment (ETE) by département x A17, fourth quarter,
  2001-2019, market sectors (AZ and OQ left out: published only from 2010-T4), :func:`prepare_ete`.

``sample="metropolitan"`` (default) keeps the zones whose region is not overseas
(:data:`analysis.geo.tables.OVERSEAS_REGIONS`); ``sample="all"`` keeps every zone of the file. The helpers
behind them, :func:`zone_regions` and :func:`prepare_ete`, were notebook cells. Loading uses the package's
loaders (hash-checked public files); nothing here estimates.
"""

from __future__ import annotations

import pandas as pd

from analysis.data.loaders import employment
from analysis.geo import tables
from analysis.geo.tables import OVERSEAS_REGIONS
from analysis.methods import multiplier as mp

#: name -> (sector level, description)
PANELS = {
    "estel_ze2010": ("estel", "INSEE ESTEL salaried employment at 31 December, zones d'emploi 2010 x 5 sectors, "
                              "1998-2017"),
    "urssaf_ze2020_a38": ("a38", "URSSAF private salaried headcount at 31 December, zones d'emploi 2020 x A38, "
                                 "2019 and 2022-2024 (no farm employees, apprentices counted from 2023)"),
    "ete_dep_a17": ("a17", "INSEE ETE salaried employment by département x A17, fourth quarter, 2001-2019, "
                           "market sectors (AZ and OQ left out)"),
}
ZONINGS = ("ze2020", "ze2010", "dep")
#: the years each panel holds (a window's start and end must both be among them; checked against the loaded
#: data by tests/test_whatif.py), read by the what-if runs to refuse a window before any work
YEARS = {
    "estel_ze2010": tuple(range(1998, 2018)),
    "urssaf_ze2020_a38": (2019, 2022, 2023, 2024),
    "ete_dep_a17": tuple(range(2001, 2020)),
}
#: notebook 01's headline levels (its parameter ``LEVEL``) -> panel name
LEVEL_PANELS = {"ze2010": "estel_ze2010", "dep": "ete_dep_a17", "ze2020": "urssaf_ze2020_a38"}


def zone_regions(zoning: str = "ze2020") -> pd.Series:
    """``zone -> region`` (2016 region codes) for every zone of ``zoning``, named ``region``, sorted by zone.

    ``"ze2020"`` and ``"dep"``: the region holding most of the zone's population (INSEE 2024 commune table,
    Etalab populations; :func:`analysis.geo.tables.main_zones`). ``"ze2010"``: the region ESTEL gives each
    zone, the 9 interregional zones (marked ``INT``) placed in their majority region
    (:func:`analysis.methods.multiplier.place_zones`).
    """
    if zoning not in ZONINGS:
        raise mp.MultiplierError(f"zoning must be one of {ZONINGS}, got {zoning!r}")
    if zoning == "ze2010":
        majority = tables.main_zones(tables.area_communes("ze2010"), zoning="reg").set_index("code")["reg"]
        raw = employment.load_estel_ze2010_salaried()
        return mp.place_zones(raw.drop_duplicates("ze2010").set_index("ze2010")["region"], majority)
    out = tables.main_zones(tables.area_communes(zoning), zoning="reg").set_index("code")["reg"]
    return out.sort_index().rename("region").rename_axis("zone")


def prepare_ete(ete: pd.DataFrame, *, quarter: int = 4, sample: str = "metropolitan",
                drop_sectors=("AZ", "OQ")) -> tuple[pd.DataFrame, pd.Series]:
    """The ETE département x A17 table as the estimator takes it, and each département's region.

    ``ete``: :func:`analysis.data.loaders.employment.load_ete_departement_a17` (one row per département,
    sector, year and quarter). Keeps ``quarter`` (4: end of year, like the 31 December headcounts of the
    zone files), the metropolitan départements (``sample="metropolitan"``) and drops ``drop_sectors``
    (AZ and OQ: published only from 2010-T4, so empty over earlier windows). Returns ``(employment, regions)``:
    ``zone`` (département code), ``sector``, ``year``, ``employment`` (jobs), and ``zone -> region``.
    """
    if sample not in mp.SAMPLES:
        raise mp.MultiplierError(f"sample must be one of {mp.SAMPLES}, got {sample!r}")
    if quarter not in (1, 2, 3, 4):
        raise mp.MultiplierError(f"quarter must be 1, 2, 3 or 4, got {quarter!r}")
    keep = (ete["quarter"] == quarter) & ~ete["sector"].isin(list(drop_sectors))
    if sample == "metropolitan":
        keep &= ~ete["region"].isin(list(OVERSEAS_REGIONS))
    q = ete[keep]
    dept = q.rename(columns={"dep": "zone"})[["zone", "sector", "year", "employment"]].reset_index(drop=True)
    regions = q.drop_duplicates("dep").set_index("dep")["region"].rename("region").rename_axis("zone")
    return dept, regions


def _labels(level: str) -> pd.Series:
    c = mp.load_sector_classification()
    rows = c[c["level"] == level]
    return pd.Series(rows["label"].to_numpy(), index=rows["code"].to_numpy(), name="label").rename_axis("sector")


def panel(name: str, *, sample: str = "metropolitan") -> mp.Panel:
    """One of the analysis-ready panels of notebook 01 (:data:`PANELS`), with its regions and sector labels;
    ``name`` may also be the level of notebook 01's ``LEVEL`` parameter (:data:`LEVEL_PANELS`: 'ze2010', 'dep',
    'ze2020').

    >>> p = panel("ete_dep_a17")
    >>> p.data["zone"].nunique(), p.level, p.sample, p.sector_labels["KZ"][:20]
    (96, 'a17', 'metropolitan', 'Activités financière')
    """
    name = LEVEL_PANELS.get(name, name)  # the level notebook 01's LEVEL parameter names: 'ze2010', 'dep', 'ze2020'
    if name not in PANELS:
        raise mp.MultiplierError(f"unknown panel {name!r}; panels: {sorted(PANELS)}, or by level: "
                                 + ", ".join(f"{lv} ({p})" for lv, p in LEVEL_PANELS.items()))
    if sample not in mp.SAMPLES:
        raise mp.MultiplierError(f"sample must be one of {mp.SAMPLES}, got {sample!r}")
    level, description = PANELS[name]
    exclude = OVERSEAS_REGIONS if sample == "metropolitan" else ()
    if name == "estel_ze2010":
        regions = zone_regions("ze2010")
        data = mp.zone_employment(employment.load_estel_ze2010_salaried(), regions, zone="ze2010", sector="sector",
                                  exclude_regions=exclude, drop_sectors=["TT"])
    elif name == "urssaf_ze2020_a38":
        regions = zone_regions("ze2020")
        data = mp.zone_employment(employment.load_urssaf_ze2020_a38(), regions, zone="ze2020", sector="a38",
                                  exclude_regions=exclude)
    else:
        data, regions = prepare_ete(employment.load_ete_departement_a17(), sample=sample)
    regions = regions[regions.index.isin(pd.unique(data["zone"]))].sort_index()
    return mp.Panel(name=name, data=data, regions=regions, level=level, sector_labels=_labels(level),
                    sample=sample, description=description)
