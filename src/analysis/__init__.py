"""Recalcul: recompute the statistics cited in French re-industrialisation reports from public data.

``import analysis as rc`` gives the public API below; each name is imported on first use (``import analysis``
itself loads nothing heavy). Layers and what each may import: ``ARCHITECTURE.md``.

- territories: :func:`resolve`, :func:`resolve_many`, :class:`Area`, :func:`lookup`, :func:`check_request`,
  :func:`communes`, :func:`area_communes`, :func:`ti_communes`, :func:`code_names`, :func:`ti_names`;
- employment and the secret-cell rule: :func:`employment_growth`, :func:`employment_series`,
  :func:`employment_cells`, :func:`growth_table`, :func:`sector_codes`, :func:`cell_table`, :func:`summarise`,
  :func:`growth_on_common_cells`;
- local multiplier and shift-share: :func:`local_multiplier`, :func:`zone_panel`, :func:`long_differences`,
  :func:`estimate`, :func:`rotemberg_weights`, :func:`summary_table`, :func:`load_sector_classification`,
  :func:`sector_groups`, :func:`reg_ss`, :func:`ivreg_ss`, :func:`shock_level_iv` (Borusyak-Hull-Jaravel),
  :func:`shock_balance`, :func:`effective_shocks`; result objects with ``params``, ``bse``, ``conf_int(method=...)``,
  ``summary()``, ``to_latex()``, set side by side by :func:`etable` (one meaning per inference label:
  ``analysis.methods.results.INFERENCE_LABELS``); analysis-ready panels of notebook 01: :func:`panel` (``"estel_ze2010"``,
  ``"urssaf_ze2020_a38"``, ``"ete_dep_a17"``), :func:`zone_regions`, :func:`prepare_ete`;
- claims and figures: :func:`load_claims`, :func:`scoreboard`, :func:`record_claim`, :func:`save_figure`,
  :func:`use_style`, :func:`tr`; profiles: :func:`territory`, :func:`key_figures` (each figure with what it
  measured), :func:`key_figures_many`, :func:`render_profile`; the atlas: :func:`compare`, :func:`ranking`,
  :func:`atlas_territory`; :func:`announced_jobs`;
- every loader of a public file (``load_*``, one per registered file, tidy validated DataFrames).
"""

from __future__ import annotations

import importlib
import warnings as _warnings

__version__ = "0.1.0"

# papermill (profiles) brings tqdm, which pooch then imports as tqdm.auto: in a Jupyter kernel without
# ipywidgets that prints a TqdmWarning into the first cell of every notebook. Downloads need no progress bar.
_warnings.filterwarnings("ignore", message="IProgress not found", module="tqdm")

#: public name -> (module, attribute)
_API: dict[str, tuple[str, str]] = {
    "Area": ("analysis.geo.areas", "Area"),
    "UnknownAreaError": ("analysis.geo.areas", "UnknownAreaError"),
    "resolve": ("analysis.geo.areas", "resolve"),
    "resolve_many": ("analysis.geo.areas", "resolve_many"),
    "communes": ("analysis.geo.areas", "communes"),
    "area_communes": ("analysis.geo.areas", "area_communes"),
    "ti_communes": ("analysis.geo.areas", "ti_communes"),
    "code_names": ("analysis.geo.areas", "code_names"),
    "ti_names": ("analysis.geo.areas", "ti_names"),
    "lookup": ("analysis.geo.lookup", "lookup"),
    "check_request": ("analysis.geo.request", "check_request"),
    "cell_table": ("analysis.methods.cells", "cell_table"),
    "summarise": ("analysis.methods.cells", "summarise"),
    "growth_on_common_cells": ("analysis.methods.cells", "growth_on_common_cells"),
    "employment_growth": ("analysis.methods.dynamics", "employment_growth"),
    "employment_series": ("analysis.methods.dynamics", "employment_series"),
    "employment_cells": ("analysis.methods.dynamics", "employment_cells"),
    "growth_table": ("analysis.methods.dynamics", "growth_table"),
    "sector_codes": ("analysis.methods.dynamics", "sector_codes"),
    "local_multiplier": ("analysis.methods.multiplier", "local_multiplier"),
    "zone_panel": ("analysis.methods.multiplier", "zone_panel"),
    "long_differences": ("analysis.methods.multiplier", "long_differences"),
    "estimate": ("analysis.methods.multiplier", "estimate"),
    "rotemberg_weights": ("analysis.methods.multiplier", "rotemberg_weights"),
    "summary_table": ("analysis.methods.multiplier", "summary_table"),
    "load_sector_classification": ("analysis.methods.multiplier", "load_sector_classification"),
    "sector_groups": ("analysis.methods.multiplier", "sector_groups"),
    "reg_ss": ("analysis.methods.shiftshare", "reg_ss"),
    "ivreg_ss": ("analysis.methods.shiftshare", "ivreg_ss"),
    "ShiftShareResult": ("analysis.methods.shiftshare", "ShiftShareResult"),
    "MultiplierResult": ("analysis.methods.multiplier", "MultiplierResult"),
    "Panel": ("analysis.methods.multiplier", "Panel"),
    "shock_level_iv": ("analysis.methods.shocklevel", "shock_level_iv"),
    "shock_balance": ("analysis.methods.shocklevel", "shock_balance"),
    "effective_shocks": ("analysis.methods.shocklevel", "effective_shocks"),
    "ShockLevelResult": ("analysis.methods.shocklevel", "ShockLevelResult"),
    "etable": ("analysis.methods.results", "etable"),
    "panel": ("analysis.methods.panels", "panel"),
    "zone_regions": ("analysis.methods.panels", "zone_regions"),
    "prepare_ete": ("analysis.methods.panels", "prepare_ete"),
    "load_claims": ("analysis.report.claims", "load_claims"),
    "scoreboard": ("analysis.report.claims", "scoreboard"),
    "record_claim": ("analysis.report.claims", "record"),
    "save_figure": ("analysis.report.figures", "save_figure"),
    "show_table": ("analysis.report.tables", "show_table"),
    "use_style": ("analysis.report.figures", "use_style"),
    "tr": ("analysis.report.figures", "tr"),
    "key_figures": ("analysis.methods.territory_figures", "key_figures"),
    "key_figures_many": ("analysis.methods.territory_figures", "key_figures_many"),
    "announced_jobs": ("analysis.methods.announced", "announced_jobs"),
    "compare": ("analysis.report.atlas", "compare"),
    "ranking": ("analysis.report.atlas", "ranking"),
    "atlas_territory": ("analysis.report.atlas", "territory"),
    "territory": ("analysis.report.profile", "territory"),
    "render_profile": ("analysis.report.profile", "render"),
    "load_anct_departements": ("analysis.data.loaders.geo", "load_anct_departements"),
    "load_anct_regions": ("analysis.data.loaders.geo", "load_anct_regions"),
    "load_arrondissements_2024": ("analysis.data.loaders.geo", "load_arrondissements_2024"),
    "load_base_carbone": ("analysis.data.loaders.energy", "load_base_carbone"),
    "load_biomethane_injection_points": ("analysis.data.loaders.energy", "load_biomethane_injection_points"),
    "load_cartofriches_sites": ("analysis.data.loaders.programme", "load_cartofriches_sites"),
    "load_census_functions": ("analysis.data.loaders.employment", "load_census_functions"),
    "load_chomage_ze2020_2003_2023": ("analysis.data.loaders.unemployment", "load_chomage_ze2020_2003_2023"),
    "load_chomage_ze2020_2021_2025": ("analysis.data.loaders.unemployment", "load_chomage_ze2020_2021_2025"),
    "load_communes_2018_auvergne_shapes": ("analysis.data.loaders.geo", "load_communes_2018_auvergne_shapes"),
    "load_communes_2024": ("analysis.data.loaders.geo", "load_communes_2024"),
    "load_departement_shapes": ("analysis.data.loaders.geo", "load_departement_shapes"),
    "load_departements_2018_simplified": ("analysis.data.loaders.geo", "load_departements_2018_simplified"),
    "load_epci_centroids": ("analysis.data.loaders.geo", "load_epci_centroids"),
    "load_epci_communes": ("analysis.data.loaders.geo", "load_epci_communes"),
    "load_epci_reference": ("analysis.data.loaders.geo", "load_epci_reference"),
    "load_epci_shapes": ("analysis.data.loaders.geo", "load_epci_shapes"),
    "load_estel_france_a5": ("analysis.data.loaders.employment", "load_estel_france_a5"),
    "load_estel_ze2010_nonsalaried": ("analysis.data.loaders.employment", "load_estel_ze2010_nonsalaried"),
    "load_estel_ze2010_salaried": ("analysis.data.loaders.employment", "load_estel_ze2010_salaried"),
    "load_estel_ze2020_total": ("analysis.data.loaders.employment", "load_estel_ze2020_total"),
    "load_ete_departement_a17": ("analysis.data.loaders.employment", "load_ete_departement_a17"),
    "load_eurostat_energy_balance": ("analysis.data.loaders.energy", "load_eurostat_energy_balance"),
    "load_eutl_emissions_fr_geo": ("analysis.data.loaders.ets", "load_eutl_emissions_fr_geo"),
    "load_eutl_installations_fr": ("analysis.data.loaders.ets", "load_eutl_installations_fr"),
    "load_flores_ze2020_a38": ("analysis.data.loaders.employment", "load_flores_ze2020_a38"),
    "load_fonds_friches": ("analysis.data.loaders.programme", "load_fonds_friches"),
    "load_ggdc_france_employment": ("analysis.data.loaders.ggdc", "load_ggdc_france_employment"),
    "load_groupement_adhesions": ("analysis.data.loaders.banatic", "load_groupement_adhesions"),
    "load_heat_networks_dpe": ("analysis.data.loaders.energy", "load_heat_networks_dpe"),
    "load_metiers_2030": ("analysis.data.loaders.programme", "load_metiers_2030"),
    "load_metropoles": ("analysis.data.loaders.geo", "load_metropoles"),
    "load_odre_consumption_region_naf": ("analysis.data.loaders.energy", "load_odre_consumption_region_naf"),
    "load_odre_wind_solar_capacity": ("analysis.data.loaders.energy", "load_odre_wind_solar_capacity"),
    "load_patents_by_departement": ("analysis.data.loaders.programme", "load_patents_by_departement"),
    "load_region_shapes": ("analysis.data.loaders.geo", "load_region_shapes"),
    "load_rte_balances": ("analysis.data.loaders.energy", "load_rte_balances"),
    "load_rte_hydrogen": ("analysis.data.loaders.energy", "load_rte_hydrogen"),
    "load_shiftsharese_adh": ("analysis.data.loaders.validation", "load_shiftsharese_adh"),
    "load_siren_insee_2019": ("analysis.data.loaders.banatic", "load_siren_insee_2019"),
    "load_supra_communal_zones_2024": ("analysis.data.loaders.geo", "load_supra_communal_zones_2024"),
    "load_syndicats_communes_2021": ("analysis.data.loaders.banatic", "load_syndicats_communes_2021"),
    "load_territorial_indicators_epci": ("analysis.data.loaders.employment", "load_territorial_indicators_epci"),
    "load_territorial_indicators_ze2020": ("analysis.data.loaders.employment", "load_territorial_indicators_ze2020"),
    "load_ti_geometries": ("analysis.data.loaders.geo", "load_ti_geometries"),
    "load_ti_members": ("analysis.data.loaders.geo", "load_ti_members"),
    "load_urssaf_commune_ape_rouen": ("analysis.data.loaders.employment", "load_urssaf_commune_ape_rouen"),
    "load_urssaf_france_a21": ("analysis.data.loaders.employment", "load_urssaf_france_a21"),
    "load_urssaf_region_na28_quarterly": ("analysis.data.loaders.employment", "load_urssaf_region_na28_quarterly"),
    "load_urssaf_totals_by_area": ("analysis.data.loaders.employment", "load_urssaf_totals_by_area"),
    "load_urssaf_ze2020_a38": ("analysis.data.loaders.employment", "load_urssaf_ze2020_a38"),
    "load_ze2010_composition": ("analysis.data.loaders.employment", "load_ze2010_composition"),
    "load_ze2020_reference": ("analysis.data.loaders.geo", "load_ze2020_reference"),
    "load_ze2020_shapes": ("analysis.data.loaders.geo", "load_ze2020_shapes"),
}

__all__ = list(_API)


def __getattr__(name: str):
    """Import a public name on first use (PEP 562); subpackages (``rc.methods``...) load as usual."""
    if name in _API:
        module, attribute = _API[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    if name in ("data", "geo", "methods", "report", "run", "paths", "cli"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}; the public API is analysis.__all__")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
