"""EU ETS (EU Emissions Trading System) verified emissions of installations registered in France.

From the EU Transaction Log (EUTL), as extracted by the cedricr/eutl project:

- ``eutl_installations_fr``: one row per account (installations and aircraft operators, 1,941),
  wide ``VerifiedEmissions_<year>`` columns 2005-2022, activity code (10 = aircraft operators);
- ``eutl_emissions_fr_geo_2005_2022``: one row per stationary installation and year, with WGS84
  coordinates (``X`` longitude, ``Y`` latitude), postcode, activity and a French sector label.

Where an installation is: the geo extract gives a postcode and coordinates but no town; the
registry's installation table gives the registered address (street, town, postcode, often a
CEDEX one) and no usable coordinates (``Latitude``/``Longitude`` are 0 or NA for almost every
installation). :func:`load_eutl_installation_addresses` reads the address.

Emissions are verified emissions in tonnes of CO2-equivalent. Markers such as ``NA``,
``Excluded`` or ``Not Reported`` are missing values, never zeros.
"""

from __future__ import annotations

import pandas as pd

from analysis.data.cache import parsed
from analysis.data.validate import SchemaError, check_codes, check_rows, check_unique, require_columns, to_number
from analysis.data.validate import source_name as _src

INSTALLATIONS_FR = "eutl_installations_fr"
EMISSIONS_FR_GEO = "eutl_emissions_fr_geo_2005_2022"
#: EUTL main activity code of aircraft operators.
AVIATION_CODE = 10
YEARS = range(2005, 2023)


@parsed(INSTALLATIONS_FR, 1)
def load_eutl_installations_fr(path) -> pd.DataFrame:
    """Verified emissions by French EU ETS account and year, 2005-2022, long (t CO2e).

    Columns: ``installation_id`` (EUTL installation / aircraft operator id, string), ``name``,
    ``account_holder``, ``activity_code`` (int; 10 = aircraft operators), ``activity``,
    ``is_aviation`` (bool), ``year``, ``emissions_t`` (float; NaN when the EUTL gives none:
    ``NA``, ``Excluded``, ``Not Reported``, ``Not Calculated``).
    """
    src = _src(INSTALLATIONS_FR)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    cols = [f"VerifiedEmissions_{y}" for y in YEARS]
    require_columns(df, ["InstallationOrAircraftOperatorID", "InstallationNameOrAircraftOperatorCode", "AccountHolderName",
                         "MainActivityTypeCode", "MainActivityTypeCodeLookup", *cols], src)
    check_rows(df, src, 1_500, 3_000)
    check_unique(df, ["InstallationOrAircraftOperatorID"], src)
    code = pd.to_numeric(df["MainActivityTypeCode"], errors="coerce")
    if code.isna().any():
        raise SchemaError(f"{src}: column 'MainActivityTypeCode' has non-numeric values "
                          f"{df.loc[code.isna(), 'MainActivityTypeCode'].unique()[:5].tolist()}")
    base = pd.DataFrame({"installation_id": df["InstallationOrAircraftOperatorID"].str.strip(),
                         "name": df["InstallationNameOrAircraftOperatorCode"], "account_holder": df["AccountHolderName"],
                         "activity_code": code.astype(int), "activity": df["MainActivityTypeCodeLookup"]})
    base["is_aviation"] = base["activity_code"] == AVIATION_CODE
    out = []
    for y, c in zip(YEARS, cols):
        v = df[c].replace({"Excluded": "", "Not Reported": "", "Not Calculated": ""})
        out.append(base.assign(year=y, emissions_t=to_number(v, src, c)))
    long = pd.concat(out, ignore_index=True)
    if (long["emissions_t"] < 0).any():
        raise SchemaError(f"{src}: negative verified emissions")
    return long


@parsed(EMISSIONS_FR_GEO, 1)
def load_eutl_emissions_fr_geo(path) -> pd.DataFrame:
    """Verified emissions of French stationary EU ETS installations by year, 2005-2022, with coordinates.

    Columns: ``installation_id`` (EUTL id, string, same as :func:`load_eutl_installations_fr`),
    ``name``, ``account_holder``, ``parent_company``, ``zip_code`` (string), ``activity_code``,
    ``activity``, ``kind`` (French sector label of the extract), ``lon``, ``lat`` (WGS84),
    ``year``, ``emissions_t`` (t CO2e). Aircraft operators are not in this file (checked).
    """
    src = _src(EMISSIONS_FR_GEO)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    require_columns(df, ["X", "Y", "seqe_id", "account_holder_name", "installation_name", "parent_company", "zip_code",
                         "main_activity_type_code", "main_activity_type_code_lookup", "year", "emissions", "kind"], src)
    check_rows(df, src, 15_000, 30_000)
    out = pd.DataFrame({
        "installation_id": df["seqe_id"].str.strip(), "name": df["installation_name"],
        "account_holder": df["account_holder_name"], "parent_company": df["parent_company"],
        "zip_code": df["zip_code"].str.strip().str.zfill(5), "activity": df["main_activity_type_code_lookup"],
        "kind": df["kind"],
    })
    out["activity_code"] = to_number(df["main_activity_type_code"], src, "main_activity_type_code").astype(int)
    out["lon"] = to_number(df["X"], src, "X")
    out["lat"] = to_number(df["Y"], src, "Y")
    out["year"] = to_number(df["year"], src, "year").astype(int)
    out["emissions_t"] = to_number(df["emissions"], src, "emissions")
    check_unique(out, ["installation_id", "year"], src)
    if (out["activity_code"] == AVIATION_CODE).any():
        raise SchemaError(f"{src}: aircraft operators (activity code 10) found; this file should hold installations only")
    if not (out["lon"].between(-65, 56).all() and out["lat"].between(-22, 52).all()):
        raise SchemaError(f"{src}: coordinates outside French territories (X longitude, Y latitude, WGS84 expected)")
    if not out["year"].between(2005, 2022).all():
        raise SchemaError(f"{src}: years outside 2005-2022")
    return out.sort_values(["installation_id", "year"], ignore_index=True)


@parsed(INSTALLATIONS_FR, 1)
def load_eutl_installation_addresses(path) -> pd.DataFrame:
    """Registered address of every French stationary EU ETS installation (aircraft operators left out).

    Columns (strings): ``installation_id`` (EUTL id, as in the other ETS loaders), ``name``,
    ``address`` (``Address1``), ``city`` (``City`` as registered: mixed case, with or without
    accents and hyphens, often with 'Cedex' and a number: 'Albi Cedex 9'), ``zip_code``
    (``ZipCode``, 5 digits; a CEDEX postcode for about 190 installations). 1,581 rows.

    The registry's ``Latitude``/``Longitude`` are not read: 0 or 'NA' for all but a handful of
    installations (the coordinates of :func:`load_eutl_emissions_fr_geo` are the usable ones).
    """
    src = _src(INSTALLATIONS_FR)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    require_columns(df, ["InstallationOrAircraftOperatorID", "InstallationNameOrAircraftOperatorCode", "Address1", "City",
                         "ZipCode", "MainActivityTypeCode"], src)
    df = df[df["MainActivityTypeCode"].str.strip() != str(AVIATION_CODE)]
    out = pd.DataFrame({"installation_id": df["InstallationOrAircraftOperatorID"].str.strip(),
                        "name": df["InstallationNameOrAircraftOperatorCode"].str.strip(),
                        "address": df["Address1"].str.strip(), "city": df["City"].str.strip(),
                        "zip_code": df["ZipCode"].str.strip().str.zfill(5)})
    for c in ("city", "zip_code"):
        empty = out[c].isin(["", "-", "NA"])
        if empty.any():
            raise SchemaError(f"{src}: column {'City' if c == 'city' else 'ZipCode'!r} is empty for {int(empty.sum())} "
                              f"stationary installation(s), e.g. id {out.loc[empty, 'installation_id'].iloc[0]}")
    check_codes(out, "zip_code", r"\d{5}", src)
    check_unique(out, ["installation_id"], src)
    check_rows(out, src, 1_000, 2_500)
    return out.reset_index(drop=True)
