"""Per-process tables that most notebooks build first, built once in the kernel zygote.

A notebook's kernel spends its first seconds on the same work as every other notebook: the area
resolver of :mod:`analysis.geo.areas` (the 2024 communes with their zonings and populations, the
Territoires d'industrie of both waves, the population of every zone d'emploi) and the parsed tables
that most notebooks read (zone d'emploi outlines, URSSAF and ESTEL employment, the TI members...).
Each is memoised per process anyway. :func:`warm` builds them in the zygote of
:mod:`analysis.run.kernel_fork` before it forks any kernel, so that every forked kernel starts with them
in memory, exactly as if it had built them itself (the same functions on the same verified files).

Only tables already in the data cache are read: with a cold cache :func:`warm` leaves the parsing to
the kernels, as without a zygote. The memoised tables are valid for the data folders the zygote saw;
a kernel started with other ones (any of :data:`ENVIRONMENT` differs) calls :func:`forget` first and
builds its own.
"""

from __future__ import annotations

import functools
import sys
import time

#: Environment variables that choose which data a process reads: a kernel whose values differ from the
#: zygote's forgets the zygote's tables.
ENVIRONMENT = ("ANALYSIS_DATA_MIRROR", "ANALYSIS_DATA_CACHE", "ANALYSIS_OFFICIAL", "ANALYSIS_OFFICIAL_DIR",
               "HOME", "XDG_CACHE_HOME")

#: Parsed tables read by three notebooks or more (loader names of :mod:`analysis.data.loaders`).
TABLES = ("geo.load_ze2020_shapes", "geo.load_ti_geometries", "geo.load_region_shapes", "geo.load_epci_shapes",
          "employment.load_urssaf_totals_by_area", "employment.load_estel_ze2010_salaried",
          "employment.load_urssaf_ze2020_a38", "employment.load_territorial_indicators_epci",
          "ets.load_eutl_emissions_fr_geo")

#: Employment cells (source, sector grouping) of :mod:`analysis.methods.dynamics` asked for by three notebooks or more.
CELLS = (("urssaf_totals_by_area", "total"), ("urssaf_ze2020_a38", "industry"), ("urssaf_ze2020_a38", "total"),
         ("estel_ze2010_salaried", "industry"), ("estel_ze2010_salaried", "total"))


def _loader(name: str):
    import importlib

    module, func = name.rsplit(".", 1)
    return getattr(importlib.import_module(f"analysis.data.loaders.{module}"), func)


def _cached(loader) -> bool:
    return loader.cache_path().is_file()


def warm() -> list[str]:
    """Build the resolver and read :data:`TABLES` and :data:`CELLS` into this process's memos, when the
    data cache holds them. Returns one line per item done (with its time) or skipped (with why)."""
    from analysis.methods import dynamics
    from analysis.geo import areas as geography
    from analysis.data.loaders import employment, geo

    done = []

    def step(label: str, needs, work) -> None:
        missing = [f.__name__ for f in needs if not _cached(f)]
        if missing:
            done.append(f"{label}: skipped, not in the data cache yet ({', '.join(missing)})")
            return
        t0 = time.perf_counter()
        work()
        done.append(f"{label}: {time.perf_counter() - t0:.2f} s")

    resolver_tables = [geo.load_communes_2024, geo.load_supra_communal_zones_2024, geo.load_epci_communes,
                       employment.load_ze2010_composition, geo.load_ti_members, geo.load_metropoles]
    step("area resolver", resolver_tables, geography.resolver)
    for name in TABLES:
        loader = _loader(name)
        step(name, [loader], loader)
    for source, sector in CELLS:
        loader = getattr(employment, dynamics._SOURCE_LOADERS[source])
        years = dynamics.SOURCES[source].years
        needs = [loader] + ([geo.load_arrondissements_2024] if source == "urssaf_totals_by_area" else [])
        step(f"cells {source} x {sector}", needs,
             lambda source=source, sector=sector, years=years: dynamics._load_cells(source, sector, years, copy=False))
    return done


def forget() -> None:
    """Drop every table memoised in this process: the functools caches of the :mod:`analysis`
    modules, the decoded parsed tables (:mod:`analysis.data.cache`) and the claims register."""
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "analysis" or name.startswith("analysis.")):
            continue
        for obj in list(vars(module).values()):
            if isinstance(obj, functools._lru_cache_wrapper):
                obj.cache_clear()
    from analysis.data import cache
    from analysis.report import claims

    cache._READ.clear()
    claims._REGISTER.clear()


def same_data(a: dict, b: dict) -> bool:
    """Whether two environments choose the same data (:data:`ENVIRONMENT`)."""
    return all(a.get(k) == b.get(k) for k in ENVIRONMENT)
