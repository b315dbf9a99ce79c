"""The measured-figure record: every territorial figure says what it measured.

A figure printed by a profile, a notebook table, the atlas or the scoreboard is one
:class:`Measured` (or one row of a frame with :data:`COLUMNS`):

- ``figure``: stable id (``population``, ``private_jobs``, ``industry_jobs_growth_pct``...);
- ``value`` (NaN / None when missing, never 0 for an unknown), ``unit``;
- ``period``: the year ('2024'), window ('2019-2024') or quarter ('2025-T4') measured;
- ``base``: one of :data:`BASES` -- what was measured, relative to the territory asked for:
  ``own geography`` (the territory's own communes or EPCIs), ``census (own geography)`` (a census
  figure on the territory's own EPCIs or communes), ``zone proxy`` (zones d'emploi standing for the
  territory: ANOTHER area), ``zone rates (inhabitant-weighted)`` (rates of the zones where its
  inhabitants live, assumed uniform inside a zone), or ``''`` for a missing figure;
- ``area_measured``: codes and names of the area actually measured;
- ``coverage_pct``: share of the territory's population that the measured area covers (100 for
  its own geography; for a zone proxy, the share of its inhabitants living in the proxy zones);
- ``measured_population``: inhabitants of the area measured (a zone proxy can be larger than the
  territory: compare with the territory's population);
- ``source``: registry key(s) of the public file(s), ``data/registry.csv``;
- ``secret_share_pct``: share of the cells behind the figure that are secret or missing (for a
  growth rate, the share of employment held by cells present in one year only);
- ``note``: the reason when the value is missing, and any caveat (a lower bound, a definition).

Computing only: no plotting, no file access.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable

import pandas as pd

__all__ = ["Measured", "COLUMNS", "BASES", "OWN", "CENSUS", "ZONE_PROXY", "ZONE_RATES", "MISSING", "to_frame",
           "is_proxy"]

OWN = "own geography"
CENSUS = "census (own geography)"
ZONE_PROXY = "zone proxy"
ZONE_RATES = "zone rates (inhabitant-weighted)"
MISSING = ""
#: The bases a figure can have, from the closest to the territory to the farthest.
BASES = (OWN, CENSUS, ZONE_RATES, ZONE_PROXY, MISSING)
#: Columns of a measured-figure table, in order.
COLUMNS = ["figure", "value", "unit", "period", "base", "area_measured", "coverage_pct", "measured_population",
           "source", "secret_share_pct", "note"]


@dataclass(frozen=True)
class Measured:
    """One figure with what it measured (see the module docstring for each field)."""

    figure: str
    value: float | int | str | None
    unit: str
    period: str
    base: str
    area_measured: str = ""
    coverage_pct: float | None = None
    measured_population: int | None = None
    source: str = ""
    secret_share_pct: float | None = None
    note: str = ""

    def __post_init__(self):
        if self.base not in BASES:
            raise ValueError(f"figure {self.figure!r}: base {self.base!r} is not one of {BASES}")
        if self.missing and self.base != MISSING:
            raise ValueError(f"figure {self.figure!r}: a missing value has no base (got {self.base!r})")
        if self.missing and not self.note:
            raise ValueError(f"figure {self.figure!r}: a missing value needs its reason in `note`")

    @property
    def missing(self) -> bool:
        v = self.value
        return v is None or (isinstance(v, float) and math.isnan(v))

    @classmethod
    def absent(cls, figure: str, unit: str, period: str, reason: str, *, source: str = "") -> "Measured":
        """A figure that could not be computed: its row is kept, empty, with the reason."""
        return cls(figure, None, unit, period, MISSING, source=source, note=reason)


def is_proxy(base: str) -> bool:
    """Whether a base measures another area than the territory (a zone proxy)."""
    return base == ZONE_PROXY


def to_frame(records: Iterable[Measured]) -> pd.DataFrame:
    """A table with :data:`COLUMNS`, one row per figure (``value`` kept as object: numbers and labels)."""
    rows = [asdict(r) for r in records]
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["value"] = pd.Series([r["value"] for r in rows], index=out.index, dtype=object)  # ints stay ints, None missing
    return out
