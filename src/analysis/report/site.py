"""The Recalcul book: the executed notebooks, a claims explorer and a figure gallery, as a static site.

``python -m analysis.report.site`` (``make site``) writes ``site/index.html``. Tool: Sphinx with MyST-NB
and sphinx-book-theme (configuration in ``book/conf.py``): pure-Python packages pinned in
``constraints.txt`` that build offline, render the committed notebook outputs as they are
(``nb_execution_mode = "off"``: nothing is re-executed), and give navigation and client-side search.

The pages are generated into a temporary source folder from what is discovered, never listed:

- every numbered notebook ``notebooks/NN_*.ipynb``, copied with its code cells collapsed
  (``hide-input``), an ``<a id="claim-<id>">`` anchor on the section (last markdown cell) before
  the first code cell that names a claim id, an ``<a id="figure-<name>">`` anchor on the section
  that exports a figure, and alt text (the figure's title) on the images of cells that save a figure;
- ``index``: scoreboard counts by status, the claims-by-theme chart and table;
- ``claims``: every claim in an interactive table (itables, offline DataTables bundle; filter by
  theme, status, seed in the column headers; sort), each linked to its notebook section and figure;
- ``gallery``: every figure of ``figures/index.csv`` with caption, sources, claims served and
  SVG / PDF / PNG downloads.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
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
        for cid in claim_ids:
            if cid not in anchors and re.search(rf"[\"']{re.escape(cid)}[\"']", cell.source):
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
    """A recorded value shown with at most four significant digits ('25.7143' -> '25.71')."""
    try:
        return f"{float(value):.4g}"
    except ValueError:
        return value


def _status_span(status: str) -> str:
    return f'<span class="status-{status.replace(" ", "-")}">{html.escape(status)}</span>'


def _md_page(title: str, body_html: str, intro: str = "") -> str:
    return f"# {title}\n\n{intro}\n\n```{{raw}} html\n{body_html}\n```\n"


def landing_page(board: pd.DataFrame, pages: list[tuple[str, str]], chart: str | None) -> str:
    counts = status_counts(board)
    by_theme = status_counts(board, by="theme")
    items = "".join(f'<li id="count-{s.replace(" ", "-")}">{_status_span(s)}: <b>{int(counts.loc[s, "claims"])}</b></li>'
                    for s in STATUSES)
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
                  'gap is shown in the claims explorer, but it is counted apart, never as reproduced, close or '
                  'differing.</p>')
    body = (f'<p id="summary">{len(board)} claims: </p><ul class="recalcul-counts">{items}</ul>{proxy_rule}{chart_html}'
            f'<table class="recalcul-themes" id="themes"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
            f'<h2>Notebooks</h2><ul id="notebooks">{nb_list}</ul>'
            '<p>Browse every claim in the <a href="claims.html">claims explorer</a> and every figure in the '
            '<a href="gallery.html">figure gallery</a>.</p>')
    intro = (f"*{PROJECT}* recomputes, from hash-pinned public data, the quantitative claims of French reports on "
             "re-industrialisation and the *Territoires d'industrie* programme, and says how close each one comes. "
             "Cited values live only in the claims register and are used only for comparison.")
    toc = ("\n```{toctree}\n:hidden:\n:caption: Results\n\nclaims\ngallery\n```\n\n```{toctree}\n:hidden:\n"
           ":caption: Notebooks\n\n" + "\n".join(f"notebooks/{stem}" for stem, _ in pages) + "\n```\n")
    return _md_page(f"{PROJECT}: re-industrialisation claims, recomputed", body, intro) + toc


def explorer_page(board: pd.DataFrame, where: dict[str, str], figure_of: dict[str, list[str]]) -> str:
    import itables
    from itables.javascript import generate_init_offline_itables_html

    rows = []
    for r in board.sort_values(["theme", "id"]).itertuples():
        target = where.get(r.id)
        claim = f'<a href="{target}">{html.escape(r.id)}</a>' if target else html.escape(r.id)
        figs = " ".join(f'<a href="gallery.html#fig-{n}">{html.escape(n)}</a>' for n in figure_of.get(r.id, []))
        rows.append({"theme": html.escape(r.theme), "status": _status_span(r.status), "seed": f'<span title="{html.escape(r.seed)}">{html.escape(r.seed.split("_")[0])}</span>',
                     "claim": claim, "quote": html.escape(r.quote), "cited": html.escape(r.cited_value),
                     "recomputed": html.escape(_short(r.recomputed_value)), "unit": html.escape(r.unit),
                     "figure": figs, "note": html.escape(r.note)})
    df = pd.DataFrame(rows)
    table = itables.to_html_datatable(
        df, connected=False, allow_html=True, showIndex=False, column_filters="header", scrollX=True,
        classes="display compact", pageLength=25, maxBytes=0, lengthMenu=[10, 25, 50, 100, len(df)],
        order=[[0, "asc"], [3, "asc"]], table_id="claims", display_logo_when_loading=False,
        layout={"topStart": "pageLength", "topEnd": "search", "bottomStart": "info", "bottomEnd": "paging"},
        autoWidth=False,
        columnDefs=[{"className": "quote", "targets": [4]}, {"className": "note", "targets": [9]},
                    {"className": "narrow dt-left", "targets": [0, 1, 2, 5, 6, 7]},
                    {"width": "7rem", "targets": [0, 1]}, {"width": "3.5rem", "targets": [2]},
                    {"width": "12rem", "targets": [3]}, {"width": "20rem", "targets": [4]},
                    {"width": "26rem", "targets": [9]}])
    init = generate_init_offline_itables_html(itables.options.dt_bundle)
    intro = ("Every claim of the register with the value recomputed by the notebooks and its status. Type in a column's "
             "header box to filter (for example a theme, a status such as `differs`, or a seed such as `003`), use the "
             "search box for any text, click a header to sort. A claim id links to the notebook section that records "
             "it; the figure column to the figures that illustrate it.")
    return _md_page("Claims explorer", f'<div class="recalcul-explorer">{init}{table}</div>', intro)


def gallery_page(figs: list[dict], notebook_pages: dict[str, str], figure_at: dict[str, str], where: dict[str, str]) -> str:
    cards = []
    for r in figs:
        name, title, sources = r["name"], r["title"], r["sources"]
        claims = r["claims"].split()
        served = ", ".join(f'<a href="{where[c]}">{html.escape(c)}</a>' if c in where else html.escape(c)
                           for c in claims) or "context (no claim)"
        nb = r["notebook"]
        origin = (f'<a href="notebooks/{nb}.html#{figure_at[name]}">{html.escape(nb)}</a>' if name in figure_at
                  else f'<a href="notebooks/{nb}.html">{html.escape(nb)}</a>' if nb in notebook_pages else html.escape(nb))
        downloads = " ".join(f'<a href="figures/{name}.{ext}" download>{ext.upper()}</a>' for ext in ("svg", "pdf", "png"))
        alt = f"{title}. Sources: {sources}."
        cards.append(f'<figure id="fig-{name}" class="recalcul-figure"><a href="figures/{name}.png">'
                     f'<img src="figures/{name}.png" alt="{html.escape(alt)}" loading="lazy"></a>'
                     f'<figcaption><b>{html.escape(title)}</b><br><code>{html.escape(name)}</code> · notebook {origin}'
                     f'<br>Sources: {html.escape(sources)}<br>Claims: {served}<br>'
                     f'<span class="downloads">Download: {downloads}</span></figcaption></figure>')
    intro = (f"The {len(figs)} exported figures (labels in French, 300-dpi PNG, vector SVG and PDF), each with the "
             "notebook section that draws it and the claims it serves.")
    return _md_page("Figure gallery", f'<div class="recalcul-gallery" id="gallery">{"".join(cards)}</div>', intro)


def prepare_sources(src: Path, notebooks_dir: Path = NOTEBOOKS_DIR, figures_dir: Path = FIGURES_DIR,
                    results_csv: Path | None = None) -> dict:
    """Write the book's pages into ``src``; return what was found (pages, claim and figure anchors)."""
    board = scoreboard(results_csv=results_csv or REPO_ROOT / "results" / "claims_results.csv",
                       notebooks_dir=notebooks_dir)
    board = board.merge(load_claims()[["id", "theme", "quote"]], on="id")
    ids = list(board["id"])
    figs = read_figure_index(figures_dir)
    titles = {r["name"]: r["title"] for r in figs}
    (src / "notebooks").mkdir(parents=True)
    pages, where, figure_at = [], {}, {}
    for path in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        title = notebook_title(nb, path.stem)  # before the anchors are prepended to cells
        claims_at, figs_at = prepare_notebook(nb, ids, titles)
        nbformat.write(nb, src / "notebooks" / path.name)
        pages.append((path.stem, title))
        for cid, anchor in claims_at.items():
            where.setdefault(cid, f"notebooks/{path.stem}.html#{anchor}")
        figure_at.update(figs_at)
    stems = {stem for stem, _ in pages}
    for r in board.itertuples():  # claims no cell names: link to the notebook that recorded or plans them
        if r.id not in where and r.notebook in stems:
            where[r.id] = f"notebooks/{r.notebook}.html"
    figure_of: dict[str, list[str]] = {}
    for r in figs:
        for c in r["claims"].split():
            figure_of.setdefault(c, []).append(r["name"])
    chart = "figures/00_scoreboard_by_theme.svg" if (figures_dir / "00_scoreboard_by_theme.svg").exists() else None
    (src / "index.md").write_text(landing_page(board, pages, chart), encoding="utf-8")
    (src / "claims.md").write_text(explorer_page(board, where, figure_of), encoding="utf-8")
    (src / "gallery.md").write_text(gallery_page(figs, dict(pages), figure_at, where), encoding="utf-8")
    return {"pages": pages, "where": where, "figure_at": figure_at, "figures": figs, "board": board}


def build_site(out_dir: Path = SITE_DIR, notebooks_dir: Path = NOTEBOOKS_DIR, figures_dir: Path = FIGURES_DIR,
               quiet: bool = True) -> Path:
    """Build the book into ``out_dir`` (replaced) from the committed notebooks; return the index path."""
    from sphinx.cmd.build import build_main

    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    with tempfile.TemporaryDirectory(prefix="recalcul-book-") as tmp:
        src = Path(tmp) / "src"
        found = prepare_sources(src, notebooks_dir, figures_dir)
        print(f"building the book: {len(found['pages'])} notebooks, {len(found['figures'])} figures", flush=True)
        # Sphinx writes into the temporary folder: MyST-NB puts its extracted outputs in
        # ``<outdir>/../jupyter_execute``, so an out_dir inside the repository would leave files there
        html_dir = Path(tmp) / "html"
        args = ["-b", "html", "-E", "-c", str(BOOK_DIR), "-d", str(Path(tmp) / "doctrees"), str(src), str(html_dir)]
        status = build_main((["-q"] if quiet else []) + args)
        if status:
            raise RuntimeError(f"sphinx-build failed with status {status} (sources in {src}); re-run with quiet=False")
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(html_dir), str(out_dir))
    for partial in (out_dir / "_static").glob("*.html"):  # theme template partials, not pages
        partial.unlink()
    if figures_dir.is_dir():
        shutil.copytree(figures_dir, out_dir / "figures", ignore=shutil.ignore_patterns("*.lock", "*.tmp", ".exports"))
    return out_dir / "index.html"


def main() -> int:
    index = build_site()
    print(f"site written: {index.relative_to(REPO_ROOT) if index.is_relative_to(REPO_ROOT) else index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
