"""Checks on the claims register ``data/claims.csv``.

The register lists every quantitative claim of the seed reports. These tests check its
shape (columns, ids, numbers, plans, themes) and, when the seed texts are available
next to the repository (``../shared/seeds``), that the digits of each quote really
occur in its seed, which catches typos in transcribed figures.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CLAIMS_CSV = REPO_ROOT / "data" / "claims.csv"
SEEDS_DIR = (REPO_ROOT / ".." / "shared" / "seeds").resolve()

COLUMNS = ["id", "seed", "quote", "value", "value_high", "unit", "period", "geography",
           "attributed_to", "theme", "plan"]
SEED_NAMES = [
    "000_61d0b31747c9ad66.txt",
    "001_32fdb6f53219cade.txt",
    "002_46c7baefcb1458a4.txt",
    "003_cc08c46dbb68294d.txt",
    "004_6494c869fd585996.txt",
]
# Notebooks that may be a claim's plan: every numbered notebook of notebooks/ (discovered, not listed).
NOTEBOOKS = sorted(p.stem for p in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NOT_REPRODUCIBLE = "not reproducible: "
THEMES = {"multiplier", "territorial_dynamics", "energy", "territory_profile", "programme",
          "skills", "innovation", "funding"}
ID_RE = re.compile(r"^[a-z0-9_]+$")
# A number as printed in the seeds: digits, possibly grouped by a space or a separator
# ("4 900", "0,45", "2007-2023" gives two numbers).
NUMBER_RE = re.compile(r"\d+(?:[ .,]\d+)*")


def normalise(text: str) -> str:
    """Same spacing everywhere: non-breaking, narrow and thin spaces become spaces, runs collapse."""
    for ch in ("\u00a0", "\u202f", "\u2009", "\u2007", "\u200a"):
        text = text.replace(ch, " ")
    return re.sub(r"\s+", " ", text)


def _read_header() -> list[str]:
    with CLAIMS_CSV.open(encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def _read_rows() -> list[dict[str, str]]:
    with CLAIMS_CSV.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


ROWS = _read_rows() if CLAIMS_CSV.exists() else []


def _seed_names() -> set[str]:
    if SEEDS_DIR.is_dir():
        return {p.name for p in SEEDS_DIR.glob("*.txt")}
    return set(SEED_NAMES)


def _row_id(row: dict[str, str]) -> str:
    return row.get("id", "?")


def test_register_exists_and_not_empty():
    assert CLAIMS_CSV.exists(), f"missing {CLAIMS_CSV}"
    assert len(ROWS) > 0


def test_exact_columns():
    assert _read_header() == COLUMNS


def test_ids_unique_and_slugs():
    ids = [r["id"] for r in ROWS]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate ids: {duplicates}"
    bad = [i for i in ids if not ID_RE.match(i)]
    assert not bad, f"ids not matching {ID_RE.pattern}: {bad}"


def test_seed_is_known():
    known = _seed_names()
    bad = [(r["id"], r["seed"]) for r in ROWS if r["seed"] not in known]
    assert not bad, f"unknown seed files: {bad}"


def test_quote_not_empty():
    bad = [r["id"] for r in ROWS if not r["quote"].strip()]
    assert not bad, f"empty quotes: {bad}"


def test_value_is_float():
    bad = []
    for r in ROWS:
        try:
            float(r["value"])
        except ValueError:
            bad.append((r["id"], r["value"]))
    assert not bad, f"values that are not numbers: {bad}"


def test_value_high_empty_or_not_below_value():
    bad = []
    for r in ROWS:
        if r["value_high"] == "":
            continue
        try:
            high = float(r["value_high"])
        except ValueError:
            bad.append((r["id"], r["value_high"], "not a number"))
            continue
        if high < float(r["value"]):
            bad.append((r["id"], r["value_high"], f"below value {r['value']}"))
    assert not bad, f"bad value_high: {bad}"


def test_plan_is_a_notebook_or_not_reproducible():
    bad = []
    for r in ROWS:
        plan = r["plan"]
        if plan in NOTEBOOKS:
            continue
        if plan.startswith(NOT_REPRODUCIBLE) and plan[len(NOT_REPRODUCIBLE):].strip():
            continue
        bad.append((r["id"], plan))
    assert not bad, f"plan must be one of {NOTEBOOKS} or '{NOT_REPRODUCIBLE}<dataset>': {bad}"


def test_theme_allowed():
    bad = [(r["id"], r["theme"]) for r in ROWS if r["theme"] not in THEMES]
    assert not bad, f"themes outside {sorted(THEMES)}: {bad}"


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_quote_digits_in_seed(row):
    path = SEEDS_DIR / row["seed"]
    if not path.is_file():
        pytest.skip(f"seed {row['seed']} not available")
    text = normalise(path.read_text(encoding="utf-8"))
    quote = normalise(row["quote"])
    missing = [n for n in NUMBER_RE.findall(quote) if n not in text]
    assert not missing, f"{row['id']}: numbers {missing} of the quote do not occur in {row['seed']}"


def test_plan_notebooks_are_discovered_from_the_folder():
    assert len(NOTEBOOKS) >= 8 and NOTEBOOKS == sorted(NOTEBOOKS)
    assert {"01_local_multiplier", "02_territorial_dynamics", "08_long_run_industry"} <= set(NOTEBOOKS)
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", n) for n in NOTEBOOKS)
