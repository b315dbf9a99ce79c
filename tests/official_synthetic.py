"""Synthetic URSSAF commune x APE file at national size, official schema -- for TIMING ONLY.

The values are random: never use this file for results. It has the columns of the official
export (the mirror's Rouen extract: 19 identifier columns, then "Nombre d'établissements <y>"
and "Effectifs salariés <y>" for every year), the 34,935 communes of the INSEE 2024 table with
their real codes and zonings (so the crosswalk is exercised as on the real file), and the APE
codes of the Rouen extract with their official labels. Each commune has the APE codes
"actually used" by a commune of its size: about 2.3 x population^0.42 codes (capped at the
number of APE codes), which gives about 1.5 million commune x APE rows, close to the national
file. Per row and year, about 25 % of cells are empty (no establishment that year) and 1 in
2,000 has establishments but no headcount (secret). pyarrow's CSV writer quotes every text
field where the official export quotes only those holding a ';': parsing quoted fields is a
little slower, so the timing errs on the safe side.

``scale`` (``--scale N``) writes every commune's block N times (each copy with its own random
values, the same codes): N times the rows and bytes of the national file, for the scale test
(``make bench-official SCALE=10``: about 15 million rows, 6 GB). The aggregation's groups (commune x
A38) are those of the national file, so its memory should not grow with N; its time should.

``python tests/official_synthetic.py [--communes N] [--scale N] [--out FILE]`` writes it; the benchmark
(:func:`analysis.methods.official_aggregate.bench`, ``make bench-official``) calls
:func:`ensure_national_file`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

YEARS = tuple(range(2006, 2024))
ID_COLUMNS = ["Région", "Ancienne région", "Département", "Zone d'emploi", "EPCI", "Nom commune", "Commune",
              "Grand secteur d'activité", "Secteur NA17", "Secteur NA38", "Secteur NA88", "APE", "Code région",
              "Code ancienne région", "Code département", "Code zone d'emploi", "Code EPCI", "Code commune",
              "Code APE"]
VALUE_COLUMNS = [c for y in YEARS for c in (f"Nombre d'établissements {y}", f"Effectifs salariés {y}")]
FILENAME = "urssaf_commune_ape_synthetic_national_2006_2023.csv"


def _ape_table() -> pd.DataFrame:
    """APE codes of the Rouen extract with their official sector labels."""
    from analysis.data.loaders import employment as E
    from analysis.data.registry import fetch

    raw = pd.read_csv(fetch(E.URSSAF_COMMUNE_APE_ROUEN), sep=";", dtype=str, encoding="utf-8-sig",
                      usecols=["Grand secteur d'activité", "Secteur NA17", "Secteur NA38", "Secteur NA88", "APE",
                               "Code APE"])
    return raw.drop_duplicates("Code APE").sort_values("Code APE", ignore_index=True)


def _communes() -> pd.DataFrame:
    from analysis.geo import areas as geography
    from analysis.data.loaders import geo

    c = geography.communes()
    z = geo.load_supra_communal_zones_2024()
    names = {lv: z[z["level"] == lv].set_index("code")["name"] for lv in ("REG", "DEP", "ZE2020", "EPCI")}
    return pd.DataFrame({
        "Région": c["reg"].map(names["REG"]).fillna(""), "Ancienne région": c["reg"].map(names["REG"]).fillna(""),
        "Département": c["dep"].map(names["DEP"]).fillna(""), "Zone d'emploi": c["ze2020"].map(names["ZE2020"]).fillna(""),
        "EPCI": c["epci"].map(names["EPCI"]).fillna(""), "Nom commune": c["name"],
        "Commune": c["com"] + " " + c["name"], "Code région": c["reg"], "Code ancienne région": c["reg"],
        "Code département": c["dep"], "Code zone d'emploi": c["ze2020"], "Code EPCI": c["epci"],
        "Code commune": c["com"], "population": c["population"],
    })


def write_national_file(path: Path | str, communes: int | None = None, seed: int = 0,
                        chunk_communes: int = 4_000, scale: int = 1) -> dict:
    """Write the synthetic file to ``path`` (';' CSV, UTF-8 with BOM); returns row and byte counts.

    ``scale``: each block of communes is written that many times (fresh random values each time)."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale {scale!r} must be a positive whole number (1 = national size)")
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    ape = _ape_table()
    com = _communes()
    if communes is not None:
        com = com.sample(n=min(communes, len(com)), random_state=seed).sort_values("Code commune")
    com = com.reset_index(drop=True)
    n_ape = len(ape)
    k = np.clip(np.rint(2.3 * np.maximum(com["population"].to_numpy(), 50) ** 0.42), 1, n_ape).astype(int)
    # APE popularity: a few codes (retail, restaurants, building trades) are everywhere
    weights = rng.pareto(1.2, n_ape) + 0.05
    weights /= weights.sum()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    rows = 0
    with open(tmp, "wb") as f:
        f.write("\ufeff".encode())
        writer = None
        for start in range(0, len(com), chunk_communes):
            for _copy in range(scale):
                block = com.iloc[start:start + chunk_communes]
                kb = k[start:start + chunk_communes]
                picks = [rng.choice(n_ape, size=int(n), replace=False, p=weights) for n in kb]
                ci = np.repeat(np.arange(len(block)), kb)
                ai = np.concatenate(picks)
                n = len(ci)
                rows += n
                cols = {}
                for c in ID_COLUMNS:
                    src = ape if c in ape.columns else block
                    idx = ai if c in ape.columns else ci
                    cols[c] = pa.array(src[c].to_numpy()[idx].astype(str))
                size = rng.lognormal(1.2, 1.3, n)  # establishment headcount scale of the row
                est0 = np.maximum(1, rng.poisson(1 + size / 8))
                for y in YEARS:
                    present = rng.random(n) > 0.25
                    est = np.where(present, np.maximum(1, est0 + rng.integers(-1, 2, n)), 0)
                    emp = np.rint(size * est * rng.uniform(0.8, 1.2, n)).astype("int64")
                    secret = present & (rng.random(n) < 0.0005)
                    cols[f"Nombre d'établissements {y}"] = pa.array(est, mask=~present)
                    cols[f"Effectifs salariés {y}"] = pa.array(emp, mask=~present | secret)
                table = pa.table(cols)
                if writer is None:
                    writer = pacsv.CSVWriter(f, table.schema, write_options=pacsv.WriteOptions(
                        delimiter=";", quoting_style="needed", include_header=True))
                writer.write_table(table)
        writer.close()
    tmp.replace(path)
    return {"path": str(path), "communes": len(com), "rows": rows, "bytes": path.stat().st_size, "scale": scale}


def ensure_national_file(communes: int | None = None, seed: int = 0, scale: int = 1) -> Path:
    """The synthetic national file (``scale`` times it) in ``<official_dir>/bench/`` (written on first
    use, about 1 min per national size; ``make prune-cache`` removes it)."""
    from analysis.data import official

    name = FILENAME if communes is None else FILENAME.replace(".csv", f"_{communes}communes_seed{seed}.csv")
    if scale != 1:
        name = name.replace(".csv", f"_x{scale}.csv")
    path = official.official_dir() / "bench" / name
    if not path.is_file():
        info = write_national_file(path, communes=communes, seed=seed, scale=scale)
        print(f"wrote synthetic national file {path}: {info['rows']:,} rows, {info['bytes'] / 2**20:,.0f} MB",
              file=sys.stderr)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--communes", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--out", default=None)
    a = parser.parse_args()
    if a.out:
        print(write_national_file(a.out, communes=a.communes, seed=a.seed, scale=a.scale))
    else:
        print(ensure_national_file(communes=a.communes, seed=a.seed, scale=a.scale))
