"""Browsable report: every executed notebook as HTML plus an index built from the scoreboard.

``python -m analysis.site`` (``make site``) writes ``site/index.html`` and
``site/<notebook>.html``. The index shows the claims counted by status and theme and lists
every claim with a link to the notebook section that records it (the last heading before
the code cell that names the claim id), or to the notebook's top when no cell names it.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pandas as pd
from nbconvert import HTMLExporter

from .claims import STATUSES, load_claims, scoreboard, status_counts
from .paths import NOTEBOOKS_DIR, REPO_ROOT

SITE_DIR = REPO_ROOT / "site"


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


def render_notebook(path: Path, out_dir: Path, claim_ids: list[str]) -> tuple[str, dict[str, str]]:
    """Write ``out_dir/<stem>.html``; return its title and the claim anchors it holds."""
    nb = nbformat.read(path, as_version=4)
    title = next((c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                  if c.cell_type == "markdown" and c.source.strip()), path.stem)
    anchors = claim_anchors(nb, claim_ids)  # after reading the title: anchors are prepended to cells
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    (out_dir / f"{path.stem}.html").write_text(body, encoding="utf-8")
    return title, anchors


def _short(value: str) -> str:
    """A recorded value shown with at most four significant digits ('25.7143' -> '25.71')."""
    try:
        return f"{float(value):.4g}"
    except ValueError:
        return value


def _table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [df.index.name or ""] + list(df.columns))
    rows = "".join("<tr><th>" + html.escape(str(i)) + "</th>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>"
                   for i, r in zip(df.index, df.itertuples(index=False)))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}
.reproduced{color:#009E73}.close{color:#0072B2}.differs{color:#D55E00}.pending{color:#999}
td.status{font-weight:bold}td{max-width:30em;vertical-align:top}"""


def build_site(out_dir: Path = SITE_DIR, notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
    """Render every numbered notebook and the index into ``out_dir``; return the index path."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    board = scoreboard(results_csv=REPO_ROOT / "results" / "claims_results.csv", notebooks_dir=notebooks_dir)
    register = load_claims()
    board = board.merge(register[["id", "theme", "quote"]], on="id")
    ids = list(board["id"])
    pages, where = [], {}
    for path in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        print(f"rendering {path.name}", flush=True)
        title, anchors = render_notebook(path, out_dir, ids)
        pages.append((path.stem, title))
        for cid, anchor in anchors.items():
            where.setdefault(cid, f"{path.stem}.html#{anchor}")
    figures_src = REPO_ROOT / "figures"
    if figures_src.is_dir():
        shutil.copytree(figures_src, out_dir / "figures", ignore=shutil.ignore_patterns("*.pdf"))

    counts = status_counts(board)
    by_theme = status_counts(board, by="theme")
    nb_list = "".join(f'<li><a href="{stem}.html">{html.escape(stem)}</a>: {html.escape(title)}</li>'
                      for stem, title in pages)
    rows = []
    for r in board.sort_values(["theme", "id"]).itertuples():
        target = where.get(r.id) or (f"{r.notebook}.html" if r.notebook and
                                     (notebooks_dir / f"{r.notebook}.ipynb").exists() else "")
        link = f'<a href="{target}">{html.escape(r.id)}</a>' if target else html.escape(r.id)
        rows.append(f"<tr><td>{html.escape(r.theme)}</td><td>{link}</td><td>{html.escape(r.quote)}</td>"
                    f"<td>{html.escape(r.cited_value)}</td><td>{html.escape(_short(r.recomputed_value))}</td>"
                    f"<td>{html.escape(r.unit)}</td><td class='status {r.status.split()[0]}'>{r.status}</td>"
                    f"<td>{html.escape(r.note)}</td></tr>")
    summary = " · ".join(f'<span id="count-{s.replace(" ", "-")}">{s}: {int(counts.loc[s, "claims"])}</span>'
                         for s in STATUSES)
    page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Re-industrialisation claims, recomputed</title><style>{CSS}</style></head><body>
<h1>Re-industrialisation claims, recomputed from public data</h1>
<p id="summary">{len(board)} claims: {summary}</p>
<h2>Notebooks</h2><ul id="notebooks">{nb_list}</ul>
<p>Figures: <a href="figures/README.md">figures/README.md</a></p>
<h2>Claims by theme and status</h2>{_table(by_theme)}
<h2>Every claim</h2><table id="claims"><thead><tr><th>theme</th><th>claim</th><th>quote</th><th>cited</th>
<th>recomputed</th><th>unit</th><th>status</th><th>note</th></tr></thead><tbody>{''.join(rows)}</tbody></table>
</body></html>"""
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def main() -> int:
    index = build_site()
    print(f"site written: {index.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
