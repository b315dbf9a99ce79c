"""One figure style for the collection, French number formatting and deterministic exports.

- :func:`use_style` applies ``analysis.mplstyle`` (Okabe-Ito colour-blind-safe palette).
- Labels are French by default; set ``ANALYSIS_FIG_LANG=en`` (or pass ``lang``) for English,
  and write labels as ``tr("Emploi industriel", "Industrial employment")``.
- :func:`fr_number` / :func:`format_axis` write numbers the French way: narrow no-break
  space as thousands separator, decimal comma.
- :func:`save_figure` adds the source line under the figure and writes SVG, PDF and PNG
  (300 dpi) with fixed metadata, so an unchanged figure is rewritten byte for byte; it
  also records the figure in ``figures/index.csv`` from which ``figures/README.md`` is built.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from .paths import figures_dir

STYLE = Path(__file__).with_name("analysis.mplstyle")
#: Okabe-Ito palette, colour-blind safe (same order as the style's cycle).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
#: Page widths in inches: one column (8.9 cm) and two columns (18.3 cm).
ONE_COLUMN = (3.5, 2.6)
TWO_COLUMNS = (7.2, 4.2)
THIN_SPACE = "\u202f"
INDEX_COLUMNS = ["name", "notebook", "title", "sources", "claims"]
FORMATS = ("svg", "pdf", "png")
_METADATA = {
    "svg": {"Date": None, "Creator": "analysis"},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": "analysis", "Producer": "analysis"},
    "png": {"Software": "analysis"},
}


def lang(override: str | None = None) -> str:
    """Figure language: ``override``, else ``$ANALYSIS_FIG_LANG``, else ``"fr"``."""
    value = (override or os.environ.get("ANALYSIS_FIG_LANG", "fr")).lower()
    if value not in ("fr", "en"):
        raise ValueError(f"figure language must be 'fr' or 'en', got {value!r}")
    return value


def tr(fr: str, en: str, language: str | None = None) -> str:
    """Pick the French or English label according to :func:`lang`."""
    return fr if lang(language) == "fr" else en


def use_style() -> None:
    """Apply the collection's matplotlib style (call once at the top of a notebook)."""
    plt.style.use(str(STYLE))


def fr_number(x: float, decimals: int = 0, sign: bool = False, language: str | None = None) -> str:
    """Format a number: ``12345.6 -> '12 345,6'`` in French (narrow no-break space, comma)."""
    if lang(language) == "en":
        return f"{x:+,.{decimals}f}" if sign else f"{x:,.{decimals}f}"
    s = f"{x:+,.{decimals}f}" if sign else f"{x:,.{decimals}f}"
    return s.replace(",", THIN_SPACE).replace(".", ",").replace("-", "\u2212")


def fr_percent(x: float, decimals: int = 0, sign: bool = False, language: str | None = None) -> str:
    """``0.053 -> '5 %'`` (x is a fraction)."""
    sep = THIN_SPACE if lang(language) == "fr" else ""
    return fr_number(100 * x, decimals, sign, language) + sep + "%"


def format_axis(ax, which: str = "y", decimals: int = 0, percent: bool = False, language: str | None = None) -> None:
    """Use French number formatting on ``ax``'s x, y or both axes (``percent``: values are fractions)."""
    fmt = (lambda v, _: fr_percent(v, decimals, language=language)) if percent else (
        lambda v, _: fr_number(v, decimals, language=language))
    for axis in ("x", "y"):
        if which in (axis, "both"):
            getattr(ax, f"{axis}axis").set_major_formatter(FuncFormatter(fmt))


def source_line(sources: str, language: str | None = None) -> str:
    """``'Source : Insee, ESTEL ; calculs du projet'`` (or the English equivalent)."""
    if lang(language) == "fr":
        return f"Source{THIN_SPACE}: {sources}{THIN_SPACE}; calculs du projet analysis"
    return f"Source: {sources}; analysis project calculations"


def save_figure(fig, name: str, *, sources: str, notebook: str, claims: tuple[str, ...] | list[str] = (),
                title: str = "", language: str | None = None, out_dir: Path | None = None) -> list[Path]:
    """Write ``<name>.svg``, ``.pdf`` and ``.png`` (300 dpi) with deterministic metadata.

    ``sources`` (e.g. ``"Insee, ESTEL"``) is written under the figure; ``notebook`` and
    ``claims`` (register ids) go to ``figures/index.csv`` for the generated ``figures/README.md``.
    """
    out = Path(out_dir) if out_dir is not None else figures_dir()
    out.mkdir(parents=True, exist_ok=True)
    text = source_line(sources, language)
    if not any(t.get_gid() == "source-line" for t in fig.texts):
        fig.text(0.0, -0.01, text, ha="left", va="top", fontsize=7, color="#555555", gid="source-line",
                 transform=fig.transFigure)
    paths = []
    with mpl.rc_context({"svg.hashsalt": "analysis"}):
        for ext in FORMATS:
            path = out / f"{name}.{ext}"
            fig.savefig(path, format=ext, metadata=_METADATA[ext], dpi=300 if ext == "png" else None)
            paths.append(path)
    _index(out, {"name": name, "notebook": notebook, "title": title or name, "sources": sources,
                 "claims": " ".join(claims)})
    return paths


def _index(out: Path, row: dict) -> None:
    path = out / "index.csv"
    rows = []
    if path.exists():
        with open(path, newline="", encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if r["name"] != row["name"]]
    rows.append(row)
    rows.sort(key=lambda r: (r["notebook"], r["name"]))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=INDEX_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write_figures_readme(out_dir: Path | None = None) -> Path:
    """Generate ``figures/README.md`` from ``figures/index.csv``."""
    out = Path(out_dir) if out_dir is not None else figures_dir()
    with open(out / "index.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    lines = ["# Figures", "", "Generated by `make figures` from `figures/index.csv`; do not edit by hand.",
             "Each figure exists as SVG, PDF and PNG (300 dpi).", "",
             "| figure | notebook | title | data sources | claims illustrated |", "|---|---|---|---|---|"]
    for r in rows:
        files = " ".join(f"[{ext}]({r['name']}.{ext})" for ext in FORMATS)
        claims = ", ".join(f"`{c}`" for c in r["claims"].split()) or "(context)"
        lines.append(f"| {r['name']} ({files}) | `{r['notebook']}` | {r['title']} | {r['sources']} | {claims} |")
    path = out / "README.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":  # python -m analysis.figures
    print(write_figures_readme())
