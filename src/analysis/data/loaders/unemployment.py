"""INSEE localised unemployment rates (*taux de chômage localisés*) by zone d'emploi 2020.

Two editions of the same quarterly series (seasonally adjusted, % of the labour force at place
of residence, France without Mayotte and Guyane, 302 zones d'emploi 2020):

- ``insee_chomage_localise_ze2020_2003t1_2023t3`` (xlsx, INSEE edition of early 2024,
  quarters 2003-T1 to 2023-T3), sheet ``txcho_ze``;
- ``insee_chomage_localise_ze2020_2021t1_2025t4`` (JSON re-packaged by a third party from a
  later INSEE edition, quarters 2021-T1 to 2025-T4).

INSEE revises past quarters at each edition, so both loaders carry an ``edition`` column and
the two are never silently mixed. Both return the same long layout: ``ze2020``, ``ze2020_name``,
``quarter`` (``"YYYY-Tq"``), ``year``, ``q``, ``rate_pct`` (float, %), ``edition``.
"""

from __future__ import annotations

import json
import re

import pandas as pd

from analysis.data.cache import parsed
from analysis.data.validate import CODE_ZONE_EMPLOI, SchemaError, check_codes, check_rows, check_unique, require_columns, to_number
from analysis.data.validate import source_name as _src

CHOMAGE_2003_2023 = "insee_chomage_localise_ze2020_2003t1_2023t3"
CHOMAGE_2021_2025 = "insee_chomage_localise_ze2020_2021t1_2025t4"
#: Edition labels (the last quarter each edition publishes).
EDITION_2023T3 = "2023-T3"
EDITION_2025T4 = "2025-T4"
RX_QUARTER = re.compile(r"(\d{4})-T([1-4])")
N_ZONES = 302


def _finish(df: pd.DataFrame, src: str, edition: str) -> pd.DataFrame:
    qs = df["quarter"].str.extract(RX_QUARTER)
    if qs.isna().any().any():
        raise SchemaError(f"{src}: quarter labels must read 'YYYY-Tq', got {df.loc[qs[0].isna(), 'quarter'].unique()[:5].tolist()}")
    df["year"] = qs[0].astype(int)
    df["q"] = qs[1].astype(int)
    df["edition"] = edition
    check_codes(df, "ze2020", CODE_ZONE_EMPLOI, src)
    check_unique(df, ["ze2020", "quarter"], src)
    n = df["ze2020"].nunique()
    if n != N_ZONES:
        raise SchemaError(f"{src}: {n} zones d'emploi, expected {N_ZONES}")
    bad = df["rate_pct"].notna() & ~df["rate_pct"].between(0, 60)
    if bad.any():
        raise SchemaError(f"{src}: unemployment rates outside 0-60 %: {df.loc[bad, 'rate_pct'].head().tolist()}")
    cols = ["ze2020", "ze2020_name", "quarter", "year", "q", "rate_pct", "edition"]
    return df[cols].sort_values(["ze2020", "year", "q"], ignore_index=True)


@parsed(CHOMAGE_2003_2023, 1)
def load_chomage_ze2020_2003_2023(path) -> pd.DataFrame:
    """Localised unemployment rate by zone d'emploi 2020, 2003-T1 to 2023-T3 (INSEE edition of early 2024).

    Sheet ``txcho_ze``: 4 title rows, a French header row, then the code row
    (``ZE2020, LIBZE2020, REG, LIBREG, 2003-T1 ...``) and one row per zone. Quarterly averages,
    seasonally adjusted, % of the labour force. ``edition`` = ``"2023-T3"``.
    """
    src = _src(CHOMAGE_2003_2023)
    try:
        raw = pd.read_excel(path, sheet_name="txcho_ze", header=None, dtype=object, engine="calamine")
    except ValueError as exc:
        raise SchemaError(f"{src}: no readable sheet 'txcho_ze' ({exc})") from exc
    hits = raw.index[raw.iloc[:, 0].astype(str).str.strip() == "ZE2020"]
    if len(hits) != 1:
        raise SchemaError(f"{src}: sheet 'txcho_ze' has no single code row starting with 'ZE2020' in column A")
    h = int(hits[0])
    header = [str(c).strip() for c in raw.iloc[h]]
    body = raw.iloc[h + 1:].copy()
    body.columns = header
    require_columns(body, ["ZE2020", "LIBZE2020", "2003-T1", "2023-T3"], src)
    body = body[body["ZE2020"].notna()]
    quarters = [c for c in header if RX_QUARTER.fullmatch(c)]
    long = body.melt(id_vars=["ZE2020", "LIBZE2020"], value_vars=quarters, var_name="quarter", value_name="value")
    long["ze2020"] = long["ZE2020"].astype(str).str.strip().str.zfill(4)
    long["ze2020_name"] = long["LIBZE2020"].astype(str).str.strip()
    long["rate_pct"] = to_number(long["value"].astype(str), src, "rate")
    check_rows(long, src, N_ZONES * 80)
    return _finish(long, src, EDITION_2023T3)


@parsed(CHOMAGE_2021_2025, 1)
def load_chomage_ze2020_2021_2025(path) -> pd.DataFrame:
    """Localised unemployment rate by zone d'emploi 2020, 2021-T1 to 2025-T4 (later INSEE edition, JSON).

    JSON keys ``meta``, ``quarters`` (labels), ``zes`` (code -> ``label``, ``rate_pct`` list aligned
    on ``quarters``). ``edition`` = ``"2025-T4"``. The file's commune membership is not used
    (the project's INSEE table d'appartenance gives it).
    """
    src = _src(CHOMAGE_2021_2025)
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for k in ("meta", "quarters", "zes"):
        if k not in doc:
            raise SchemaError(f"{src}: missing top-level key {k!r}; the file has {list(doc)[:10]}")
    quarters = list(doc["quarters"])
    rows = []
    for code, z in doc["zes"].items():
        rates = z.get("rate_pct")
        if not isinstance(rates, list) or len(rates) != len(quarters):
            raise SchemaError(f"{src}: zone {code}: 'rate_pct' must list {len(quarters)} values, one per quarter")
        rows += [(code, z.get("label", ""), qt, r) for qt, r in zip(quarters, rates)]
    df = pd.DataFrame(rows, columns=["ze2020", "ze2020_name", "quarter", "rate_pct"])
    df["rate_pct"] = pd.to_numeric(df["rate_pct"], errors="coerce").astype(float)
    check_rows(df, src, N_ZONES * 20)
    return _finish(df, src, EDITION_2025T4)
