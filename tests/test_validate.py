"""Semantic schema checks (validate.py) and their use in the loaders: swapped value columns,
fields missing from some JSON records, malformed registry values, bad arguments."""

import csv
import json

import pandas as pd
import pytest

from analysis.data import registry as reg
from analysis.data import validate as v
from analysis.data.validate import SchemaError

SRC = "energy/toy.csv"


def _heat():
    return pd.DataFrame({"network_id": ["6319C", "0606C", "7501C", "1319C"],
                         "co2": [0.036, 0.097, 0.20, 0.15], "co2_lca": [0.053, 0.071, 0.25, 0.18],
                         "enrr": [86.1, 59.1, 40.0, None]})


def test_check_order_catches_swapped_columns_and_names_file_columns_row():
    df = _heat()
    v.check_order(df, "co2", "co2_lca", SRC, ids=["network_id"], max_share=0.3)  # 1 exception of 4 tolerated
    with pytest.raises(SchemaError) as err:
        v.check_order(df, "co2", "co2_lca", SRC, ids=["network_id"])
    assert all(s in str(err.value) for s in (SRC, "'co2'", "'co2_lca'", "0606C", "row 1"))
    swapped = df.rename(columns={"co2": "co2_lca", "co2_lca": "co2"})
    with pytest.raises(SchemaError, match="3 of 4 row"):
        v.check_order(swapped, "co2", "co2_lca", SRC, ids=["network_id"], max_share=0.3)


def test_check_range_shares_and_non_negative():
    df = _heat()
    v.check_shares(df, "enrr", SRC)  # NaN is allowed: missing is not zero, and not out of range
    df.loc[2, "enrr"] = 140.0
    with pytest.raises(SchemaError, match=r"'enrr' has 1 value\(s\) outside \[0, 100\] %.*7501C"):
        v.check_shares(df, "enrr", SRC, ids=["network_id"])
    with pytest.raises(SchemaError, match="missing value"):
        v.check_range(df, "enrr", SRC, 0, 200, allow_na=False)
    emp = pd.DataFrame({"ze": ["0051", "0052"], "employment": [10.0, -3.0]})
    with pytest.raises(SchemaError, match=r"row 1 \{'ze': '0052', 'employment': -3.0\}"):
        v.check_non_negative(emp, "employment", SRC, ids=["ze"])


def test_check_total_long_and_wide():
    long = pd.DataFrame({"year": [2000] * 3 + [2001] * 3, "sector": ["BE", "GU", "TT"] * 2,
                         "employment": [10.0, 20.0, 30.0, 10.0, 20.0, 31.0]})
    with pytest.raises(SchemaError, match=r"\{'year': 2001\}: total 31 vs sum 30"):
        v.check_total(long, ["year"], "sector", "TT", "employment", SRC, tolerance=0.5)
    v.check_total(long, ["year"], "sector", "TT", "employment", SRC, tolerance=1)
    long.loc[3, "employment"] = float("nan")  # a missing part: the group is not checked, not summed as 0
    v.check_total(long, ["year"], "sector", "TT", "employment", SRC, tolerance=0.5)
    wide = pd.DataFrame({"com": ["01001", "01002"], "ELT": [100.0, 50.0], "A": [60.0, 20.0], "B": [40.0, 20.0]})
    with pytest.raises(SchemaError, match=r"'ELT' differs from the sum of \['A', 'B'\].*01002"):
        v.check_sum_columns(wide, "ELT", ["A", "B"], SRC, tolerance=8, ids=["com"])


def test_json_field_missing_from_some_records_is_counted_and_refused(tmp_path):
    records = [{"year": 1998 + i, "na5": "T", "eff": 100.0 + i} for i in range(20)]
    for i in (3, 11):
        del records[i]["eff"]
    path = tmp_path / "f.json"
    path.write_text(json.dumps(records))
    raw = v.read_json_records(path, SRC)
    assert raw.attrs["absent_fields"] == {"eff": (2, 3)}
    v.require_columns(raw, ["year", "na5"], SRC)  # complete fields pass
    with pytest.raises(SchemaError, match=r"field 'eff' is absent from 2 of 20 records \(e.g. record 3"):
        v.require_columns(raw, ["year", "eff"], SRC)
    assert v.check_fields(records, ["year", "eff"], SRC, max_missing=2) == {"eff": 2}
    with pytest.raises(SchemaError, match="'eff' is absent from 2 of 20"):
        v.check_fields(records, ["year", "eff"], SRC)


def _copy_with(tmp_path, mirror, key, edit, suffix):
    src = mirror / reg.entry(key).file
    out = tmp_path / f"edited{suffix}"
    edit(src, out)
    return out


def test_heat_network_loader_refuses_swapped_co2_columns(mirror, tmp_path):
    from analysis.data.loaders.energy import load_heat_networks_dpe

    def swap(src, out):
        df = pd.read_csv(src, dtype=str, keep_default_na=False)
        df = df.rename(columns={"contenu_co2": "contenu_co2_acv", "contenu_co2_acv": "contenu_co2"})
        df.to_csv(out, index=False)

    path = _copy_with(tmp_path, mirror, "arrete_dpe_reseaux_chaleur_froid_2026", swap, ".csv")
    with pytest.raises(SchemaError) as err:
        load_heat_networks_dpe.parser(path)
    msg = str(err.value)
    assert "arrete_dpe_reseaux_chaleur_froid_2026" in msg and "'co2_kg_per_kwh' exceeds column 'co2_lca_kg_per_kwh'" in msg
    assert "network_id" in msg and "row " in msg


def test_biomethane_loader_refuses_a_field_missing_from_10_percent_of_records(mirror, tmp_path):
    from analysis.data.loaders.energy import load_biomethane_injection_points

    def drop(src, out):
        records = json.loads(src.read_text(encoding="utf-8"))
        for rec in records[::10]:
            del rec["capacite_de_production_gwh_an"]
        out.write_text(json.dumps(records), encoding="utf-8")

    path = _copy_with(tmp_path, mirror, "odre_points_injection_biomethane_2026", drop, ".json")
    with pytest.raises(SchemaError, match=r"odre_points_injection_biomethane_2026.json: field "
                                          r"'capacite_de_production_gwh_an' is absent from 82 of 818 records"):
        load_biomethane_injection_points.parser(path)


def test_estel_loader_refuses_a_total_that_is_not_the_sum_of_its_sectors(mirror, tmp_path):
    from analysis.data.loaders.employment import load_estel_france_a5

    def bump(src, out):
        records = json.loads(src.read_text(encoding="utf-8"))
        total = next(r for r in records if r["na5"] == "TBE" and r["year"] == 2010)
        total["eff"] = float(total["eff"]) + 1000
        out.write_text(json.dumps(records), encoding="utf-8")

    path = _copy_with(tmp_path, mirror, "insee_estel_france_a5_1998_2023", bump, ".json")
    with pytest.raises(SchemaError, match=r"insee_estel_france_a5_1998_2023.json: column 'employment': the 'TT' rows "
                                          r"\(sector\) differ from the sum of the parts in 1 group\(s\), e.g. \{'year': 2010\}"):
        load_estel_france_a5.parser(path)


def test_urssaf_loader_refuses_negative_employment(mirror, tmp_path):
    from analysis.data.loaders.employment import load_urssaf_ze2020_a38

    def negate(src, out):
        df = pd.read_parquet(src)
        df.loc[5, "eff_22"] = -df.loc[5, "eff_22"] - 1
        df.to_parquet(out)

    path = _copy_with(tmp_path, mirror, "urssaf_ze2020_a38_2019_2022_2023_2024", negate, ".parquet")
    ref = mirror / reg.entry("ze2020_reference_2025").file
    with pytest.raises(SchemaError, match=r"urssaf_ze2020_a38.*column 'employment' has 1 value\(s\) outside \[0, inf\]"):
        load_urssaf_ze2020_a38.parser(path, ref)


def _registry_copy(tmp_path, edit):
    rows = list(csv.DictReader(open(reg.REGISTRY_CSV, encoding="utf-8")))
    edit(rows)
    path = tmp_path / "registry.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=reg.REGISTRY_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


def test_registry_value_with_a_thousands_separator_names_file_line_and_column(tmp_path):
    path = _registry_copy(tmp_path, lambda rows: rows[1].update(bytes="63,644"))
    with pytest.raises(reg.RegistryFormatError) as err:
        reg.registry(path)
    msg = str(err.value)
    assert str(path) in msg and "line 3" in msg and "insee_estel_ze2010_nonsalaried_1998_2017" in msg
    assert "'bytes' is '63,644'" in msg and "e.g. 63644" in msg
    bad_hash = _registry_copy(tmp_path, lambda rows: rows[0].update(sha256="abc"))
    with pytest.raises(reg.RegistryFormatError, match="column 'sha256' is 'abc'"):
        reg.registry(bad_hash)


def test_check_choice_names_parameter_value_and_choices():
    v.check_choice("footnote17", ["footnote17", "footnote17_broad"], "sector_codes(column=...)")
    with pytest.raises(v.ChoiceError) as err:
        v.check_choice("footnote_17", ["footnote17", "footnote17_broad", "industry_only"], "sector_codes(column=...)")
    msg = str(err.value)
    assert msg.startswith("sector_codes(column=...): 'footnote_17' is not one of") and "Did you mean 'footnote17'" in msg
    with pytest.raises(KeyError):  # callers catching KeyError or ValueError still work
        v.check_choice("ze1999", ["ze2020", "ze2010"], "zone_shares(zoning=...)")
    with pytest.raises(ValueError, match=r"zone_shares\(zoning=...\): 'ze1999' is not one of \['ze2020', 'ze2010'\]"):
        v.check_choice("ze1999", ["ze2020", "ze2010"], "zone_shares(zoning=...)")


def test_check_years_accepts_digit_strings_and_names_bad_values():
    import numpy as np

    assert v.check_years(["2019", 2022, np.int64(2023), 2024.0]) == (2019, 2022, 2023, 2024)
    assert v.check_years("2019") == (2019,)
    with pytest.raises(v.ChoiceError, match=r"employment_series\(years=...\): '20x9' is not a year"):
        v.check_years(["2019", "20x9"], "employment_series(years=...)")
    with pytest.raises(v.ChoiceError, match="True is not a year"):
        v.check_years([True])
