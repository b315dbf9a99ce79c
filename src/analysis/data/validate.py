"""Schema checks shared by the loaders. Every error names the file and the column."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.data.registry import DataError


class SchemaError(DataError, ValueError):
    """A public file no longer has the layout its loader expects."""


def require_columns(df: pd.DataFrame, columns: Iterable[str], source: str) -> pd.DataFrame:
    """Raise if any of ``columns`` is absent; the message lists what is there instead.

    For a table read by :func:`read_json_records`, a column is also "absent" when some records
    lack the field (pandas would fill them with NaN): the error counts those records and shows
    the first one.
    """
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{source}: missing column(s) {missing}; the file has {list(df.columns)[:40]}"
        )
    absent = df.attrs.get(ABSENT_FIELDS, {})
    partial = {c: absent[c] for c in columns if absent.get(c)}
    if partial:
        c = next(iter(partial))
        n, first = partial[c]
        raise SchemaError(
            f"{source}: field {c!r} is absent from {n} of {len(df)} records (e.g. record {first}: "
            f"{_record_preview(df, first)}); fields absent from some records: { {k: v[0] for k, v in partial.items()} }. "
            f"A missing field is not a missing value: check the file's vintage and layout"
        )
    return df


#: Key of ``DataFrame.attrs`` where :func:`read_json_records` records the fields absent from some
#: records: ``{field: (number of records without it, index of the first one)}``.
ABSENT_FIELDS = "absent_fields"


def _record_preview(df: pd.DataFrame, i: int) -> dict:
    row = df.iloc[i]
    return {k: row[k] for k in list(df.columns)[:5]}


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
    from analysis.data.registry import entry

    return entry(key).file


def read_json_records(path, source: str) -> pd.DataFrame:
    """A JSON file holding a list of records (objects) as a DataFrame; SchemaError otherwise.

    Fields absent from some records are counted in ``df.attrs["absent_fields"]``;
    :func:`require_columns` refuses them for the columns a loader requires.
    """
    import json

    with open(path, encoding="utf-8") as f:
        records = json.load(f)
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        raise SchemaError(f"{source}: expected a JSON list of records, got {type(records).__name__}")
    df = pd.DataFrame.from_records(records)
    df.attrs[ABSENT_FIELDS] = _absent_fields(records, list(df.columns), source)
    return df


def _absent_fields(records: list, fields: list[str], source: str) -> dict[str, tuple[int, int]]:
    """``{field: (records without it, index of the first)}`` for the fields some records lack."""
    out: dict[str, list[int]] = {}
    n_fields = len(fields)
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise SchemaError(f"{source}: record {i} is a {type(rec).__name__}, expected an object")
        if len(rec) >= n_fields and all(f in rec for f in fields):
            continue
        for f in fields:
            if f not in rec:
                out.setdefault(f, [0, i])[0] += 1
    return {f: (n, first) for f, (n, first) in out.items()}


def ascii_fold(text: str) -> str:
    """Accents removed by Unicode decomposition: 'Rhône' -> 'Rhone' (case and punctuation kept)."""
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# ---------------------------------------------------------------------------------------------
# Semantic checks: what the domain says about the values, not only the column names. Each raises
# a SchemaError naming the file (``source``), the column(s) and an example row.
# ---------------------------------------------------------------------------------------------


def _example(df: pd.DataFrame, mask: pd.Series, columns: list[str], ids: Iterable[str] = ()) -> str:
    """'row 12 {...}' for the first row where ``mask`` holds (its index label and the named columns)."""
    first = mask[mask].index[0]
    cols = [c for c in dict.fromkeys([*ids, *columns]) if c in df.columns]
    values = {c: (v.item() if hasattr(v, "item") else v) for c, v in df.loc[first, cols].items()}
    return f"row {first} {values}"


def check_range(df: pd.DataFrame, column: str, source: str, low: float | None = None, high: float | None = None,
                allow_na: bool = True, ids: Iterable[str] = (), unit: str = "") -> None:
    """Every value of ``column`` lies in [``low``, ``high``] (either bound may be ``None``).

    Missing values are allowed unless ``allow_na`` is False (missing is not zero: they are not
    checked against the bounds). ``ids`` names columns shown in the example row of the error.
    """
    values = pd.to_numeric(df[column], errors="coerce")
    if not allow_na and values.isna().any():
        bad = values.isna()
        raise SchemaError(f"{source}: column {column!r} has {int(bad.sum())} missing value(s), "
                          f"e.g. {_example(df, bad, [column], ids)}")
    bad = pd.Series(False, index=df.index)
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    if bad.any():
        bounds = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]{' ' + unit if unit else ''}"
        raise SchemaError(f"{source}: column {column!r} has {int(bad.sum())} value(s) outside {bounds}, "
                          f"e.g. {_example(df, bad, [column], ids)}")


def check_non_negative(df: pd.DataFrame, column: str, source: str, ids: Iterable[str] = ()) -> None:
    """Counts, employment, capacities, consumption: never below zero (missing allowed)."""
    check_range(df, column, source, low=0, ids=ids)


def check_shares(df: pd.DataFrame, column: str, source: str, scale: float = 100, ids: Iterable[str] = ()) -> None:
    """Percentages in [0, 100] (or fractions in [0, 1] with ``scale=1``); missing allowed."""
    check_range(df, column, source, low=0, high=scale, ids=ids, unit="%" if scale == 100 else "")


def check_order(df: pd.DataFrame, low: str, high: str, source: str, tolerance: float = 0.0,
                ids: Iterable[str] = (), why: str = "", max_share: float = 0.0) -> None:
    """``df[low] <= df[high] + tolerance`` on every row where both are present.

    E.g. the life-cycle CO2 content of a heat network is at least its direct content: swapped
    value columns fail here although both names are right. ``max_share`` tolerates a known
    fraction of exceptions in the source (0.1 = up to 10 % of the rows compared); swapped columns
    break the rule on most rows and still fail.
    """
    a = pd.to_numeric(df[low], errors="coerce")
    b = pd.to_numeric(df[high], errors="coerce")
    both = a.notna() & b.notna()
    bad = (a > b + tolerance) & both
    if bad.sum() > max_share * both.sum():
        reason = f" ({why})" if why else ""
        allowed = f" (at most {max_share:.0%} allowed)" if max_share else ""
        raise SchemaError(f"{source}: column {low!r} exceeds column {high!r} on {int(bad.sum())} of "
                          f"{int(both.sum())} row(s){allowed}{reason}; "
                          f"swapped or mislabelled columns? e.g. {_example(df, bad, [low, high], ids)}")


def check_total(df: pd.DataFrame, keys: list[str], part_column: str, total_label: str, value: str, source: str,
                tolerance: float = 0.5, relative: float = 0.0) -> None:
    """In a long table, the row labelled ``total_label`` in ``part_column`` equals the sum of the
    other rows of the same ``keys`` group, within ``tolerance`` (absolute, e.g. rounding of the
    published parts) plus ``relative`` x total.

    Groups where a part or the total is missing are not checked (missing is not zero).
    """
    is_total = df[part_column] == total_label
    parts = df[~is_total]
    grouped = parts.groupby(keys, dropna=False)[value]
    sums = grouped.sum(min_count=1).where(grouped.count() == grouped.size())
    total = df[is_total].set_index(keys)[value]
    both = pd.concat({"total": total, "sum": sums}, axis=1, join="inner").dropna()
    bad = (both["total"] - both["sum"]).abs() > tolerance + relative * both["total"].abs()
    if bad.any():
        k = bad[bad].index[0]
        raise SchemaError(
            f"{source}: column {value!r}: the {total_label!r} rows ({part_column}) differ from the sum of the parts "
            f"in {int(bad.sum())} group(s), e.g. {dict(zip(keys, k if isinstance(k, tuple) else (k,)))}: "
            f"total {both.loc[k, 'total']:g} vs sum {both.loc[k, 'sum']:g}")


def check_sum_columns(df: pd.DataFrame, total: str, parts: list[str], source: str, tolerance: float = 0.5,
                      ids: Iterable[str] = ()) -> None:
    """In a wide table, column ``total`` equals the sum of the ``parts`` columns within ``tolerance``
    (rows with a missing value are not checked)."""
    block = df[[total, *parts]].apply(pd.to_numeric, errors="coerce")
    complete = block.notna().all(axis=1)
    bad = complete & ((block[total] - block[parts].sum(axis=1)).abs() > tolerance)
    if bad.any():
        raise SchemaError(f"{source}: column {total!r} differs from the sum of {parts} on {int(bad.sum())} row(s), "
                          f"e.g. {_example(df, bad, [total, *parts], ids)}")


def check_fields(records: list, required: Iterable[str], source: str, max_missing: int = 0) -> dict[str, int]:
    """Count, for each ``required`` field, the JSON records (dicts) that lack it.

    Returns ``{field: number of records without it}`` (fields every record has are omitted).
    More than ``max_missing`` records without a field raises a :class:`SchemaError` naming the
    field, the count and the first such record (pandas would silently turn it into NaN).
    """
    absent = _absent_fields(records, list(required), source)
    too_many = {f: v for f, v in absent.items() if v[0] > max_missing}
    if too_many:
        f, (n, first) = next(iter(too_many.items()))
        rec = records[first]
        example = {k: rec[k] for k in list(rec)[:5]}
        raise SchemaError(
            f"{source}: field {f!r} is absent from {n} of {len(records)} records (e.g. record {first}: {example}); "
            f"fields absent from too many records: { {k: v[0] for k, v in too_many.items()} }")
    return {f: v[0] for f, v in absent.items()}


class ChoiceError(DataError, ValueError, KeyError):
    """An argument outside its allowed set of values (a column, zoning or source name)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def check_choice(value, allowed: Iterable, what: str, hint: str = "") -> None:
    """``value`` must be one of ``allowed``; otherwise a :class:`ValueError` (``ChoiceError``) that
    names the parameter ``what``, the value, the close matches and every allowed value.

    E.g. ``check_choice(column, CLASSIFICATION_COLUMNS, "sector_codes(column=...)")``.
    """
    import difflib

    allowed = list(allowed)
    if value in allowed:
        return
    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=3, cutoff=0.5)
    did = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ChoiceError(f"{what}: {value!r} is not one of {allowed}.{did}{' ' + hint if hint else ''}")


def years_text(years) -> str:
    """Years as a reader takes them in: '1998-2017' when every year between is there, else each one
    ('2019, 2022, 2023, 2024': a range would hide the gap)."""
    years = sorted(set(int(y) for y in years))
    if not years:
        return "none"
    if len(years) == 1:
        return str(years[0])
    if years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(map(str, years))


def check_years(years, what: str = "years") -> tuple[int, ...]:
    """Years as a tuple of ints: accepts ints and strings of digits ('2019'), rejects anything else
    with an error naming ``what`` and the value (so '2019' is never reported as an uncovered year).

    A single year is accepted as well as an iterable of years.
    """
    import numbers

    if isinstance(years, (str, numbers.Number)) or years is None:
        years = [years]
    return tuple(check_year(y, what) for y in years)


def check_year(value, what: str = "year") -> int:
    """One year as an int: an int (not a bool), an integral float (2019.0) or a string of digits.

    ``2019.7``, ``True``, ``'2019a'``, ``None`` raise :class:`ChoiceError` naming ``what`` and the
    value: a year is never truncated or read from a boolean without a word.
    """
    import numbers

    if isinstance(value, bool) or isinstance(value, np.bool_):
        raise ChoiceError(f"{what}: {value!r} is not a year (a boolean); give a year as an integer such as 2019")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(value)
    if isinstance(value, numbers.Real):
        raise ChoiceError(f"{what}: {value!r} is not a year (not a whole number: it would be truncated to {int(value)}); "
                          f"give a year as an integer such as 2019")
    raise ChoiceError(f"{what}: {value!r} is not a year; give a year as an integer such as 2019")


#: Oldest and newest plausible year of a year-labelled column (the newest: next year).
FIRST_PLAUSIBLE_YEAR = 1900


def check_year_columns(labels: Iterable[str], source: str, pattern: str = r"(\d{4})",
                       expected: Iterable[int] | None = None) -> list[int]:
    """Years of the year-labelled columns of a header, in header order, after checking them.

    ``labels``: the header, in file order; a column is year-labelled when it fully matches
    ``pattern`` (whose first group is the year, e.g. ``r"Effectifs salariés (\\d{4})"``).

    Checks, each refused with a :class:`SchemaError` naming the columns:

    - plausibility: every year between :data:`FIRST_PLAUSIBLE_YEAR` and next year;
    - no year twice;
    - order: publishers write year columns in chronological or reverse-chronological order, so
      the years must be strictly monotone in header order. A swapped pair of labels (2016 where
      2017 should be) breaks the order and is refused: reading by name would otherwise give
      each year the other's values without a word. (A swap of whole columns, labels and values
      together, also breaks the order: it is refused too although the values would be right,
      since a file edited that way is not the published one);
    - no gap: consecutive years (the files of this project are annual);
    - ``expected``: when given, exactly these years.

    Values swapped under labels left in order cannot be seen here: :func:`check_growth_like`
    compares the file's year-to-year changes with a national series for that.
    """
    import datetime

    rx = re.compile(pattern)
    found = [(str(c), int(m.group(1))) for c in labels if (m := rx.fullmatch(str(c).strip()))]
    years = [y for _, y in found]
    if not found:
        raise SchemaError(f"{source}: no year-labelled column (matching {pattern!r}) in the header {list(labels)[:12]}")
    last_plausible = datetime.date.today().year + 1
    odd = [c for c, y in found if not FIRST_PLAUSIBLE_YEAR <= y <= last_plausible]
    if odd:
        raise SchemaError(f"{source}: column(s) {odd} carry an implausible year (not {FIRST_PLAUSIBLE_YEAR}-"
                          f"{last_plausible}): check the header against the official page")
    twice = sorted({c for c, y in found if years.count(y) > 1})
    if twice:
        raise SchemaError(f"{source}: year column(s) {twice} appear more than once")
    if len(years) > 1:
        step = 1 if years[-1] > years[0] else -1  # the header's direction: its first and last year
        for (c0, y0), (c1, y1) in zip(found, found[1:]):
            if (y1 - y0) * step <= 0:
                order = "ascending" if step == 1 else "descending"
                raise SchemaError(
                    f"{source}: year columns out of order: {c0!r} then {c1!r} in a header that runs {order} "
                    f"({', '.join(c for c, _ in found[:6])}, ...): year labels swapped or columns moved; this is not "
                    f"the published file, check it against its official page before updating data/registry.csv")
        span = sorted(years)
        gaps = sorted(set(range(span[0], span[-1] + 1)) - set(years))
        if gaps:
            raise SchemaError(f"{source}: no column for year(s) {gaps} between {span[0]} and {span[-1]} "
                              f"(renamed or dropped?); the header has {[c for c, _ in found][:8]} ...")
    if expected is not None:
        expected = sorted(int(y) for y in expected)
        if sorted(years) != expected:
            missing = sorted(set(expected) - set(years))
            extra = sorted(set(years) - set(expected))
            raise SchemaError(f"{source}: year columns {sorted(years)[0]}-{sorted(years)[-1]} differ from the expected "
                              f"{expected[0]}-{expected[-1]} (missing {missing}, unexpected {extra})")
    return years


#: Largest gap (percentage points) between a file's year-to-year change and the national series'
#: (ESTEL ZE2010 salaried total vs ESTEL France: at most 0.21 pp over 1998-2017; a swapped
#: 2016/2017 pair gives 2.66 pp).
GROWTH_TOLERANCE_PP = 1.0


def check_growth_like(totals: pd.Series, national: pd.Series, source: str, national_source: str,
                      tolerance_pp: float = GROWTH_TOLERANCE_PP) -> None:
    """The year-to-year changes of a file's totals follow a national series (values by year).

    ``totals``: the file's total by year (e.g. the sum over zones); ``national``: an independent
    national series of the same concept (levels may differ: coverage, vintage). For every pair of
    consecutive years in both, the growth rates must agree within ``tolerance_pp`` percentage
    points; otherwise :class:`SchemaError` names the years (values moved between year columns).
    """
    common = sorted(set(totals.index) & set(national.index))
    pairs = [(a, b) for a, b in zip(common, common[1:]) if b == a + 1]
    worst = None
    for a, b in pairs:
        g_file = totals[b] / totals[a] - 1 if totals[a] else np.nan
        g_nat = national[b] / national[a] - 1 if national[a] else np.nan
        gap = abs(g_file - g_nat) * 100
        if np.isfinite(gap) and gap > tolerance_pp and (worst is None or gap > worst[0]):
            worst = (gap, a, b, g_file, g_nat)
    if worst is not None:
        gap, a, b, g_file, g_nat = worst
        raise SchemaError(
            f"{source}: the total changes by {g_file:+.2%} from {a} to {b}, the national series {national_source} "
            f"by {g_nat:+.2%} ({gap:.1f} points apart, tolerance {tolerance_pp} point): the values of the year "
            f"columns look swapped or shifted; check the file against its official page")
