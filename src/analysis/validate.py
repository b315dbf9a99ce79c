"""Schema checks shared by the loaders. Every error names the file and the column."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from .registry import DataError


class SchemaError(DataError, ValueError):
    """A public file no longer has the layout its loader expects."""


def require_columns(df: pd.DataFrame, columns: Iterable[str], source: str) -> pd.DataFrame:
    """Raise if any of ``columns`` is absent; the message lists what is there instead."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{source}: missing column(s) {missing}; the file has {list(df.columns)[:40]}"
        )
    return df


def check_codes(df: pd.DataFrame, column: str, pattern: str, source: str, allow_na: bool = False) -> None:
    """Every value of ``column`` must be a string fully matching the regex ``pattern``."""
    values = df[column]
    if allow_na:
        values = values.dropna()
    elif values.isna().any():
        raise SchemaError(f"{source}: column {column!r} has {int(values.isna().sum())} missing value(s)")
    rx = re.compile(pattern)
    bad = values[~values.astype(str).map(lambda v: bool(rx.fullmatch(v)))]
    if len(bad):
        raise SchemaError(
            f"{source}: column {column!r} has {len(bad)} value(s) not matching {pattern!r}, "
            f"e.g. {bad.astype(str).unique()[:5].tolist()}"
        )


def check_unique(df: pd.DataFrame, columns: list[str], source: str) -> None:
    """The combination of ``columns`` must identify rows uniquely."""
    dup = df.duplicated(columns, keep=False)
    if dup.any():
        example = df.loc[dup, columns].head(3).to_dict("records")
        raise SchemaError(f"{source}: {int(dup.sum())} rows share the key {columns}, e.g. {example}")


def check_rows(df: pd.DataFrame, source: str, minimum: int, maximum: int | None = None) -> None:
    """Row count within [minimum, maximum]."""
    n = len(df)
    if n < minimum or (maximum is not None and n > maximum):
        raise SchemaError(f"{source}: {n} rows, expected between {minimum} and {maximum or 'any'}")


def to_number(series: pd.Series, source: str, column: str) -> pd.Series:
    """Parse numbers written with comma or space thousands separators ("12,345", "12 345").

    Empty strings and the usual secret/missing markers become NaN; anything else that
    does not parse raises a :class:`SchemaError` naming the value.
    """
    if pd.api.types.is_numeric_dtype(series):
        return series.astype(float)
    s = series.astype("string").str.strip()
    s = s.str.replace(r"[\s\u00a0\u202f,]", "", regex=True)
    s = s.replace({"": pd.NA, "s": pd.NA, "nd": pd.NA, "NA": pd.NA, "-": pd.NA, "NaN": pd.NA, "nan": pd.NA})
    out = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & out.isna()
    if bad.any():
        raise SchemaError(f"{source}: column {column!r} has non-numeric value(s) {s[bad].unique()[:5].tolist()}")
    return out.astype(float)


# INSEE / SIRENE code formats shared by the loaders (full-match regular expressions).
CODE_COMMUNE = r"\d{5}|2[AB]\d{3}"
CODE_DEPARTEMENT = r"\d{2}|2[AB]|97\d"
CODE_REGION = r"\d{2}"
CODE_SIREN = r"\d{9}"
CODE_ZONE_EMPLOI = r"\d{4}"


def source_name(key: str) -> str:
    """The registry file name of dataset ``key``, used to name the file in every error message."""
    from .registry import entry

    return entry(key).file


def read_json_records(path, source: str) -> pd.DataFrame:
    """A JSON file holding a list of records (objects) as a DataFrame; SchemaError otherwise."""
    import json

    with open(path, encoding="utf-8") as f:
        records = json.load(f)
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        raise SchemaError(f"{source}: expected a JSON list of records, got {type(records).__name__}")
    return pd.DataFrame.from_records(records)


def ascii_fold(text: str) -> str:
    """Accents removed by Unicode decomposition: 'Rhône' -> 'Rhone' (case and punctuation kept)."""
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
