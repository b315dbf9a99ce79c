"""The atlas: every territory's key figures, each with its base and source, in files a user can take away.

``recalcul atlas`` (``make atlas``) computes the profile's key figures
(:func:`analysis.methods.territory_figures.key_figures_many`, the functions the profile calls) for every
territory of every level in one vectorised pass and writes, under ``atlas/`` (git-ignored):

- ``atlas/<level>.csv`` and ``.parquet`` for ``ti2018``, ``ti2023``, ``epci``, ``ze2020``, ``dep``, ``reg``:
  one row per territory (``level``, ``code``, ``name``, ``wave``, ``region``), one column per figure plus its
  ``_base``, ``_period``, ``_coverage_pct``, ``_secret_share_pct`` and ``_note``;
- ``atlas/<level>/<code>.json``: the territory's figures as measured-figure records (value, unit, period,
  base, area measured, coverage, source, secret share, note) and the registry version of the mirror;
- ``atlas/metadata.json``: the columns, the figures' units, the registry version, the build time.

:func:`territory` reads one territory's JSON (milliseconds), :func:`table` one level's table;
:func:`compare` sets 2 to 6 territories side by side (table and figure, under ``runs/compare-<slug>/``) with
the territories most like each of them (:func:`analysis.methods.neighbours.nearest`).
"""

from __future__ import annotations

import hashlib
import textwrap
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from analysis.geo import areas as geography
from analysis.methods import neighbours, territory_figures as tf
from analysis.paths import DATA_DIR, REPO_ROOT

__all__ = ["LEVELS", "ATLAS_DIR", "RUNS_DIR", "areas_of", "atlas_level", "build", "check_compared", "territory", "table", "registry_version",
           "level_of", "compare", "ranking", "figure_map", "MAP_SHAPES"]

#: atlas level -> (resolver level, TI wave)
LEVELS = {"ti2018": ("ti", geography.WAVE_2018), "ti2023": ("ti", geography.WAVE_2023), "epci": ("epci", None),
          "ze2020": ("ze2020", None), "dep": ("dep", None), "reg": ("reg", None)}
ATLAS_DIR = REPO_ROOT / "atlas"
RUNS_DIR = REPO_ROOT / "runs"


def registry_version() -> dict:
    """The mirror's registry version: SHA-256 of ``data/registry.csv`` and its number of files."""
    data = (DATA_DIR / "registry.csv").read_bytes()
    return {"registry_sha256": hashlib.sha256(data).hexdigest(), "files": data.count(b"\n") - 1}


def level_of(area) -> str:
    """The atlas level of a resolved area ('ti2018', 'ti2023', 'epci', ...); ValueError for another level."""
    if area.level == "ti":
        return "ti2018" if area.wave == geography.WAVE_2018 else "ti2023"
    if area.level in LEVELS:
        return area.level
    raise ValueError(f"the atlas has no level {area.level!r} (levels: {', '.join(LEVELS)})")


def areas_of(level: str) -> list:
    """Every territory of an atlas level, resolved (EPCIs and EPTs of the 2024 commune table, zones d'emploi
    2020, départements and régions with a commune, the TIs of one wave)."""
    if level not in LEVELS:
        raise ValueError(f"unknown atlas level {level!r}; levels: {', '.join(LEVELS)}")
    kind, wave = LEVELS[level]
    r = geography.resolver()
    if kind == "ti":
        return r.resolve_many("ti", list(geography.ti_names(wave).index), wave=wave)
    c = geography.communes()
    if kind == "epci":
        codes = sorted(set(c["epci"]) - {"ZZZZZZZZZ"})
    else:
        codes = sorted(set(c[kind].dropna()))
    return r.resolve_many(kind, codes)


def _records(long: pd.DataFrame) -> dict[int, list[dict]]:
    """The rows of :func:`analysis.methods.territory_figures.key_figures_many`'s long table as JSON-ready
    dicts (NaN as None, numpy scalars as Python ones), by area position, in the table's order."""
    out: dict[int, list[dict]] = {}
    for i, r in zip(long["area"].tolist(), long.drop(columns="area").to_dict("records")):
        out.setdefault(i, []).append({k: (None if isinstance(v, float) and np.isnan(v) else
                                          (v.item() if isinstance(v, np.generic) else v)) for k, v in r.items()})
    return out


def _identity(a, level: str) -> dict:
    return {"level": level, "code": "+".join(a.codes), "name": a.name, "wave": a.wave or "", "region": a.region,
            "region_name": a.region_name}


def build(out_dir: Path | str | None = None, levels: Sequence[str] | None = None, inputs=None) -> dict:
    """Compute and write the atlas (see the module docstring); returns per-level counts and timings.

    The files are written into a temporary folder beside ``out_dir`` and swapped in at the end, so a
    reader never sees half an atlas. Building some ``levels`` keeps the other levels of the atlas already
    in ``out_dir`` when they were built from the same mirror (registry version) and figures (``kept``);
    those built from another are removed, and named (``dropped``), never mixed with the new ones."""
    t0 = time.perf_counter()
    out = Path(out_dir) if out_dir is not None else ATLAS_DIR
    levels = list(levels or LEVELS)
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise ValueError(f"unknown atlas level(s) {unknown}; levels: {', '.join(LEVELS)}")
    inp = inputs if inputs is not None else tf.load_inputs()
    t_inputs = time.perf_counter() - t0
    all_areas, which = [], []
    for lv in levels:
        found = areas_of(lv)
        all_areas += found
        which += [lv] * len(found)
    t_resolve = time.perf_counter() - t0 - t_inputs
    long = tf.key_figures_many(all_areas, inp)
    t_figures = time.perf_counter() - t0 - t_inputs - t_resolve
    version = registry_version()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        ident = pd.DataFrame([_identity(a, lv) for a, lv in zip(all_areas, which)])
        wide = tf.wide(long)
        records = _records(long)
        ident_rows = ident.to_dict("records")
        counts = {}
        for lv in levels:
            idx = [i for i, w in enumerate(which) if w == lv]
            t = pd.concat([ident.loc[idx].reset_index(drop=True), wide.loc[idx].reset_index(drop=True)], axis=1)
            for col in tf.FIGURES:
                t[col] = pd.to_numeric(t[col], errors="coerce")
            t.to_csv(tmp / f"{lv}.csv", index=False, lineterminator="\n")
            t.to_parquet(tmp / f"{lv}.parquet", index=False)
            (tmp / lv).mkdir()
            for i in idx:
                rec = {**ident_rows[i], "figures": records[i], "mirror": version,
                       "units": tf.FIGURES}
                name = rec["code"].replace("/", "_")
                (tmp / lv / f"{name}.json").write_text(json.dumps(rec, ensure_ascii=False, indent=1), encoding="utf-8")
            counts[lv] = len(idx)
        kept, dropped = _keep_other_levels(out, tmp, levels, version)
        meta = {"levels": {lv: ({**counts, **kept})[lv] for lv in LEVELS if lv in counts or lv in kept},
                "figures": tf.FIGURES, "mirror": version,
                "columns": ["level", "code", "name", "wave", "region", "region_name"] + list(wide.columns),
                "generated_by": "recalcul atlas", "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        (tmp / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    total = time.perf_counter() - t0
    return {"levels": counts, "kept": kept, "dropped": dropped, "territories": len(all_areas), "seconds": round(total, 1),
            "seconds_inputs": round(t_inputs, 1), "seconds_resolve": round(t_resolve, 1),
            "seconds_figures": round(t_figures, 1), "seconds_write": round(total - t_inputs - t_resolve - t_figures, 1),
            "out_dir": str(out)}


def _keep_other_levels(out: Path, tmp: Path, levels: Sequence[str], version: dict) -> tuple[dict, list]:
    """Copy into ``tmp`` the levels of the atlas in ``out`` that are not rebuilt, when that atlas was built from
    the same mirror and figures: ``{level: territories}`` kept, and the levels left out because they were not."""
    try:
        meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, []
    others = [lv for lv in meta.get("levels", {}) if lv in LEVELS and lv not in levels]
    if not others:
        return {}, []
    if meta.get("mirror") != version or meta.get("figures") != tf.FIGURES:
        return {}, others
    kept = {}
    for lv in others:
        if not (out / lv).is_dir():
            continue
        shutil.copytree(out / lv, tmp / lv)
        for ext in ("csv", "parquet"):
            shutil.copyfile(out / f"{lv}.{ext}", tmp / f"{lv}.{ext}")
        kept[lv] = meta["levels"][lv]
    return kept, [lv for lv in others if lv not in kept]


def _atlas_dir(atlas_dir) -> Path:
    d = Path(atlas_dir) if atlas_dir is not None else ATLAS_DIR
    if not (d / "metadata.json").is_file():
        raise FileNotFoundError(f"no atlas in {d}: run `recalcul atlas` (make atlas) first")
    return d


def atlas_level(level, wave=None) -> str:
    """The atlas level of a request's level, read as :func:`analysis.geo.areas.resolve` reads it: an atlas level
    ('ti2018', 'ti2023', 'epci', 'ze2020', 'dep', 'reg'), or a level of the resolver ('ti' with ``wave``, default
    2023-2027; 'ze', 'departement', 'region'...). A wave for another level, or a level the atlas has not
    (commune, ze2010), is refused (:class:`analysis.geo.areas.UnknownAreaError`) without reading any table."""
    if isinstance(level, str) and level in LEVELS and (LEVELS[level][0] == "ti" or wave is None):
        kind, own = LEVELS[level]
        if wave is not None and geography.normalise_wave(wave) != own:
            raise geography.UnknownAreaError(f"atlas level {level!r} and wave={wave!r} disagree: drop wave, or give "
                                             f"level 'ti' with the wave")
        return level
    try:
        lv = geography.normalise_level(level)
    except geography.UnknownAreaError:
        raise geography.UnknownAreaError(f"unknown level {level!r}; atlas levels: {', '.join(LEVELS)} "
                                          "(or 'ti' with a wave, 'ze', 'departement', 'region')") from None
    if lv == "ti":
        return "ti2018" if geography.normalise_wave(wave or geography.WAVE_2023) == geography.WAVE_2018 else "ti2023"
    if wave is not None:
        raise geography.UnknownAreaError(f"a wave applies only to a Territoire d'industrie (level 'ti'), not to "
                                          f"{lv}: drop wave={wave!r}")
    if lv not in LEVELS:
        raise geography.UnknownAreaError(f"the atlas has no level {lv!r} (levels: {', '.join(LEVELS)}); "
                                          "its profile: recalcul profile, or analysis.key_figures")
    return lv


def territory(level, code=None, atlas_dir: Path | str | None = None, *, wave=None) -> dict:
    """One territory's figures from the atlas JSON, in a few milliseconds (no table is read).

    ``level``/``code``/``wave``: as :func:`analysis.geo.areas.resolve` takes them ('ti', 'TI-0401', wave='2018';
    'dep', '2a'; 'ze', 5219), or an atlas level ('ti2018', ...), or a resolved :class:`~analysis.geo.areas.Area`
    of one code. KeyError when the territory has no file in the atlas (build it: ``recalcul atlas``)."""
    if isinstance(level, geography.Area):
        if len(level.codes) != 1:
            raise KeyError(f"the atlas holds single territories, not the {len(level.codes)} codes {list(level.codes)}")
        lv, code = level_of(level), level.codes[0]
    else:
        lv = atlas_level(level, wave)
        code = geography.normalise_code(LEVELS[lv][0], code)
    path = _atlas_dir(atlas_dir) / lv / f"{code}.json"
    if not path.is_file():
        if path.parent.is_dir():  # the level is built: a code it has no file for is first checked by the resolver
            kind, wave_of = LEVELS[lv]
            geography.resolve(kind, code, wave=wave_of if kind == "ti" else None)  # its refusal, with its hints
        raise KeyError(f"{code!r} is not in the atlas level {lv!r} (files in {path.parent}; build them: "
                       "recalcul atlas)")
    return json.loads(path.read_text(encoding="utf-8"))


def table(level, atlas_dir: Path | str | None = None, *, wave=None) -> pd.DataFrame:
    """One level's atlas table (one row per territory); ``level``/``wave`` as :func:`atlas_level` reads them."""
    return pd.read_parquet(_atlas_dir(atlas_dir) / f"{atlas_level(level, wave)}.parquet")


# ---------------------------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------------------------

#: Figures shown in the comparison chart, with their French and English titles.
COMPARED = {
    "industry_share_pct": ("Part de l'industrie dans l'emploi (%)", "Industry's share of jobs (%)"),
    "private_jobs_growth_pct": ("Emploi salarié privé, 2019-2024 (%)", "Private salaried jobs, 2019-2024 (%)"),
    "industry_jobs_growth_pct": ("Emploi industriel privé, 2019-2024 (%)", "Private industrial jobs, 2019-2024 (%)"),
    "unemployment_rate_pct": ("Taux de chômage, dernier trimestre (%)", "Unemployment rate, last quarter (%)"),
}


def _slug(areas) -> str:
    return "_".join(f"{a.level}-{'+'.join(a.codes)}" + (f"-{a.wave[:4]}" if a.wave else "") for a in areas)[:120]


def check_compared(areas: Sequence) -> None:
    """ValueError unless ``areas`` are 2 to 6 resolved territories, none given twice (TypeError for an item that
    is not a resolved Area)."""
    areas = geography.require_areas(areas, "compare")
    if not 2 <= len(areas) <= 6:
        raise ValueError(f"compare 2 to 6 territories, got {len(areas)}")
    keys = [(a.level, tuple(a.codes), a.wave) for a in areas]
    twice = [f"{a.level} {'+'.join(a.codes)}" for i, a in enumerate(areas) if keys[i] in keys[:i]]
    if twice:
        raise ValueError(f"the same territory is given twice: {', '.join(twice)}; compare different territories")


def compare(areas: Sequence, out_dir: Path | str | None = None, *, inputs=None, k: int = 5,
            atlas_dir: Path | str | None = None) -> dict:
    """Set 2 to 6 resolved territories side by side: key figures with their bases, a figure in French and in
    English, and for each the ``k`` territories of its level most like it (from the atlas when it was built,
    else computed here). Writes under ``runs/compare-<slug>/``; returns the paths and tables."""
    from analysis.report import figures

    check_compared(areas)
    inp = inputs if inputs is not None else tf.load_inputs()
    long = tf.key_figures_many(list(areas), inp)
    names = [a.name + (f" ({a.wave})" if a.wave else "") for a in areas]
    side = long.pivot(index="figure", columns="area", values="value").reindex(list(tf.FIGURES))
    side.columns = names
    bases = long.pivot(index="figure", columns="area", values="base").reindex(list(tf.FIGURES))
    bases.columns = [f"{n} [base]" for n in names]
    tab = pd.concat([side, bases], axis=1).reset_index()
    out = Path(out_dir) if out_dir is not None else RUNS_DIR / f"compare-{_slug(areas)}"
    out.mkdir(parents=True, exist_ok=True)
    tab.to_csv(out / "compare.csv", index=False, lineterminator="\n")
    long.assign(territory=[names[i] for i in long["area"]]).drop(columns="area").to_csv(
        out / "compare_records.csv", index=False, lineterminator="\n")
    near = {}
    for a, nm in zip(areas, names):
        lv = level_of(a) if a.level in ("ti", *LEVELS) else None
        if lv is None:
            continue
        try:
            t = table(lv, atlas_dir)
        except FileNotFoundError:  # no atlas built (or not this level): the level is computed here
            t = None
        if t is None:
            found = areas_of(lv)
            w = tf.wide(tf.key_figures_many(found, inp))
            t = pd.concat([pd.DataFrame([_identity(x, lv) for x in found]), w.reset_index(drop=True)], axis=1)
        try:
            near[nm] = neighbours.nearest(t, "+".join(a.codes), k)
        except (KeyError, ValueError) as err:
            near[nm] = pd.DataFrame({"note": [str(err)]})
        near[nm].to_csv(out / f"like_{'+'.join(a.codes)}.csv", index=False, lineterminator="\n")
    written = figures.save_figure(lambda: _compare_figure(long, names), "compare",
                                  sources="Insee, Urssaf, Etalab, ANCT, Commission européenne (EUTL)",
                                  notebook="recalcul compare", title=("Chiffres clés comparés", "Key figures compared"),
                                  out_dir=out, draw_title=False)
    return {"dir": out, "table": tab, "records": long, "like": near, "figures": written}


def _compare_figure(long: pd.DataFrame, names: list[str]):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from analysis.report import figures

    language = figures.lang()  # the language save_figure draws in
    figures.use_style()
    fig, axes = plt.subplots(2, 2, figsize=(figures.FULL_WIDTH[0], 4.2), layout="constrained")
    colours = [figures.PALETTE[i % len(figures.PALETTE)] for i in range(len(names))]
    y = np.arange(len(names))[::-1]
    for ax, (fid, (fr, en)) in zip(axes.flat, COMPARED.items()):
        d = long[long["figure"] == fid].set_index("area")
        values = [None if d.loc[i, "value"] is None else float(d.loc[i, "value"]) for i in range(len(names))]
        span = max([abs(v) for v in values if v is not None] or [1.0])
        for yy, i, v in zip(y, range(len(names)), values):
            if v is None:
                ax.text(0.02 * span, yy, figures.tr("non disponible", "not available", language), va="center",
                        fontsize=7, color="#555555")
                continue
            proxy = d.loc[i, "base"] == "zone proxy"
            ax.barh(yy, v, color="white" if proxy else colours[i], edgecolor=colours[i],
                    hatch="////" if proxy else None, height=0.6)
            ax.text(v + (0.02 if v >= 0 else -0.02) * span, yy, figures.fr_number(v, 1, language=language),
                    va="center", ha="left" if v >= 0 else "right", fontsize=7)
        ax.axvline(0, color="#333333", linewidth=0.6)
        ax.set_yticks([])
        ax.set_ylim(-0.6, len(names) - 0.4)  # every territory keeps its row, a missing one its words
        ax.set_xlim(min(0, min([v for v in values if v is not None] or [0]) * 1.3), span * 1.3)
        ax.set_title(figures.tr(fr, en, language), fontsize=8, loc="left")
        ax.tick_params(axis="x", labelsize=7)
    handles = [Patch(facecolor=c, edgecolor=c) for c in colours] + [
        Patch(facecolor="white", edgecolor="#555555", hatch="////")]
    labels = list(names) + [figures.tr("hachuré : zones d'emploi approchant le territoire (proxy)",
                                       "hatched: zones d'emploi standing for the territory (proxy)", language)]
    fig.legend(handles, labels, loc="outside upper left", ncols=2, fontsize=7, frameon=False)
    return fig


# ---------------------------------------------------------------------------------------------
# Rankings with their caveats, and national maps
# ---------------------------------------------------------------------------------------------

#: Display names of the key figures (French, English).
FIGURE_LABELS = {
    "population": ("Population municipale", "Municipal population"),
    "private_jobs": ("Emploi salarié privé, 2024", "Private salaried jobs, 2024"),
    "private_jobs_growth_pct": ("Emploi salarié privé, évolution 2019-2024 (%)", "Private salaried jobs, change 2019-2024 (%)"),
    "industry_share_pct": ("Part de l'industrie dans l'emploi (%)", "Industry's share of jobs (%)"),
    "industry_jobs": ("Emploi industriel privé, 2024", "Private industrial jobs, 2024"),
    "industry_jobs_growth_pct": ("Emploi industriel privé, évolution 2019-2024 (%)",
                                 "Private industrial jobs, change 2019-2024 (%)"),
    "unemployment_rate_pct": ("Taux de chômage (%)", "Unemployment rate (%)"),
    "ets_sites": ("Installations SEQE-UE", "EU ETS installations"),
    "ets_verified_emissions_2022_kt": ("Émissions vérifiées SEQE-UE 2022 (kt CO2e)", "EU ETS verified emissions 2022 (kt CO2e)"),
}

#: atlas level -> (loader of its metropolitan outlines, code column); TIs have no outline file per territory.
MAP_SHAPES = {"epci": ("load_epci_shapes", "epci"), "ze2020": ("load_ze2020_shapes", "ze2020"),
              "dep": ("load_departement_shapes", "dep"), "reg": ("load_region_shapes", "reg")}


def ranking(level: str, figure: str, n: int | None = 10, *, ascending: bool = False,
            atlas_dir: Path | str | None = None, wave=None) -> pd.DataFrame:
    """The territories of ``level`` ranked by ``figure`` (largest first unless ``ascending``), each with the
    caveats that go with its value: ``base`` (a proxy says so), ``coverage_pct``, ``secret_share_pct``, ``flag``
    ('proxy: zones d'emploi standing for the territory', 'unreliable: ...', 'lower bound: ...') and ``note``.
    Territories whose figure is missing are listed after the ranked ones, with the reason (never ranked as 0).
    ``n``: rows of ranked territories kept (None: all). ``level``/``wave``: as :func:`atlas_level` reads them."""
    if figure not in tf.FIGURES:
        raise ValueError(f"unknown figure {figure!r}; figures: {', '.join(tf.FIGURES)}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise ValueError(f"n must be a positive whole number of rows or None, got {n!r}")
    t = table(level, atlas_dir, wave=wave)
    cols = ["code", "name", "wave", figure, f"{figure}_base", f"{figure}_period", f"{figure}_coverage_pct",
            f"{figure}_secret_share_pct", f"{figure}_note"]
    d = t[cols].rename(columns={figure: "value", f"{figure}_base": "base", f"{figure}_period": "period",
                                f"{figure}_coverage_pct": "coverage_pct",
                                f"{figure}_secret_share_pct": "secret_share_pct", f"{figure}_note": "note"})
    ranked = d[d["value"].notna()].sort_values(["value", "code"], ascending=[ascending, True], kind="stable")
    ranked = ranked.head(n) if n is not None else ranked
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    missing = d[d["value"].isna()].assign(rank=pd.NA)

    def flag(r) -> str:
        out = []
        if r["base"] == "zone proxy":
            out.append("proxy: zones d'emploi standing for the territory")
        note = str(r["note"] or "")
        if "unreliable" in note:
            out.append("unreliable: cells published in one year only hold more than 5 % of jobs")
        if "lower bound" in note:
            out.append("lower bound: secret cells not counted")
        if r["period"] != common_period:
            out.append(f"another period or definition ({r['period']}): not comparable with the {common_period} values")
        return "; ".join(out)

    out = pd.concat([ranked, missing[ranked.columns]], ignore_index=True)
    periods = d.loc[d["value"].notna(), "period"]
    common_period = periods.mode().iloc[0] if len(periods) else ""  # e.g. the census 2022 EPCI share against 2016
    out["flag"] = [flag(r) if pd.notna(r["value"]) else "" for r in out.to_dict("records")]
    return out[["rank", "code", "name", "wave", "value", "period", "base", "coverage_pct", "secret_share_pct", "flag",
                "note"]]


def figure_map(level: str, figure: str, out_dir: Path | str | None = None, *, atlas_dir: Path | str | None = None):
    """National map of ``figure`` for a level whose outlines the mirror holds (:data:`MAP_SHAPES`: EPCI, zones
    d'emploi 2020, départements, régions; metropolitan France), in French and English, with the ranking as CSV,
    under ``runs/map-<level>-<figure>/``. Proxy values are hatched, missing ones grey and named in the legend.
    Returns the folder."""
    from analysis.data.loaders import geo as geo_loaders
    from analysis.report import figures

    if level not in MAP_SHAPES:
        raise ValueError(f"no outlines in the mirror for the level {level!r}: maps exist for {', '.join(MAP_SHAPES)}")
    loader, col = MAP_SHAPES[level]
    shapes = getattr(geo_loaders, loader)()[[col, "geometry"]].rename(columns={col: "code"})
    rank = ranking(level, figure, None, atlas_dir=atlas_dir)
    out = Path(out_dir) if out_dir is not None else RUNS_DIR / f"map-{level}-{figure}"
    out.mkdir(parents=True, exist_ok=True)
    rank.to_csv(out / "ranking.csv", index=False, lineterminator="\n")
    g = shapes.merge(rank[["code", "value", "base"]], on="code", how="left")
    g["value"] = pd.to_numeric(g["value"], errors="coerce")
    unit = tf.FIGURES[figure]

    def draw():
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(figures.FULL_WIDTH[0], 5.6), layout="constrained")
        known = g[g["value"].notna()]
        if g["value"].isna().any():
            figures.plot_geo(g[g["value"].isna()], ax, color="#dddddd", edgecolor="white", linewidth=0.2)
        figures.plot_geo(known, ax, column="value", cmap="viridis", edgecolor="white", linewidth=0.2, legend=True,
                         legend_kwds={"label": unit, "shrink": 0.6})
        proxy = known[known["base"] == "zone proxy"]
        if len(proxy):
            figures.plot_geo(proxy, ax, facecolor="none", edgecolor="#333333", hatch="///", linewidth=0.2)
        ax.set_axis_off()
        ax.set_aspect(1 / 0.7)
        fr, en = FIGURE_LABELS[figure]
        lv_fr, lv_en = figures.LEVELS.get(level, (level, level))
        ax.set_title(textwrap.fill(figures.tr(f"{fr}, par {lv_fr.lower()} (gris : non disponible ; hachuré : zones "
                                              "d'emploi approchant le territoire)",
                                              f"{en}, by {lv_en} (grey: not available; hatched: zones d'emploi standing "
                                              "for the territory)"), 75), fontsize=9, loc="left")
        return fig

    figures.save_figure(draw, f"map_{level}_{figure}", sources="Insee, Urssaf, IGN Admin Express, Etalab",
                        notebook="recalcul rank --map", out_dir=out, draw_title=False)
    return out
