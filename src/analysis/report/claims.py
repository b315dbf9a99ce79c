"""Claims register and scoreboard.

``data/claims.csv`` holds every quantitative claim of the seed reports (cited values
live there and nowhere else). Notebooks call :func:`record` with the value they
recomputed, the tolerance that makes sense for that claim, and what they measured:
``period_used``, ``geography_used`` and ``definition_used``. The values accumulate in
``results/claims_results.csv``. :func:`build_scoreboard` then compares each register row
with its recorded value and writes ``results/scoreboard.csv`` and ``results/SCOREBOARD.md``.
The scoreboard compares; it never computes a statistic.

Status rules (per claim, tolerances given by the notebook when it records):

- ``proxy``: the value was measured on another period, geography or definition than the
  register row states (:func:`mismatches`); the gap is still shown, but a proxy is never
  ``reproduced``, ``close`` or ``differs``;
- otherwise, measured as cited: ``reproduced`` within ``tol`` (relative) of the cited value,
  or inside the cited range; ``close`` within ``close_tol``; ``differs`` farther;
- ``not reproducible``: recorded as such by a notebook (no value), or the register's plan says so;
- ``pending``: the planned notebook has not recorded the claim yet.

What counts as "measured as cited" is decided here, from the three recorded fields, against
the register's ``period``, ``geography`` and ``unit`` (the unit names the claim's definition):

- period: both are years (``2019``), windows (``2017-2020``), months (``2026-02``), quarters
  (``2019-T2``) or dates (``2025-06-30``). The period matches when the two spans are the same
  years, or when the value was measured at one point in time (a year, month, quarter or date)
  inside the register's span (a count at a date within the writing window). A window inside a
  longer window does not match: a change over other years is another statistic. An empty
  register period matches any period.
- geography and definition: the recorded text equals the register's ``geography`` (resp.
  ``unit``), or starts with it followed by ``:`` and the details of the measure (e.g. ``France:
  INSEE 2024 commune table``); case and spacing are ignored. Anything else, e.g. a zone d'emploi
  for a métropole or salaried jobs of all employers for private jobs, is another geography or
  definition.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import time
from pathlib import Path

import pandas as pd

from analysis.data.locking import locked, replace_text, replacing
from analysis.paths import DATA_DIR, NOTEBOOKS_DIR, results_dir

CLAIMS_CSV = DATA_DIR / "claims.csv"
#: Published benchmarks that are not claims of the seeds (the literature's local multipliers):
#: comparison points, never recomputed. Energy parameters live in ``data/energy_parameters.csv``.
REFERENCES_CSV = DATA_DIR / "reference_values.csv"
CLAIM_COLUMNS = ["id", "seed", "quote", "value", "value_high", "unit", "period", "geography",
                 "attributed_to", "theme", "plan"]
#: What a notebook measured, next to the register's period, geography and unit (:func:`mismatches`).
USED_COLUMNS = ["period_used", "geography_used", "definition_used"]
RESULT_COLUMNS = ["id", "recomputed_value", "tol", "close_tol", *USED_COLUMNS, "status", "notebook", "note"]
SCOREBOARD_COLUMNS = ["id", "seed", "cited_value", "recomputed_value", "gap_pct", "unit", "status", *USED_COLUMNS,
                      "notebook", "note"]
STATUSES = ["reproduced", "close", "differs", "proxy", "not reproducible", "pending"]
PROXY = "proxy"
NOT_REPRODUCIBLE = "not reproducible"


class ClaimError(ValueError):
    """Unknown claim id, bad tolerance or an unreadable results file."""


def load_claims(path: Path | str = CLAIMS_CSV) -> pd.DataFrame:
    """The claims register as a DataFrame (``value``/``value_high`` as floats)."""
    return _parsed_claims(path).copy()


#: The last register read: (path, size, modification time, inode) -> table. It is read again when the
#: file changes; a file modified in the last 2 seconds is always read (a second edit within the same tick
#: of the file system's clock would keep the modification time).
_REGISTER: dict[tuple, pd.DataFrame] = {}


def _parsed_claims(path: Path | str) -> pd.DataFrame:
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
    if key in _REGISTER:
        return _REGISTER[key]
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in CLAIM_COLUMNS if c not in df.columns]
    if missing:
        raise ClaimError(f"{path}: missing column(s) {missing}")
    df["value"] = pd.to_numeric(df["value"], errors="raise")
    df["value_high"] = pd.to_numeric(df["value_high"].replace("", None), errors="raise")
    if time.time() - st.st_mtime > 2.0:
        _REGISTER.clear()
        _REGISTER[key] = df
    return df


def claim(claim_id: str, path: Path | str = CLAIMS_CSV) -> dict:
    """One register row as a dict; :class:`ClaimError` naming the id if unknown."""
    df = _parsed_claims(path)
    row = df[df["id"] == claim_id]
    if row.empty:
        raise ClaimError(f"unknown claim id {claim_id!r} (not in {path})")
    return row.iloc[0].to_dict()


def reference(ref_id: str, path: Path | str = REFERENCES_CSV) -> dict:
    """One row of ``data/reference_values.csv`` (value, unit, period, geography, source, url, note: how a value was
    converted to its unit, with its inputs)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = df[df["id"] == ref_id]
    if row.empty:
        raise ClaimError(f"unknown reference id {ref_id!r} (not in {path}); known: {sorted(df['id'])}")
    out = row.iloc[0].to_dict()
    out["value"] = float(out["value"])
    out["value_high"] = float(out["value_high"]) if out["value_high"] else None
    return out


def results_path() -> Path:
    return results_dir() / "claims_results.csv"


def _read_results(path: Path) -> pd.DataFrame:
    """The results file as a DataFrame of strings (:data:`RESULT_COLUMNS`; empty if there is no file)."""
    return pd.DataFrame(_read_result_rows(path), columns=RESULT_COLUMNS, dtype=str)


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{float(x):.6g}"


def record(claim_id: str, value: float | None, *, tol: float | None = None, close_tol: float | None = None,
           note: str, notebook: str, period_used: str | None = None, geography_used: str | None = None,
           definition_used: str | None = None, not_reproducible: bool = False) -> str:
    """Record the recomputed value of a claim and return its status.

    Parameters
    ----------
    claim_id : id of a row of ``data/claims.csv``.
    value : the recomputed statistic, in the register's unit for that claim
        (``None`` together with ``not_reproducible=True`` when data are missing).
    tol, close_tol : relative tolerances for ``reproduced`` and ``close`` (e.g. 0.05, 0.25);
        stated per claim by the notebook, never global.
    note : one line: definition used, reason for any gap, data that would close it.
    notebook : the notebook's name, e.g. ``"01_local_multiplier"``.
    period_used, geography_used, definition_used : what the value measures (required with a value):
        the period (``"2019-2022"``, ``"2025-06-30"``...), the area (codes and names) and the
        definition (the register's unit, then ``:`` and the source's specifics, when it is the
        claim's own; a description of the other definition otherwise). The status is derived
        from them against the register's ``period``, ``geography`` and ``unit`` (module docstring):
        any difference makes the record a ``proxy``.
    """
    c = claim(claim_id)
    used = {"period_used": period_used, "geography_used": geography_used, "definition_used": definition_used}
    if not_reproducible:
        if value is not None:
            raise ClaimError(f"{claim_id}: a not-reproducible record carries no value")
    else:
        if value is None or not math.isfinite(float(value)):
            raise ClaimError(f"{claim_id}: recomputed value must be a finite number, got {value!r}")
        if tol is None or close_tol is None or not (0 <= tol <= close_tol):
            raise ClaimError(f"{claim_id}: give tolerances with 0 <= tol <= close_tol (got {tol}, {close_tol})")
        missing = [k for k, v in used.items() if not (v or "").strip()]
        if missing:
            raise ClaimError(f"{claim_id}: a recorded value says what it measured: give {', '.join(missing)} "
                             f"(the register states period {c['period']!r}, geography {c['geography']!r}, "
                             f"unit {c['unit']!r})")
    used = {k: " ".join((v or "").split()) for k, v in used.items()}
    # compare the value as stored (6 significant digits) so the scoreboard, which recompares, agrees
    stored = None if not_reproducible else float(_fmt(value))
    status = derive_status(c, stored, tol, close_tol, **used, not_reproducible=not_reproducible)
    path = results_path()
    row = {"id": claim_id, "recomputed_value": _fmt(value), "tol": _fmt(tol), "close_tol": _fmt(close_tol),
           **used, "status": status, "notebook": notebook, "note": " ".join(note.split())}
    with locked(path):  # notebooks executed in parallel record into the same file
        rows = [r for r in _read_result_rows(path) if r["id"] != claim_id] + [row]
        _write_result_rows(path, sorted(rows, key=lambda r: r["id"]))
    return status


def _read_result_rows(path: Path) -> list[dict]:
    """The results file as rows of strings, read with the csv module: a notebook records tens of claims,
    each a read and a write of this file."""
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in RESULT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ClaimError(f"{path}: missing column(s) {missing} (a file written before records said what they "
                             "measured has 'comparable' instead): delete it and re-run every notebook "
                             "(`make reproduce`), which records every claim again")
        return [{c: r[c] or "" for c in RESULT_COLUMNS} for r in reader]


def _write_result_rows(path: Path, rows: list[dict]) -> None:
    """Write the results file (header and ``rows``, quoted only where needed, ``\\n`` line ends)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=RESULT_COLUMNS, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    writer.writerows(rows)
    replace_text(path, buf.getvalue())


def _write_results(path: Path, df: pd.DataFrame) -> None:
    _write_result_rows(path, df[RESULT_COLUMNS].to_dict("records"))


def gap(cited: float, cited_high: float | None, value: float) -> float:
    """Relative distance of ``value`` from the cited value or range ``[cited, cited_high]`` (0 inside the range)."""
    value = float(value)
    high = cited if cited_high is None or (isinstance(cited_high, float) and math.isnan(cited_high)) else cited_high
    lo, hi = min(cited, high), max(cited, high)
    if lo <= value <= hi:
        return 0.0
    ref = lo if value < lo else hi
    return abs(value - ref) / abs(ref) if ref != 0 else math.inf


def compare(cited: float, cited_high: float | None, value: float | None, tol: float | None,
            close_tol: float | None, not_reproducible: bool = False) -> str:
    """Tolerance status of a value measured as cited: reproduced, close or differs (no proxy test here)."""
    if not_reproducible:
        return NOT_REPRODUCIBLE
    g = gap(cited, cited_high, value)
    if g <= tol:
        return "reproduced"
    if g <= close_tol:
        return "close"
    return "differs"


_PERIOD = re.compile(r"^(\d{4})(?:-(\d{4})|-(?:0[1-9]|1[0-2])(?:-\d{2})?|-[TQ][1-4])?$")


def period_span(period: str) -> tuple[int, int, bool]:
    """``(first year, last year, is_point)`` of a period: ``"2019"`` -> (2019, 2019, True), ``"2017-2020"`` ->
    (2017, 2020, False), ``"2026-02"``, ``"2019-T2"``, ``"2025-06-30"`` -> a point in that year.
    :class:`ClaimError` naming the value for anything else."""
    text = " ".join(str(period).split())
    m = _PERIOD.match(text)
    if not m:
        raise ClaimError(f"period {period!r}: write a year (2019), a window (2017-2020), a month (2026-02), "
                         "a quarter (2019-T2) or a date (2025-06-30)")
    first = int(m.group(1))
    if m.group(2):
        last = int(m.group(2))
        if last <= first:
            raise ClaimError(f"period {period!r}: a window ends after it starts")
        return first, last, False
    return first, first, True


def _same_text(register: str, used: str) -> bool:
    """The used text is the register's, or the register's followed by ':' and details (case, spacing ignored)."""
    reg, got = " ".join(str(register).split()).casefold(), " ".join(str(used).split()).casefold()
    return got == reg or (reg != "" and got.startswith(reg) and got[len(reg):].lstrip().startswith(":"))


def mismatches(c: dict, period_used: str, geography_used: str, definition_used: str) -> list[str]:
    """How a measure differs from its register row ``c`` (empty: measured as cited); rules in the module docstring."""
    out = []
    if str(c["period"]).strip():
        reg, got = period_span(c["period"]), period_span(period_used)
        same = reg[:2] == got[:2] or (got[2] and reg[0] <= got[0] <= reg[1])
        if not same:
            out.append(f"period {period_used} for {c['period']}")
    if not _same_text(c["geography"], geography_used):
        out.append(f"geography {geography_used} for {c['geography']}")
    if not _same_text(c["unit"], definition_used):
        out.append(f"definition {definition_used} for {c['unit']}")
    return out


def derive_status(c: dict, value: float | None, tol: float | None, close_tol: float | None, period_used: str = "",
                  geography_used: str = "", definition_used: str = "", not_reproducible: bool = False) -> str:
    """Status of a recomputed value against its register row ``c`` (module docstring): ``proxy`` when measured on
    another period, geography or definition, else the tolerance status of :func:`compare`."""
    if not_reproducible:
        return NOT_REPRODUCIBLE
    if mismatches(c, period_used, geography_used, definition_used):
        return PROXY
    return compare(c["value"], c["value_high"], value, tol, close_tol)


def _status_now(c: dict, r: pd.Series) -> str:
    """Status of a recorded result against the register's *current* row.

    The status saved by :func:`record` is not trusted: if the register's value, period, geography
    or unit changed since, the status is derived again with the tolerances and the measure the
    notebook stated.
    """
    if r["status"] == NOT_REPRODUCIBLE or r["recomputed_value"] == "":
        return NOT_REPRODUCIBLE
    return derive_status(c, float(r["recomputed_value"]), float(r["tol"]), float(r["close_tol"]),
                         r["period_used"], r["geography_used"], r["definition_used"])


def forget(notebook: str) -> int:
    """Remove every result recorded by ``notebook`` (run before re-executing it, so that a
    deleted ``record`` call does not leave a stale row). Returns the number of rows removed."""
    path = results_path()
    with locked(path):
        df = _read_results(path)
        keep = df[df["notebook"] != notebook]
        if len(keep) != len(df):
            _write_results(path, keep)
    return len(df) - len(keep)


def scoreboard(claims_path: Path | str = CLAIMS_CSV, results_csv: Path | None = None,
               notebooks_dir: Path = NOTEBOOKS_DIR) -> pd.DataFrame:
    """Join the register with the recorded results (no file written).

    Rows no notebook recorded are ``not reproducible`` (the plan's reason) when the plan
    says so, ``pending`` while the planned notebook does not exist or has not recorded them.
    """
    claims = load_claims(claims_path)
    results_csv = Path(results_csv) if results_csv is not None else results_path()
    results = _read_results(results_csv).set_index("id")
    unknown = sorted(set(results.index) - set(claims["id"]))
    if unknown:
        raise ClaimError(f"{results_csv}: ids not in the register: {unknown}")
    rows = []
    for c in claims.to_dict("records"):
        cited = _fmt(c["value"]) + ("" if pd.isna(c["value_high"]) else f"-{_fmt(c['value_high'])}")
        row = {"id": c["id"], "seed": c["seed"], "cited_value": cited, "unit": c["unit"]}
        if c["id"] in results.index:
            r = results.loc[c["id"]]
            status = _status_now(c, r)
            g = "" if status == NOT_REPRODUCIBLE else _fmt(100 * gap(c["value"], c["value_high"],
                                                                     float(r["recomputed_value"])))
            row |= {"recomputed_value": r["recomputed_value"], "gap_pct": g, "status": status,
                    **{k: r[k] for k in USED_COLUMNS}, "notebook": r["notebook"], "note": r["note"]}
        elif c["plan"].startswith(NOT_REPRODUCIBLE):
            row |= {"recomputed_value": "", "status": NOT_REPRODUCIBLE, "notebook": "",
                    "note": c["plan"].split(":", 1)[-1].strip()}
        else:
            exists = (notebooks_dir / f"{c['plan']}.ipynb").exists()
            why = "not recorded yet by the notebook" if exists else "notebook not written yet"
            row |= {"recomputed_value": "", "status": "pending", "notebook": c["plan"], "note": why}
        rows.append(row)
    return pd.DataFrame(rows, columns=SCOREBOARD_COLUMNS).fillna("")


def build_scoreboard(claims_path: Path | str = CLAIMS_CSV, out_dir: Path | None = None,
                     notebooks_dir: Path = NOTEBOOKS_DIR) -> pd.DataFrame:
    """Write ``scoreboard.csv`` and ``SCOREBOARD.md`` into ``out_dir`` (default: the results folder)
    from the register and ``out_dir/claims_results.csv``; return the scoreboard."""
    out_dir = Path(out_dir) if out_dir is not None else results_dir()
    board = scoreboard(claims_path, out_dir / "claims_results.csv", notebooks_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with replacing(out_dir / "scoreboard.csv") as tmp:  # atomic: a reader never sees half a file
        board.to_csv(tmp, index=False, lineterminator="\n")
    replace_text(out_dir / "SCOREBOARD.md", scoreboard_markdown(board, load_claims(claims_path)))
    return board


def status_counts(board: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Number of claims by status (columns in :data:`STATUSES` order), optionally by another column."""
    if by is None:
        return board["status"].value_counts().reindex(STATUSES, fill_value=0).rename_axis("status").to_frame("claims")
    return pd.crosstab(board[by], board["status"]).reindex(columns=STATUSES, fill_value=0)


def _md_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in df.itertuples(index=False):
        cells = [str(v).replace("|", "\\|").replace("\n", " ") for v in r]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scoreboard_markdown(board: pd.DataFrame, claims: pd.DataFrame) -> str:
    """The scoreboard as Markdown: counts by status and theme, then one row per claim."""
    themed = board.merge(claims[["id", "theme", "quote"]], on="id")
    counts = status_counts(themed, by="theme").reset_index()
    total = status_counts(board).T.reset_index(drop=True)
    total.insert(0, "theme", "all")
    counts = pd.concat([counts, total], ignore_index=True)
    table = themed[["id", "theme", "quote", "cited_value", "recomputed_value", "gap_pct", "unit", "status",
                    *USED_COLUMNS, "notebook", "note"]]
    return (
        "# Scoreboard\n\nGenerated by `make reproduce` from `data/claims.csv` and "
        "`results/claims_results.csv`; do not edit by hand.\n\n"
        "A claim whose value was measured on another period, geography or definition than the register states "
        "(`period_used`, `geography_used`, `definition_used` against its `period`, `geography` and `unit`) is a "
        "**proxy**, counted apart: its gap to the cited value (`gap_pct`) is shown, but it is never reproduced, "
        "close or differs (rule: `analysis.report.claims`).\n\n## Claims by theme and status\n\n"
        + _md_table(counts) + "\n\n## Every claim\n\n" + _md_table(table) + "\n"
    )


def main() -> None:  # python -m analysis.report.claims
    board = build_scoreboard()
    print(status_counts(board).to_string())


if __name__ == "__main__":
    main()


#: Status colours of the scoreboard figure (Okabe-Ito, as :data:`analysis.report.figures.PALETTE`).
STATUS_COLOURS = {"reproduced": "#009E73", "close": "#0072B2", "differs": "#D55E00", "proxy": "#CC79A7",
                  "not reproducible": "#999999", "pending": "#DDDDDD"}
STATUS_LABELS = {"reproduced": ("reproduit", "reproduced"), "close": ("proche", "close"),
                 "differs": ("diffère", "differs"), "proxy": ("approché", "proxy"),
                 "not reproducible": ("non reproductible", "not reproducible"), "pending": ("en attente", "pending")}


def plot_status_by_theme(board: pd.DataFrame, language: str | None = None):
    """Horizontal stacked bars: number of claims per theme (display names, largest first) by status,
    the total at the end of each bar, the legend above the bars. ``board``: the scoreboard joined
    with the register's ``theme`` column. Returns the figure (save it with ``figures.save_figure``)."""
    import matplotlib.pyplot as plt

    from analysis.report import figures

    table = status_counts(board, by="theme")
    table = table.loc[table.sum(axis=1).sort_values(ascending=True, kind="stable").index]  # largest at the top
    labels = [figures.theme_label(t, language) for t in table.index]
    fig, ax = plt.subplots(figsize=figures.TWO_COLUMNS)
    left = pd.Series(0, index=table.index)
    for status in STATUSES:
        fr, en = STATUS_LABELS[status]
        _ = ax.barh(labels, table[status], left=left, color=STATUS_COLOURS[status], label=figures.tr(fr, en, language),
                    height=0.7)
        left = left + table[status]
    total = table.sum(axis=1)
    for y, n in enumerate(total):
        ax.text(n + 0.4, y, figures.fr_number(n, language=language), va="center", ha="left", fontsize=7, color="#333333")
    ax.set_xlim(0, total.max() * 1.08 + 1)
    ax.set_xlabel(figures.tr("Nombre d'affirmations chiffrées", "Number of quantitative claims", language))
    import textwrap

    ax.set_title(textwrap.fill(figures.tr(f"Les {int(total.sum())} affirmations chiffrées des rapports, recalculées sur données publiques",
                            f"The reports' {int(total.sum())} quantitative claims, recomputed from public data", language), 60),
                 loc="left", pad=30)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=min(4, len(STATUSES)), fontsize=7, frameon=False,
              borderaxespad=0.2, handlelength=1.2, columnspacing=1.0)
    ax.grid(axis="y", visible=False)
    return fig
