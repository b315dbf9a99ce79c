"""The Recalcul book: the executed notebooks, the findings, a claims explorer, a figure gallery and an atlas, as a static site.

``recalcul site`` (``make site``) writes ``site/index.html``. Tool: Sphinx with MyST-NB
and sphinx-book-theme (configuration in ``book/conf.py``): pure-Python packages pinned in
``constraints.txt`` that build offline, render the committed notebook outputs as they are
(``nb_execution_mode = "off"``: nothing is re-executed), and give navigation and client-side search.

The pages are generated into a temporary source folder from what is discovered, never listed, and
Sphinx writes into that temporary folder too (MyST-NB puts its ``jupyter_execute`` outputs beside the
output folder): only ``site/`` (and ``atlas/`` when it must be built) is written, both git-ignored.

- every numbered notebook ``notebooks/NN_*.ipynb``, copied (the notebooks are not edited) with its code cells
  collapsed (``hide-input``), an answer box right after its title (its scoreboard rows: cited, recomputed,
  status, why), an ``<a id="claim-<id>">`` anchor on the section (last markdown cell) before the first code
  cell that names a claim id, an ``<a id="figure-<name>">`` anchor on the section that exports a figure, and
  alt text (the figure's title) on the images of cells that save a figure;
- ``index``: the findings of the headline families (:data:`FAMILIES`: multiplier, métropoles, energy), each
  recomputed claim with cited and recomputed values, status and one sentence on why (:func:`why`), then the
  counts by status (proxies, not reproducible and pending apart), the claims-by-theme chart and table;
- ``claims``: every claim in an interactive table (itables, offline DataTables bundle): claim, quote
  (truncated, expandable), cited, recomputed and status first, then unit, theme, seed, figures and the note
  on demand; filters in the column headers, sort;
- ``gallery``: every figure of ``figures/index.csv`` in English (``figures/en/``) and French, with a language
  switch, caption, sources, claims served and SVG / PDF / PNG downloads;
- ``atlas``: one itables table per atlas level (:mod:`analysis.report.atlas`, built when ``atlas/`` is
  missing), each row linked to the territory's JSON and CSV (copied into ``site/atlas/``) and to its rendered
  profile when ``profiles/`` holds one; one page per TI of the 2023-2027 wave, written from its JSON into a
  page Sphinx rendered once as a template (no kernel, no Sphinx run per territory).
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd

from analysis.report.claims import STATUSES, load_claims, scoreboard, status_counts
from analysis.paths import NOTEBOOKS_DIR, REPO_ROOT

SITE_DIR = REPO_ROOT / "site"
BOOK_DIR = REPO_ROOT / "book"
FIGURES_DIR = REPO_ROOT / "figures"
PROJECT = "Recalcul"
SAVE_FIGURE = re.compile(r"save_figure\(\s*\w+\s*,\s*[\"']([^\"']+)[\"']")


def claim_anchors(nb, claim_ids: list[str]) -> dict[str, str]:
    """Map claim id -> anchor of the section recording it, inserting ``<a id="claim-...">`` tags.

    The anchor tag is added to the last markdown cell before the first code cell whose source
    contains the claim id (quoted). Modifies ``nb`` (pass a copy).
    """
    anchors: dict[str, str] = {}
    last_md = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            last_md = cell
            continue
        if cell.cell_type != "code" or last_md is None:
            continue
        for cid in claim_ids:  # (the substring test first: a regular expression per id and cell took 0.15 s a book)
            if cid not in anchors and cid in cell.source and re.search(rf"[\"']{re.escape(cid)}[\"']", cell.source):
                anchors[cid] = f"claim-{cid}"
                last_md.source = f'<a id="claim-{cid}"></a>\n\n' + last_md.source
    return anchors


def notebook_title(nb, default: str) -> str:
    """The first line of the first markdown cell, without the ``#`` marks (plain text)."""
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.strip():
            return c.source.strip().splitlines()[0].lstrip("# ").strip()
    return default


def prepare_notebook(nb, claim_ids: list[str], figure_titles: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Make ``nb`` (a copy) book-ready: claim and figure anchors, collapsed code, image alt text.

    Returns (claim id -> anchor, figure name -> anchor)."""
    claims_at = claim_anchors(nb, claim_ids)
    figures_at: dict[str, str] = {}
    last_md = None
    section = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            last_md = cell
            heads = [ln.lstrip("# ").strip() for ln in cell.source.splitlines() if ln.startswith("#")]
            section = heads[-1] if heads else section
            continue
        if cell.cell_type != "code":
            continue
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if "hide-input" not in tags:
            tags.append("hide-input")
        names = SAVE_FIGURE.findall(cell.source)
        for name in names:
            if last_md is not None and name not in figures_at:
                figures_at[name] = f"figure-{name}"
                last_md.source = f'<a id="figure-{name}"></a>\n\n' + last_md.source
        if any(o.get("output_type") in ("display_data", "execute_result") and
               any(k.startswith("image/") for k in o.get("data", {})) for o in cell.get("outputs", [])):
            alt = "; ".join(figure_titles.get(n, n) for n in names) or f"Figure: {section}"
            cell.metadata.setdefault("mystnb", {}).setdefault("image", {})["alt"] = alt
    return claims_at, figures_at


def read_figure_index(figures_dir: Path = FIGURES_DIR) -> list[dict]:
    path = figures_dir / "index.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _short(value: str) -> str:
    """A recorded value as a reader compares it with the cited one: one decimal below 1,000 ('6.702' -> '6.7',
    '-0.007534' -> '-0.0', '87.8'), whole numbers with thousands separators above ('707903' -> '707,903')."""
    try:
        v = float(value)
    except ValueError:
        return value
    if v != v:
        return value
    if abs(v) >= 1000 or v.is_integer():
        return f"{v:,.0f}"
    return f"{v:.1f}"


def _status_span(status: str) -> str:
    return f'<span class="status-{status.replace(" ", "-")}">{html.escape(status)}</span>'


def _ids(text: str) -> str:
    """An identifier escaped for HTML with break opportunities after its underscores (never mid-word)."""
    return html.escape(text).replace("_", "_<wbr>")


def _truncate(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: text.rfind(" ", 0, n) if " " in text[:n] else n].rstrip(" ,;:") + "…"


def why(row) -> str:
    """One sentence on why a recorded claim has its status, from the scoreboard and the register.

    A proxy says on what it was measured instead of the cited period / area (or, when both match, the
    definition it measured); any other status gives the first clause of the notebook's note."""
    if row.status == "proxy":
        cited_p, cited_g = str(getattr(row, "period", "")), str(getattr(row, "geography", ""))
        used_p, used_g = str(row.period_used), str(row.geography_used)
        parts = []
        if used_p and used_p != cited_p:
            parts.append(f"period {used_p} (cited: {cited_p or 'not stated'})")
        if used_g and not used_g.startswith(cited_g):
            parts.append(f"area {used_g} (cited: {cited_g or 'not stated'})")
        if not parts and str(row.definition_used):
            parts.append(f"definition: {row.definition_used}")
        return _truncate("Proxy, measured on another " + "; ".join(parts) if parts else "Proxy", 260) + "."
    note = str(row.note).split("; ")[0]
    return _truncate(note, 220).rstrip(".") + "." if note else ""


#: The headline families of the landing page: (id, title, rule selecting their claims on the merged board).
FAMILIES = [
    ("multiplier", "The local multiplier: sheltered jobs per 100 industrial jobs",
     lambda b: b["theme"] == "multiplier"),
    ("metropoles", "Industrial employment in the métropoles",
     lambda b: b["geography"].str.contains("métropole", case=False, regex=False)),
    ("energy", "The energy transition", lambda b: b["theme"] == "energy"),
]
RECOMPUTED = ("reproduced", "close", "differs", "proxy")


def _value(v: str, unit: str = "") -> str:
    return html.escape(_short(v)) if v != "" else "—"


def claims_table(rows: pd.DataFrame, where: dict[str, str], table_id: str, quote_chars: int = 80) -> str:
    """Recomputed claims as an HTML table: claim (quote truncated, linked to its section; unit), cited,
    recomputed, status, one sentence on why."""
    body = []
    for r in rows.itertuples():
        target = where.get(r.id)
        place = ", ".join(str(x) for x in (getattr(r, "geography", ""), getattr(r, "period", "")) if str(x))
        place = f'<a href="{target}" title="{html.escape(r.id)}">{html.escape(place or r.id)}</a>' if target else html.escape(place or r.id)
        quote = _expandable(f"« {r.quote} »", quote_chars, "quote")
        body.append(f'<tr id="{table_id}-{r.id}"><td class="claim"><b>{place}</b><br>{quote}<small class="unit">{html.escape(r.unit)}</small></td>'
                    f'<td class="num cited" data-label="cited">{_value(r.cited_value)}</td>'
                    f'<td class="num recomputed" data-label="recomputed">{_value(r.recomputed_value)}</td>'
                    f'<td class="status" data-label="status">{_status_span(r.status)}</td>'
                    f'<td class="why" data-label="why">{html.escape(why(r))}</td></tr>')
    head = "".join(f"<th>{h}</th>" for h in ["claim", "cited", "recomputed", "status", "why"])
    return (f'<div class="recalcul-table-wrap"><table class="recalcul-claims" id="{table_id}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _others(rows: pd.DataFrame) -> str:
    rest = rows[~rows["status"].isin(RECOMPUTED)]["status"].value_counts()
    if rest.empty:
        return ""
    parts = ", ".join(f"{n} {s}" for s, n in rest.items())
    return f'<p class="recalcul-others">Not recomputed here: {parts} (see the <a href="{{claims}}">claims explorer</a>).</p>'


def findings_html(board: pd.DataFrame, where: dict[str, str]) -> str:
    out = []
    for fid, title, rule in FAMILIES:
        rows = board[rule(board)].sort_values(["status", "id"], key=lambda c: c.map(
            {s: i for i, s in enumerate(STATUSES)}) if c.name == "status" else c)
        shown = rows[rows["status"].isin(RECOMPUTED)]
        if rows.empty:
            continue
        out.append(f'<section class="recalcul-finding" id="finding-{fid}"><h3>{html.escape(title)}</h3>'
                   + (claims_table(shown, where, f"findings-{fid}") if not shown.empty else "")
                   + _others(rows).replace("{claims}", "claims.html") + "</section>")
    return "".join(out)


def answer_cell(rows: pd.DataFrame, where_here: dict[str, str]) -> str:
    """The answer box opening a notebook page: its claims' cited and recomputed values and status."""
    if rows.empty:
        body = ('<p>This notebook records no claim of the register itself: the landing page gives the counts, the '
                '<a href="../atlas.html">atlas</a> every territory\'s key figures.</p>')
    else:
        counts = rows["status"].value_counts()
        summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts)
        shown = rows[rows["status"].isin(RECOMPUTED)]
        body = (f"<p>{len(rows)} claim{'s' if len(rows) > 1 else ''} of the register: {summary}.</p>" + (claims_table(shown, where_here, "answer") if not shown.empty else "")
                + _others(rows).replace("{claims}", "../claims.html"))
    return ('<div class="admonition tip recalcul-answer" id="answer"><p class="admonition-title">The answer</p>'
            + body.replace("\n", " ") + "</div>")


def _md_page(title: str, body_html: str, intro: str = "") -> str:
    return f"# {title}\n\n{intro}\n\n```{{raw}} html\n{body_html}\n```\n"


def landing_page(board: pd.DataFrame, pages: list[tuple[str, str]], chart: str | None,
                 where: dict[str, str] | None = None) -> str:
    counts = status_counts(board)
    by_theme = status_counts(board, by="theme")

    def item(s):
        return f'<li id="count-{s.replace(" ", "-")}">{_status_span(s)}: <b>{int(counts.loc[s, "claims"])}</b></li>'

    decided = [s for s in STATUSES if s in ("reproduced", "close", "differs")]
    apart = [s for s in STATUSES if s not in decided]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["theme", *STATUSES, "all"])
    from analysis.report.figures import theme_label

    rows = "".join(f"<tr><td>{html.escape(theme_label(str(t), 'en'))}</td>" + "".join(f"<td>{int(v)}</td>" for v in r) +
                   f"<td>{int(sum(r))}</td></tr>" for t, r in zip(by_theme.index, by_theme.itertuples(index=False)))
    chart_html = (f'<p><img src="{chart}" alt="Claims by theme and status: stacked bars of the number of claims '
                  'reproduced, close, differing, proxy, not reproducible and pending in each theme" '
                  'style="max-width:100%"></p>') if chart else ""
    nb_list = "".join(f'<li><a href="notebooks/{stem}.html">{html.escape(title)}</a></li>' for stem, title in pages)
    proxy_rule = ('<p id="proxy-rule">A <b>proxy</b> is a claim measured on another period, area or definition than '
                  'the one cited (the register\'s period, geography and unit against what the notebook measured): its '
                  'gap is shown, but it is counted apart, never as reproduced, close or differing.</p>')
    findings = findings_html(board, where or {})
    body = (f'<h2 id="findings-title">What the recomputation found</h2><div id="findings">{findings}</div>'
            f'<h2>All claims</h2><p id="summary">{len(board)} claims: </p>'
            f'<p class="recalcul-counts-label">Recomputed on the cited terms:</p><ul class="recalcul-counts" id="counts-decided">'
            f'{"".join(item(s) for s in decided)}</ul>'
            f'<p class="recalcul-counts-label">Counted apart:</p><ul class="recalcul-counts" id="counts-apart">'
            f'{"".join(item(s) for s in apart)}</ul>{proxy_rule}{chart_html}'
            f'<div class="recalcul-table-wrap"><table class="recalcul-themes" id="themes"><thead><tr>{head}</tr></thead>'
            f'<tbody>{rows}</tbody></table></div>'
            f'<h2>Notebooks</h2><ul id="notebooks">{nb_list}</ul>'
            '<p>Browse every claim in the <a href="claims.html">claims explorer</a>, every figure in the '
            '<a href="gallery.html">figure gallery</a> and every territory\'s key figures in the '
            '<a href="atlas.html">atlas</a>.</p>')
    intro = (f"*{PROJECT}* recomputes, from hash-pinned public data, the quantitative claims of French reports on "
             "re-industrialisation and the *Territoires d'industrie* programme, and says how close each one comes. "
             "Cited values live only in the claims register and are used only for comparison.")
    toc = ("\n```{toctree}\n:hidden:\n:caption: Results\n\nclaims\ngallery\natlas\n```\n\n```{toctree}\n:hidden:\n"
           ":caption: Notebooks\n\n" + "\n".join(f"notebooks/{stem}" for stem, _ in pages) + "\n```\n")
    return _md_page(f"{PROJECT}: re-industrialisation claims, recomputed", body, intro) + toc


def _expandable(text: str, n: int, cls: str, label: str | None = None) -> str:
    """``text`` as a <details> whose summary is its first ``n`` characters (or ``label``): full text on demand."""
    text = " ".join(str(text).split())
    if not text:
        return ""
    short = label if label is not None else _truncate(text, n)
    if label is None and short == text:
        return html.escape(text)
    short = f'<span class="short">{html.escape(short)}</span>' if label is None else html.escape(short)
    return f'<details class="{cls}"><summary>{short}</summary>{html.escape(text)}</details>'


#: Columns of the claims explorer, in order: the first five fit a 1,280 px screen.
EXPLORER_COLUMNS = ["claim", "quote", "cited", "recomputed", "status", "unit", "theme", "seed", "figure", "note"]


def explorer_page(board: pd.DataFrame, where: dict[str, str], figure_of: dict[str, list[str]]) -> str:
    import itables
    from itables.javascript import generate_init_offline_itables_html

    rows = []
    for r in board.sort_values(["theme", "id"]).itertuples():
        target = where.get(r.id)
        claim = f'<a href="{target}">{_ids(r.id)}</a>' if target else _ids(r.id)
        figs = " ".join(f'<a href="gallery.html#fig-{n}">{_ids(n)}</a>' for n in figure_of.get(r.id, []))
        rows.append({"claim": claim, "quote": _expandable(r.quote, 70, "quote"),
                     "cited": html.escape(r.cited_value), "recomputed": html.escape(_short(r.recomputed_value)),
                     "status": _status_span(r.status), "unit": html.escape(r.unit), "theme": html.escape(r.theme),
                     "seed": f'<span title="{html.escape(r.seed)}">{html.escape(r.seed.split("_")[0])}</span>',
                     "figure": figs, "note": _expandable(r.note, 0, "note", label="note")})
    df = pd.DataFrame(rows)[EXPLORER_COLUMNS]
    col = {c: i for i, c in enumerate(EXPLORER_COLUMNS)}
    table = itables.to_html_datatable(
        df, connected=False, allow_html=True, showIndex=False, column_filters="header", scrollX=True,
        classes="display compact", pageLength=25, maxBytes=0, lengthMenu=[10, 25, 50, 100, len(df)],
        order=[[col["theme"], "asc"], [col["claim"], "asc"]], table_id="claims", display_logo_when_loading=False,
        layout={"topStart": "pageLength", "topEnd": "search", "bottomStart": "info", "bottomEnd": "paging"},
        autoWidth=False,
        columnDefs=[{"className": "quote", "targets": [col["quote"]]}, {"className": "note", "targets": [col["note"]]},
                    {"className": "num dt-right", "targets": [col["cited"], col["recomputed"]]},
                    {"className": "claimid", "targets": [col["claim"]]},
                    {"width": "12rem", "targets": [col["claim"]]}, {"width": "16rem", "targets": [col["quote"]]},
                    {"width": "5.5rem", "targets": [col["cited"]]}, {"width": "8rem", "targets": [col["recomputed"]]},
                    {"width": "6.5rem", "targets": [col["status"]]}, {"width": "10rem", "targets": [col["unit"]]},
                    {"width": "16rem", "targets": [col["note"]]}])
    init = generate_init_offline_itables_html(itables.options.dt_bundle)
    intro = ("Every claim of the register with its cited value, the value recomputed by the notebooks and its status; "
             "click a quote to read it whole, *note* to read how it was measured. Type in a column's header box to "
             "filter (for example a status such as `differs`, a theme, or a seed such as `003`), use the search box "
             "for any text, click a header to sort. A claim id links to the notebook section that records it; the "
             "figure column to the figures that illustrate it.")
    return _md_page("Claims explorer", f'<div class="recalcul-explorer">{init}{table}</div>', intro)


#: Languages of the exported figures: index.csv ``language`` -> (folder under figures/, label).
FIGURE_LANGUAGES = {"en": ("en/", "English"), "fr": ("", "Français")}


def gallery_page(figs: list[dict], notebook_pages: dict[str, str], figure_at: dict[str, str], where: dict[str, str]) -> str:
    """One card per figure with its English and French exports (a switch at the top chooses the language shown)."""
    by_name: dict[str, dict[str, dict]] = {}
    for r in figs:
        by_name.setdefault(r["name"], {})[r.get("language") or "fr"] = r
    cards = []
    for name, langs in by_name.items():
        first = langs.get("en") or next(iter(langs.values()))
        title = first["title"]
        claims = first["claims"].split()
        served = ", ".join(f'<a href="{where[c]}">{_ids(c)}</a>' if c in where else _ids(c)
                           for c in claims) or "context (no claim)"
        nb = first["notebook"]
        origin = (f'<a href="notebooks/{nb}.html#{figure_at[name]}">{html.escape(nb)}</a>' if name in figure_at
                  else f'<a href="notebooks/{nb}.html">{html.escape(nb)}</a>' if nb in notebook_pages else html.escape(nb))
        images, sources, downloads = [], [], []
        for lang, (folder, label) in FIGURE_LANGUAGES.items():
            if lang not in langs:
                continue
            r = langs[lang]
            path = f"figures/{folder}{name}"
            alt = f"{r['title']}. Sources: {r['sources']}."
            images.append(f'<div class="lang-{lang}" lang="{lang}"><a href="{path}.png"><img src="{path}.png" '
                          f'alt="{html.escape(alt)}" loading="lazy"></a></div>')
            sources.append(f'<span class="lang-{lang}" lang="{lang}">Sources: {html.escape(r["sources"])}</span>')
            links = " ".join(f'<a href="{path}.{ext}" download>{ext.upper()}</a>' for ext in ("svg", "pdf", "png"))
            downloads.append(f'<span class="downloads" data-lang="{lang}">{label}: {links}</span>')
        unit = f" · unit: {html.escape(first.get('unit') or '')}" if first.get("unit") else ""
        cards.append(f'<figure id="fig-{name}" class="recalcul-figure">{"".join(images)}'
                     f'<figcaption><b>{html.escape(title)}</b><br><code>{_ids(name)}</code> · notebook {origin}{unit}'
                     f'<br>{"".join(sources)}<br>Claims: {served}<br>Download: {" · ".join(downloads)}'
                     f'</figcaption></figure>')
    switch = ('<div class="recalcul-lang-switch" role="radiogroup" aria-label="Language of the figures">Figures in: '
              + "".join(f'<input type="radio" name="figlang" id="lang-{lang}" value="{lang}"{" checked" if i == 0 else ""}>'
                        f'<label for="lang-{lang}">{label}</label>'
                        for i, (lang, (_, label)) in enumerate(FIGURE_LANGUAGES.items())) + "</div>")
    intro = (f"The {len(by_name)} exported figures, each in English (`figures/en/`) and French (`figures/`), as "
             "300-dpi PNG, vector SVG and PDF, with the notebook section that draws it and the claims it serves.")
    return _md_page("Figure gallery", f'<div class="recalcul-gallery-wrap">{switch}<div class="recalcul-gallery" '
                    f'id="gallery">{"".join(cards)}</div></div>', intro)


# ---------------------------------------------------------------------------------------------
# The atlas page and one page per TI of the 2023-2027 wave (from the atlas files, no kernel)
# ---------------------------------------------------------------------------------------------

#: Atlas levels in the book, with their titles; TI pages are written for ``TI_PAGES_LEVEL``.
ATLAS_LEVELS = {"ti2023": "Territoires d'industrie 2023-2027", "ti2018": "Territoires d'industrie 2018-2022",
                "epci": "EPCI (intercommunalités)", "ze2020": "Zones d'emploi 2020", "dep": "Départements",
                "reg": "Régions"}
TI_PAGES_LEVEL = "ti2023"
FIGURE_FIELDS = ["figure", "value", "unit", "period", "base", "area_measured", "coverage_pct", "secret_share_pct",
                 "source", "note"]


def atlas_source(atlas_dir: Path | None = None) -> Path:
    """The atlas folder the book reads: ``atlas_dir`` (default ``atlas/``), built first when it holds no atlas."""
    from analysis.report import atlas

    d = Path(atlas_dir) if atlas_dir is not None else atlas.ATLAS_DIR
    if not (d / "metadata.json").is_file():
        print(f"no atlas in {d}: building it (recalcul atlas, about 25 s)", flush=True)
        atlas.build(out_dir=d)
    return d


def _profile_slug(level: str, code: str, wave: str) -> str:
    """Stem of a rendered profile (:func:`analysis.geo.request.profile_slug`) from an atlas row."""
    codes = code.split("+")
    code = code if len(codes) <= 3 else f"{codes[0]}+{len(codes) - 1}"
    return f"{code}_{wave}" if level.startswith("ti") else f"{level}-{code}"


def _figure_label(name: str, unit: str) -> str:
    return f"{name.removesuffix('_pct').replace('_', ' ')} ({unit})"


def atlas_page(atlas_dir: Path, levels: list[str], units: dict[str, str], profiles: set[str]) -> str:
    """One itables table per level: every territory's key figures, linked to its JSON, CSV, profile and page."""
    import itables
    from itables.javascript import generate_init_offline_itables_html

    sections = []
    for level in levels:
        t = pd.read_parquet(atlas_dir / f"{level}.parquet")
        rows = []
        for r in t.to_dict("records"):
            code, file = str(r["code"]), str(r["code"]).replace("/", "_")
            name = html.escape(str(r["name"]))
            if level == TI_PAGES_LEVEL:
                name = f'<a href="atlas/{level}/{file}.html">{name}</a>'
            links = [f'<a href="atlas/{level}/{file}.json">JSON</a>', f'<a href="atlas/{level}/{file}.csv">CSV</a>']
            slug = _profile_slug(level, code, str(r.get("wave") or ""))
            if slug in profiles:
                links.append(f'<a href="profiles/{slug}.html">profile</a>')
            row = {"territory": name, "code": html.escape(code), "région": html.escape(str(r.get("region_name") or ""))}
            for f, unit in units.items():
                v = pd.to_numeric(r.get(f), errors="coerce")
                row[_figure_label(f, unit)] = round(float(v), 1) if pd.notna(v) else float("nan")
            row["files"] = " ".join(links)
            rows.append(row)
        df = pd.DataFrame(rows)
        table = itables.to_html_datatable(
            df, connected=False, allow_html=True, showIndex=False, scrollX=True, classes="display compact",
            pageLength=10, maxBytes=0, lengthMenu=[10, 25, 100, len(df)], table_id=f"atlas-{level}",
            display_logo_when_loading=False, autoWidth=False, order=[[0, "asc"]],
            layout={"topStart": "pageLength", "topEnd": "search", "bottomStart": "info", "bottomEnd": "paging"})
        # a missing figure reads "missing", never 0 nor NaN (its reason is in the territory's JSON and CSV)
        table = _tidy_numbers(table)
        sections.append(f'<section class="recalcul-atlas-level" id="level-{level}"><h2>{html.escape(ATLAS_LEVELS[level])} '
                        f'({len(df)})</h2><p>The whole table: <a href="atlas/{level}.csv" download>{level}.csv</a>.</p>'
                        f'<div class="recalcul-explorer">{table}</div></section>')
    init = generate_init_offline_itables_html(itables.options.dt_bundle)
    meta = json.loads((atlas_dir / "metadata.json").read_text(encoding="utf-8"))
    intro = ("Every territory's key figures, as in its profile (`make profile`) and computed by the same functions "
             "(`make atlas`): one table per level, searchable and sortable. Each figure has its base, period, "
             "coverage, secret-cell share and source in the territory's JSON and CSV; a figure that cannot be "
             "measured reads *missing* (the files say why), never 0. "
             f"Registry of the public-data mirror: {meta.get('mirror', {}).get('files', '?')} files, "
             f"SHA-256 `{str(meta.get('mirror', {}).get('registry_sha256', ''))[:12]}…`; built {meta.get('built_at', '?')}.")
    nav = " · ".join(f'<a href="#level-{lv}">{html.escape(ATLAS_LEVELS[lv])}</a>' for lv in levels)
    return _md_page("Atlas of the territories", f'<p class="recalcul-atlas-nav">{nav}</p>{init}{"".join(sections)}', intro)


def _cell(v, missing: str = "—") -> str:
    """A figure's field for a TI page: thousands separated, integers without decimals, ``missing`` when absent."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return missing
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, float):
        return f"{v:,.1f}".replace(",", "\u202f")
    if isinstance(v, int):
        return f"{v:,}".replace(",", "\u202f")
    return html.escape(str(v))


_FLOAT_PAIR = re.compile(r'\[\\"(-?\d+(?:\.\d+)?)\\", ')


def _tidy_numbers(table_html: str) -> str:
    """Display of itables' numeric cells: missing reads "missing", integers lose their ".0", thousands separated."""
    def fmt(m):
        v = float(m.group(1))
        shown = f"{int(v):,}" if v.is_integer() else f"{v:,.1f}"
        return '[\\"' + shown.replace(",", "\u202f") + '\\", '
    table_html = _FLOAT_PAIR.sub(fmt, table_html)
    return table_html.replace('[\\"NaN\\", \\"___NaN___\\"]', '[\\"missing\\", \\"___NaN___\\"]')


def ti_page(rec: dict, profiles: set[str]) -> str:
    """A TI's page (Markdown with an HTML table) from its atlas JSON record."""
    code, file = rec["code"], rec["code"].replace("/", "_")
    body = []
    for f in rec["figures"]:
        value = _cell(f.get("value"), missing="missing")
        cls = ' class="missing"' if value == "missing" else ""
        body.append(f'<tr><td class="claim">{html.escape(_figure_label(f["figure"], f.get("unit") or ""))}</td>'
                    f'<td class="num" data-label="value"{cls}>{value}</td>'
                    f'<td data-label="period">{html.escape(str(f.get("period") or ""))}</td>'
                    f'<td data-label="base">{html.escape(str(f.get("base") or ""))}</td>'
                    f'<td data-label="area measured">{html.escape(str(f.get("area_measured") or ""))}</td>'
                    f'<td class="num" data-label="coverage %">{_cell(f.get("coverage_pct"))}</td>'
                    f'<td class="num" data-label="secret share %">{_cell(f.get("secret_share_pct"))}</td>'
                    f'<td class="note">{_expandable(f.get("note") or "", 90, "note")}<br><small class="source">source: '
                    f'{_ids(str(f.get("source") or ""))}</small></td></tr>')
    head = "".join(f"<th>{h}</th>" for h in ["figure", "value", "period", "base", "area measured", "coverage %",
                                              "secret share %", "note and source"])
    links = [f'<a href="{file}.json">JSON</a>', f'<a href="{file}.csv">CSV</a>']
    slug = _profile_slug(rec["level"], code, rec.get("wave") or "")
    if slug in profiles:
        links.append(f'<a href="../../profiles/{slug}.html">rendered profile</a>')
    links.append('<a href="../../atlas.html#level-ti2023">all TIs</a>')
    intro = (f"Territoire d'industrie <code>{html.escape(code)}</code> of the {html.escape(rec.get('wave') or '')} wave, "
             f"région {html.escape(str(rec.get('region_name') or ''))}. Key figures from the atlas, computed by the "
             f"profile's functions; <code>make profile TI={html.escape(code)}</code> renders the full profile. A figure "
             "that cannot be measured reads <i>missing</i>, with the reason in its note.")
    table = (f'<p>{intro}</p><p class="recalcul-ti-links">{" · ".join(links)}</p><div class="recalcul-table-wrap">'
             f'<table class="recalcul-claims recalcul-ti" id="ti-figures"><thead><tr>{head}</tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table></div>')
    return f"{rec['name']} ({code})", table


#: Markers of the TI page template: Sphinx renders one page in the book's theme, and each TI's page is
#: that page with its title and body put in (183 pages in a fraction of a second, without Sphinx or a kernel).
TI_TITLE, TI_BODY, TI_TEMPLATE = "RECALCUL-TI-TITLE", "RECALCUL-TI-BODY", "ti-page-template"


def ti_template() -> str:
    return (f"---\norphan: true\nnosearch: true\n---\n\n# {TI_TITLE}\n\n```{{raw}} html\n"
            f'<div class="recalcul-ti-page">{TI_BODY}</div>\n```\n')


def write_ti_pages(folder: Path, atlas_dir: Path, profiles: set[str]) -> int:
    """Write ``<code>.html`` for every TI of :data:`TI_PAGES_LEVEL` from the rendered template; remove it."""
    template_path = folder / f"{TI_TEMPLATE}.html"
    template = template_path.read_text(encoding="utf-8")
    assert template.count(TI_BODY) == 1, f"{template_path}: the TI page body marker is missing or repeated"
    n = 0
    for js in sorted((atlas_dir / TI_PAGES_LEVEL).glob("*.json")):
        title, body = ti_page(json.loads(js.read_text(encoding="utf-8")), profiles)
        page = template.replace(TI_BODY, body).replace(TI_TITLE, html.escape(title))
        (folder / f"{js.stem}.html").write_text(page, encoding="utf-8")
        n += 1
    template_path.unlink()
    return n


def _write_territory_csv(rec: dict, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["level", "code", "name", "wave", *FIGURE_FIELDS])
        for fig in rec["figures"]:
            w.writerow([rec["level"], rec["code"], rec["name"], rec.get("wave") or "",
                        *("" if fig.get(k) is None else fig.get(k) for k in FIGURE_FIELDS)])


def copy_atlas(atlas_dir: Path, levels: list[str], out: Path) -> None:
    """Copy the level CSVs and territory JSONs into the site, with one CSV per territory beside each JSON."""
    for level in levels:
        (out / level).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(atlas_dir / f"{level}.csv", out / f"{level}.csv")
        for js in (atlas_dir / level).glob("*.json"):
            shutil.copyfile(js, out / level / js.name)
            _write_territory_csv(json.loads(js.read_text(encoding="utf-8")), out / level / f"{js.stem}.csv")
    shutil.copyfile(atlas_dir / "metadata.json", out / "metadata.json")


def _split_title(nb, answer: str) -> None:
    """Insert the answer box right after the notebook's title line (a new cell; the title cell is split).
    The new cells have fixed ids (nbformat draws random ones): the same notebook gives the same page source,
    byte for byte (see :func:`sphinx_key`)."""
    box = nbformat.v4.new_markdown_cell(answer, id="recalcul-answer")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.strip():
            lines = cell.source.splitlines()
            at = next((k for k, ln in enumerate(lines) if ln.startswith("# ")), None)
            if at is None:
                nb.cells.insert(i, box)
                return
            cell.source = "\n".join(lines[: at + 1])
            rest = "\n".join(lines[at + 1:]).strip()
            new = [box] + ([nbformat.v4.new_markdown_cell(rest, id="recalcul-after-title")] if rest else [])
            nb.cells[i + 1:i + 1] = new
            return


def prepare_sources(src: Path, notebooks_dir: Path = NOTEBOOKS_DIR, figures_dir: Path = FIGURES_DIR,
                    results_csv: Path | None = None, atlas_dir: Path | None = None,
                    profiles_dir: Path | None = None) -> dict:
    """Write the book's pages into ``src``; return what was found (pages, claim and figure anchors, atlas)."""
    board = scoreboard(results_csv=results_csv or REPO_ROOT / "results" / "claims_results.csv",
                       notebooks_dir=notebooks_dir)
    board = board.merge(load_claims()[["id", "theme", "quote", "period", "geography"]], on="id")
    ids = list(board["id"])
    figs = read_figure_index(figures_dir)
    titles = {r["name"]: r["title"] for r in figs}
    (src / "notebooks").mkdir(parents=True)
    pages, where, figure_at, notebooks = [], {}, {}, {}
    for path in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        title = notebook_title(nb, path.stem)  # before the anchors are prepended to cells
        claims_at, figs_at = prepare_notebook(nb, ids, titles)
        notebooks[path.stem] = (nb, claims_at)
        pages.append((path.stem, title))
        for cid, anchor in claims_at.items():
            where.setdefault(cid, f"notebooks/{path.stem}.html#{anchor}")
        figure_at.update(figs_at)
    stems = {stem for stem, _ in pages}
    for r in board.itertuples():  # claims no cell names: link to the notebook that recorded or plans them
        if r.id not in where and r.notebook in stems:
            where[r.id] = f"notebooks/{r.notebook}.html"
    for stem, (nb, claims_at) in notebooks.items():  # each page opens with its answer
        here = {cid: (f"#{claims_at[cid]}" if cid in claims_at else "../" + w) for cid, w in where.items()}
        _split_title(nb, answer_cell(board[board["notebook"] == stem], here))
        nbformat.write(nb, src / "notebooks" / f"{stem}.ipynb")
    figure_of: dict[str, list[str]] = {}
    for r in figs:
        for c in r["claims"].split():
            if r["name"] not in figure_of.setdefault(c, []):
                figure_of[c].append(r["name"])
    chart = next((f"figures/{sub}00_scoreboard_by_theme.svg" for sub in ("en/", "")
                  if (figures_dir / f"{sub}00_scoreboard_by_theme.svg").exists()), None)
    (src / "index.md").write_text(landing_page(board, pages, chart, where), encoding="utf-8")
    (src / "claims.md").write_text(explorer_page(board, where, figure_of), encoding="utf-8")
    (src / "gallery.md").write_text(gallery_page(figs, dict(pages), figure_at, where), encoding="utf-8")
    atlas_dir = atlas_source(atlas_dir)
    meta = json.loads((atlas_dir / "metadata.json").read_text(encoding="utf-8"))
    levels = [lv for lv in ATLAS_LEVELS if lv in meta.get("levels", {})]
    profiles_dir = Path(profiles_dir) if profiles_dir is not None else REPO_ROOT / "profiles"
    profiles = {p.stem for p in profiles_dir.glob("*.html")} if profiles_dir.is_dir() else set()
    (src / "atlas.md").write_text(atlas_page(atlas_dir, levels, meta["figures"], profiles), encoding="utf-8")
    ti_pages = sorted(p.stem for p in (atlas_dir / TI_PAGES_LEVEL).glob("*.json")) if TI_PAGES_LEVEL in levels else []
    if ti_pages:
        (src / "atlas" / TI_PAGES_LEVEL).mkdir(parents=True)
        (src / "atlas" / TI_PAGES_LEVEL / f"{TI_TEMPLATE}.md").write_text(ti_template(), encoding="utf-8")
    return {"pages": pages, "where": where, "figure_at": figure_at, "figures": figs, "board": board,
            "atlas_dir": atlas_dir, "atlas_levels": levels, "profiles": profiles, "profiles_dir": profiles_dir,
            "ti_pages": ti_pages}


#: Sphinx's output for the sources of the last :data:`KEPT_BOOKS` builds, in the data cache (see :func:`sphinx_key`).
BOOK_CACHE = "book-html"
KEPT_BOOKS = 3


def sphinx_key(src: Path) -> str:
    """What Sphinx's HTML is made from: every file of the generated sources ``src`` (pages, notebooks,
    images: the package's code, the notebooks, the results, the figures and the atlas enter through them),
    the configuration folder ``book/``, Python and the installed distributions (Sphinx, MyST-NB, the theme,
    Pygments...). Two builds from the same key wrote the same files (``.buildinfo`` aside, whose configuration
    hash the theme changes at every build)."""
    from analysis.data import fingerprint

    def files(folder: Path, prefix: str) -> list:
        return sorted((p, prefix + p.relative_to(folder).as_posix()) for p in folder.rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts)

    return fingerprint.digest({"python": sys.version, "sources": fingerprint.files_digest(files(src, "src/")),
                               "book": fingerprint.files_digest(files(BOOK_DIR, "book/")),
                               "distributions": fingerprint.distributions_digest()})


def _book_cache() -> Path:
    from analysis.data.registry import cache_dir

    return cache_dir() / BOOK_CACHE


def _reuse_html(key: str, html_dir: Path) -> bool:
    """Copy the HTML Sphinx wrote from ``key`` earlier into ``html_dir``, when the data cache holds it with
    every file as recorded (SHA-256); False otherwise (Sphinx then runs)."""
    from analysis.data import fingerprint

    kept = _book_cache() / key
    try:
        recorded = json.loads((kept / "files.json").read_text(encoding="utf-8"))
        for rel, digest in recorded.items():
            if fingerprint.sha256((kept / "html" / rel).read_bytes()) != digest:
                return False
        shutil.copytree(kept / "html", html_dir)
        kept.touch()  # most recently used: kept longest
    except (OSError, ValueError):
        shutil.rmtree(html_dir, ignore_errors=True)
        return False
    return True


def _keep_html(key: str, html_dir: Path) -> None:
    """Copy Sphinx's output into the data cache under ``key`` with the SHA-256 of each file, written into a
    temporary folder and swapped in (:func:`analysis.data.locking.replace_tree`: a reader never sees half a
    copy); only the :data:`KEPT_BOOKS` most recently used copies stay. Best effort: a copy that cannot be
    written only means that the next build runs Sphinx."""
    from analysis.data import fingerprint, locking

    root, tmp = _book_cache(), None
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
        shutil.copytree(html_dir, tmp / "html")
        files = {p.relative_to(tmp / "html").as_posix(): fingerprint.sha256(p.read_bytes())
                 for p in sorted((tmp / "html").rglob("*")) if p.is_file()}
        (tmp / "files.json").write_text(json.dumps(files, indent=0), encoding="utf-8")
        locking.replace_tree(tmp, root / key)
        kept = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                      key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEPT_BOOKS:]:
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def build_site(out_dir: Path = SITE_DIR, notebooks_dir: Path = NOTEBOOKS_DIR, figures_dir: Path = FIGURES_DIR,
               quiet: bool = True, atlas_dir: Path | None = None, profiles_dir: Path | None = None) -> Path:
    """Build the book into ``out_dir`` (replaced) from the committed notebooks; return the index path.

    ``atlas_dir`` (default ``atlas/``) is read for the atlas pages, built first when missing; rendered
    profiles found in ``profiles_dir`` (default ``profiles/``) are linked and copied. Nothing is
    written into the working tree except ``out_dir`` (and ``atlas/`` when it was missing; both git-ignored)."""
    from sphinx.cmd.build import build_main

    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    with tempfile.TemporaryDirectory(prefix="recalcul-book-") as tmp:
        src = Path(tmp) / "src"
        found = prepare_sources(src, notebooks_dir, figures_dir, atlas_dir=atlas_dir, profiles_dir=profiles_dir)
        print(f"building the book: {len(found['pages'])} notebooks, {len(found['figures'])} figures, "
              f"{len(found['ti_pages'])} TI pages", flush=True)
        # Sphinx writes into the temporary folder: MyST-NB puts its extracted outputs in
        # ``<outdir>/../jupyter_execute``, so an out_dir inside the repository would leave files there
        html_dir = Path(tmp) / "html"
        key = sphinx_key(src)
        if _reuse_html(key, html_dir):
            print("the same sources as an earlier build: Sphinx's pages copied from the data cache", flush=True)
        else:
            args = ["-b", "html", "-E", "-c", str(BOOK_DIR), "-d", str(Path(tmp) / "doctrees"), str(src), str(html_dir)]
            status = build_main((["-q"] if quiet else []) + args)
            if status:
                raise RuntimeError(f"sphinx-build failed with status {status} (sources in {src}); re-run with quiet=False")
            _keep_html(key, html_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(html_dir), str(out_dir))
    for partial in (out_dir / "_static").glob("*.html"):  # theme template partials, not pages
        partial.unlink()
    if figures_dir.is_dir():
        shutil.copytree(figures_dir, out_dir / "figures", ignore=shutil.ignore_patterns("*.lock", "*.tmp", ".exports"))
    copy_atlas(found["atlas_dir"], found["atlas_levels"], out_dir / "atlas")
    if found["ti_pages"]:
        write_ti_pages(out_dir / "atlas" / TI_PAGES_LEVEL, found["atlas_dir"], found["profiles"])
    for slug in found["profiles"]:
        (out_dir / "profiles").mkdir(exist_ok=True)
        shutil.copyfile(found["profiles_dir"] / f"{slug}.html", out_dir / "profiles" / f"{slug}.html")
        if (found["profiles_dir"] / f"{slug}_figures").is_dir():
            shutil.copytree(found["profiles_dir"] / f"{slug}_figures", out_dir / "profiles" / f"{slug}_figures")
    return out_dir / "index.html"


def main() -> int:
    index = build_site()
    print(f"site written: {index.relative_to(REPO_ROOT) if index.is_relative_to(REPO_ROOT) else index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
