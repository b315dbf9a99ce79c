"""Charts by family: drawing only, from tables the methods computed (French labels by default).

One module per family; every chart is also reachable here (``from analysis.report import charts``).
"""

from analysis.report.charts.territory import top_emitters, long_run, unemployment_editions, pole_map, area_emissions_trend, METRO_BOUNDS  # noqa: F401
from analysis.report.charts.multiplier import plot_scatter, plot_comparison, plot_forest  # noqa: F401
from analysis.report.charts.dynamics import plot_transition_matrices, plot_growth_map, plot_growth_bars  # noqa: F401
from analysis.report.charts.energy import plot_rte_paths, plot_industry_electricity, plot_biomethane_sites, plot_biomethane_map  # noqa: F401
from analysis.report.charts.instruments import plot_friches_calls, plot_published_context  # noqa: F401
