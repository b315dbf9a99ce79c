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
