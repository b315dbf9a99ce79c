"""An announced-jobs calculator: "a plant announces N jobs in sector S in territory T: how many local
sheltered jobs may follow?"

The answer applies the project's local multiplier (sheltered jobs per exposed job, URSSAF zones d'emploi 2020
x A38, 2019-2024, footnote-17 exposed sectors, employment-weighted IV with the shift-share instrument: 100.8 per
100, AKM0 95 % set 61.3 to 279.3) to the announcement, with every assumption printed:

- the multiplier is an AVERAGE effect over the estimation sample (the 284 usable metropolitan zones d'emploi),
  over a five-year long difference (2019-2024): it says what followed a change in exposed jobs on average, not what
  will follow in one territory;
- the announced jobs are taken as a net change in the territory's exposed employment (no displacement of other
  exposed jobs), in an exposed sector of the estimate's definition;
- the territory is measured on its zones d'emploi (its own zone, or the zones with at least half of their
  population in it): a territory that no zone of the estimation sample stands for is refused, and so is an
  announcement whose relative size lies beyond the changes observed in the sample (log change of exposed jobs).

Computing only: takes a resolved area and a :class:`analysis.methods.multiplier.MultiplierResult`
(:func:`headline_estimate` builds the default one from the public files).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.geo.areas import require_areas

__all__ = ["AnnouncedJobs", "AnnouncedJobsError", "announced_jobs", "headline_estimate", "HEADLINE"]

#: The estimate the calculator applies by default.
HEADLINE = {"panel": "urssaf_ze2020_a38", "window": (2019, 2024), "method": "iv", "definition": "footnote17"}


class AnnouncedJobsError(ValueError):
    """An announcement the calculator refuses (outside the estimation sample, a sheltered sector...)."""


def headline_estimate():
    """The default multiplier (:data:`HEADLINE`): URSSAF ZE2020 x A38, 2019-2024, IV, footnote 17, metropolitan."""
    from analysis.methods import multiplier, panels

    p = panels.panel(HEADLINE["panel"])
    return multiplier.local_multiplier(p, HEADLINE["window"], method=HEADLINE["method"],
                                       definition=HEADLINE["definition"])


@dataclass(frozen=True)
class AnnouncedJobs:
    """The calculator's answer: ``expected`` sheltered jobs (and the AKM0 set ``low``-``high``; ``high`` may be
    inf when the set is unbounded), with the inputs, the zones measured and the assumptions."""

    jobs: int
    sector: str
    sector_label: str
    territory: str
    zones: tuple
    m: float
    m_low: float
    m_high: float
    window: tuple
    log_change: float
    sample_range: tuple
    assumptions: tuple = field(repr=False)

    @property
    def expected(self) -> float:
        return self.jobs * self.m

    @property
    def low(self) -> float:
        return self.jobs * self.m_low

    @property
    def high(self) -> float:
        return self.jobs * self.m_high

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"territory": self.territory, "sector": self.sector, "announced_jobs": self.jobs,
                              "expected_sheltered_jobs": round(self.expected), "akm0_low": round(self.low),
                              "akm0_high": self.high if math.isinf(self.high) else round(self.high),
                              "multiplier_per_100": round(100 * self.m, 1), "window": f"{self.window[0]}-{self.window[1]}",
                              "zones": "; ".join(self.zones)}])

    def summary(self) -> str:
        high = "unbounded" if math.isinf(self.high) else f"{self.high:,.0f}"
        lines = [f"{self.jobs:,} announced jobs in {self.sector} ({self.sector_label}), {self.territory}:",
                 f"  expected local sheltered jobs: {self.expected:,.0f} (AKM0 95 % set {self.low:,.0f} to {high})",
                 f"  multiplier {100 * self.m:.1f} sheltered jobs per 100 exposed ({self.window[0]}-{self.window[1]}); "
                 f"measured on ZE2020 {zones_text(self.zones)}",
                 f"  the announcement is a {self.log_change:+.3f} log change of the zones' exposed jobs (sample range "
                 f"{self.sample_range[0]:+.3f} to {self.sample_range[1]:+.3f})",
                 "  assumptions:"]
        return "\n".join(lines + [f"  - {a}" for a in self.assumptions])


def zones_text(zones, most: int = 8) -> str:
    """Zone codes for a sentence: all of them up to ``most``, else their number, the first few and the last
    ('0055, 8401, 8402, 8403, 8404, 8405 ... 8435 (36 zones)'); the table (:meth:`AnnouncedJobs.to_frame`) keeps all."""
    zones = list(zones)
    if len(zones) <= most:
        return ", ".join(zones)
    return f"{', '.join(zones[:most - 2])} ... {zones[-1]} ({len(zones)} zones)"


def _zones_of(area) -> tuple[list[str], str]:
    """The zones d'emploi the announcement is measured on, and how they were chosen."""
    if area.level == "ze2020":
        return list(area.codes), "the zone d'emploi itself"
    z = area.zone_proxy("ze2020")
    if len(z):
        return list(z["zone"]), "the zones d'emploi with at least half of their population in the territory"
    inside = sorted(set(area.communes["ze2020"].dropna()))
    if len(inside) == 1:  # a commune, or a territory wholly inside one zone: its own labour market
        return inside, "the zone d'emploi that holds the whole territory (its labour market)"
    return [], ""


def announced_jobs(jobs, area, sector: str, *, estimate=None, sector_labels: pd.Series | None = None) -> AnnouncedJobs:
    """Sheltered jobs that may follow ``jobs`` announced jobs in A38 ``sector`` in ``area`` (a resolved
    :class:`analysis.geo.areas.Area`). ``estimate``: a :class:`analysis.methods.multiplier.MultiplierResult` on
    A38 sectors (default :func:`headline_estimate`); ``sector_labels``: code -> label (the panel's). Raises :class:`AnnouncedJobsError` naming the input that is
    outside what the estimate can say."""
    if isinstance(jobs, bool) or not isinstance(jobs, numbers.Real) or not float(jobs).is_integer() or jobs <= 0:
        got = f"{jobs:g}" if isinstance(jobs, numbers.Real) and not isinstance(jobs, bool) else repr(jobs)
        raise AnnouncedJobsError(f"jobs must be a positive whole number of jobs, got {got}")
    require_areas(area, "announced_jobs")
    jobs = int(jobs)
    if estimate is None:
        from analysis.methods import panels

        estimate = headline_estimate()
        sector_labels = panels.panel(HEADLINE["panel"]).sector_labels if sector_labels is None else sector_labels
    est = estimate
    panel = est.panel
    sector = str(sector).strip().upper()
    share_cols = [c for c in panel.columns if c.startswith("share_")]
    exposed = [c[len("share_"):] for c in share_cols]
    if sector not in exposed:
        raise AnnouncedJobsError(
            f"sector {sector!r} is not an exposed sector of the estimate (definition {est.definition}); the multiplier "
            f"applies to exposed jobs: {', '.join(exposed)}")
    usable = panel[panel["drop_reason"] == ""]
    zones, chosen = _zones_of(area)
    if not zones:
        raise AnnouncedJobsError(f"{area.name}: no zone d'emploi 2020 has half of its population in the territory and "
                                 "the territory spans several zones; the multiplier is estimated on zones d'emploi and "
                                 "cannot be applied to it")
    out = [z for z in zones if z not in set(usable["zone"])]
    if out:
        why = "overseas zones are left out of the estimation sample" if area.overseas else \
            "they are not usable zones of the estimation sample"
        raise AnnouncedJobsError(f"{area.name}: zone(s) d'emploi {', '.join(out)} are outside the estimation sample "
                                 f"({why}); the calculator refuses to extrapolate")
    z = usable[usable["zone"].isin(zones)]
    base = float(z["exposed_1"].sum())
    log_change = math.log((base + jobs) / base) if base > 0 else math.inf
    lo, hi = float(usable["dln_exposed"].min()), float(usable["dln_exposed"].max())
    if log_change > hi:
        raise AnnouncedJobsError(
            f"{jobs:,} jobs would raise the exposed employment of ZE2020 {zones_text(zones)} ({base:,.0f} jobs at the end "
            f"of {est.window[1]}) by {log_change:.3f} in logs, beyond the largest change in the estimation sample "
            f"({hi:.3f}): outside what the estimate has seen")
    ci = est.conf_int("akm0").loc["m"]
    m_low, m_high = float(ci["lower"]), float(ci["upper"])
    label = str(sector_labels.get(sector, "")) if sector_labels is not None else ""
    assumptions = (
        f"average effect over the estimation sample ({len(usable)} usable metropolitan zones d'emploi, {est.window[0]}-"
        f"{est.window[1]} long difference): what followed a change of exposed jobs on average, not a forecast for one "
        "territory",
        "the announced jobs are a net addition to the territory's exposed jobs (no displacement, no commuting leak)",
        f"sectors exposed under the definition {est.definition}; the multiplier does not depend on which exposed sector",
        f"the territory is measured on {chosen} ({zones_text(zones)}); the AKM0 set is the interval robust to "
        "shift-share exposure (it may be unbounded above)",
    )
    return AnnouncedJobs(jobs=jobs, sector=sector, sector_label=label, territory=area.name, zones=tuple(zones),
                         m=float(est.m), m_low=m_low, m_high=m_high if np.isfinite(m_high) else math.inf,
                         window=tuple(est.window), log_change=log_change, sample_range=(lo, hi),
                         assumptions=assumptions)
