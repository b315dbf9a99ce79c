"""GGDC 10-Sector Database (Groningen Growth and Development Centre, January 2015 release).

Timmer, de Vries and de Vries (2015), "Patterns of structural change in developing countries".
Persons engaged (employees and self-employed, thousands) and value added by 10 sectors,
1950-2011, 42 countries. Only France's persons engaged are loaded here.
"""

from __future__ import annotations

import io
import zipfile

import pandas as pd

from analysis.data.cache import parsed
from analysis.data.validate import SchemaError, check_unique, require_columns
from analysis.data.validate import source_name as _src

GGDC_10SD = "ggdc_10_sector_database_jan2015"
#: The ten sectors (ISIC rev. 3.1 groupings) and the total.
SECTORS = {
    "AGR": "Agriculture", "MIN": "Mining", "MAN": "Manufacturing", "PU": "Utilities", "CON": "Construction",
    "WRT": "Trade, restaurants and hotels", "TRA": "Transport, storage and communication",
    "FIRE": "Finance, insurance, real estate and business services", "GOV": "Government services",
    "OTH": "Community, social and personal services", "SUM": "Total",
}


@parsed(GGDC_10SD, 1)
def load_ggdc_france_employment(path) -> pd.DataFrame:
    """Persons engaged in France by sector, thousands, 1950 and 1954-2011 (GGDC 10SD, Jan 2015).

    Long layout: ``year``, ``sector`` (keys of :data:`SECTORS`), ``persons_thousands``. Years with
    no data (1948-1949, 1951-1953) are dropped, never filled with zeros. Industry in the sense of
    INSEE's B-E is ``MIN + MAN + PU``.
    """
    src = _src(GGDC_10SD)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        if "10SD_jan15.dta" not in names:
            raise SchemaError(f"{src}: the zip holds {names}, expected 10SD_jan15.dta")
        raw = pd.read_stata(io.BytesIO(zf.read("10SD_jan15.dta")))
    require_columns(raw, ["Country", "Variable", "Year", *SECTORS], src)
    fr = raw[(raw["Country"] == "FRA") & (raw["Variable"] == "EMP")]
    if fr.empty:
        raise SchemaError(f"{src}: no rows with Country == 'FRA' and Variable == 'EMP'")
    long = fr.melt(id_vars=["Year"], value_vars=list(SECTORS), var_name="sector", value_name="persons_thousands")
    long = long.rename(columns={"Year": "year"}).dropna(subset=["persons_thousands"])
    long["year"] = long["year"].astype(int)
    long["persons_thousands"] = long["persons_thousands"].astype(float)
    check_unique(long, ["year", "sector"], src)
    years = sorted(long["year"].unique())
    if years[0] != 1950 or years[-1] != 2011:
        raise SchemaError(f"{src}: France's persons engaged should span 1950-2011, got {years[0]}-{years[-1]}")
    return long.sort_values(["year", "sector"], ignore_index=True)
