"""One figure style for the collection, French number formatting and deterministic exports.

- :func:`use_style` applies ``analysis.mplstyle`` (Okabe-Ito colour-blind-safe palette).
- Labels are French by default; set ``ANALYSIS_FIG_LANG=en`` (or pass ``lang``) for English,
  and write labels as ``tr("Emploi industriel", "Industrial employment")``.
- :func:`fr_number` / :func:`format_axis` write numbers the French way: narrow no-break
  space as thousands separator, decimal comma.
- :func:`save_figure` adds the source line under the figure and writes SVG, PDF and PNG
  (300 dpi) with fixed metadata, so an unchanged figure is rewritten byte for byte; it
  also records the figure in ``figures/index.csv`` from which ``figures/README.md`` is built.
  In a notebook, the figure is then shown from its PNG (:func:`show_png`), not drawn again.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import json
import os
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import math

from matplotlib.ticker import Formatter, ScalarFormatter

from analysis.data.locking import locked, replace_bytes, replace_text, replacing
from analysis.paths import FIG_FORMATS, FIG_LANGUAGES, fig_formats, fig_lang, fig_languages, figures_dir

STYLE = Path(__file__).with_name("analysis.mplstyle")
#: Okabe-Ito palette, colour-blind safe (same order as the style's cycle).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
#: Figure sizes in inches for print: one text column of a book or report page (6.5 in printed) and a
#: half-width panel (3.2 in printed), less the export's margins and source line (``savefig.pad_inches``).
#: Figures are drawn at these sizes so that their text (7 pt at least) is printed at the size it was drawn.
FULL_WIDTH = (6.4, 3.8)
HALF_WIDTH = (3.1, 2.4)
ONE_COLUMN = HALF_WIDTH
TWO_COLUMNS = FULL_WIDTH
#: Printed width of one text column, in inches (the SVG of a figure is at most this wide once printed).
PRINT_WIDTH = 6.5
#: Smallest font size, in points at the printed width.
MIN_FONT_PT = 7.0
THIN_SPACE = "\u202f"
LANGUAGES = FIG_LANGUAGES
INDEX_COLUMNS = ["name", "language", "notebook", "title", "unit", "sources", "claims", "date", "licence"]
#: Licence of the exported figures (the project's, see CITATION.cff); the data keep their publishers' licences.
FIGURE_LICENCE = "MIT"
#: The project's name, for print (credit lines, file metadata, the site); the import package is ``analysis``.
PROJECT_NAME = "Recalcul"
FORMATS = FIG_FORMATS
_METADATA = {
    "svg": {"Date": None, "Creator": PROJECT_NAME},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": PROJECT_NAME, "Producer": PROJECT_NAME},
    "png": {"Software": PROJECT_NAME},
}


_LANGUAGE: list[str] = []


@contextlib.contextmanager
def in_language(value: str):
    """Within the block, :func:`lang` (hence :func:`tr`, :func:`translate`, number formats) answers ``value``:
    :func:`save_figure` draws a figure once per language this way."""
    _LANGUAGE.append(lang(value))
    try:
        yield value
    finally:
        _LANGUAGE.pop()


def lang(override: str | None = None) -> str:
    """Figure language: ``override``, else the innermost :func:`language` block, else ``$ANALYSIS_FIG_LANG``,
    else ``"fr"``."""
    given = override or (_LANGUAGE[-1] if _LANGUAGE else None)
    if given is None:
        return fig_lang()
    value = given.lower()
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


def format_axis(ax, which: str = "y", decimals: int | None = None, percent: bool = False,
                language: str | None = None) -> None:
    """Use French number formatting on ``ax``'s x, y or both axes (``percent``: values are fractions).

    The labels carry as many decimals as the tick step needs for every tick to read back as its value
    (ticks at 0.05 steps print 0,05 0,10 0,15, never 0,0 0,1 0,2 0,2); ``decimals`` is a minimum."""
    language = lang(language)
    least = 0 if decimals is None else decimals
    for name in ("x", "y"):
        if which in (name, "both"):
            axis = getattr(ax, f"{name}axis")

            def fmt(v, locs):
                if percent:
                    return fr_percent(v, max(least, _tick_decimals([100 * x for x in locs])), language=language)
                return fr_number(v, max(least, _tick_decimals(locs)), language=language)

            axis.set_major_formatter(TickSetFormatter(fmt))


class TickSetFormatter(Formatter):
    """A tick formatter ``label(value, locs)`` that sees every major tick being labelled: the
    locations the axis passes to :meth:`~matplotlib.ticker.Formatter.set_locs` before labelling them
    (the axis's current locations when called alone). Asking the axis for its locations from inside
    each label ran the locator once per tick and per layout pass (about 5 s of the test suite)."""

    def __init__(self, label):
        self.label = label
        self.ticks: list[float] = []

    def set_locs(self, locs):
        super().set_locs(locs)
        self.ticks = [float(v) for v in locs]

    def __call__(self, x, pos=None):
        return self.label(x, self.ticks or [float(v) for v in self.axis.get_majorticklocs()])


def _tick_decimals(locs) -> int:
    """The fewest decimals with which every tick reads back as its value (2.5 needs one, 0.05 two):
    never a label that rounds a tick to a neighbour's value."""
    return _decimals_for(tuple(float(v) for v in locs))


@functools.lru_cache(maxsize=1024)
def _decimals_for(values: tuple[float, ...]) -> int:
    """:func:`_tick_decimals` of a tuple of ticks, computed once per set of ticks (every label of an axis,
    at every layout pass, asks for the same set)."""
    for d in range(7):
        if all(abs(v - round(v, d)) <= 1e-9 * max(1.0, abs(v)) for v in values):
            return d
    return 6


def french_ticks(fig) -> None:
    """Give every linear axis still on matplotlib's default formatter French tick labels:
    decimal comma, minus sign, narrow no-break space between thousands from 10 000 up
    (four-digit numbers such as years stay unseparated, as French typography allows).
    Axes formatted explicitly (:func:`format_axis`, percent, dates, categories) are left alone."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_formatter()) is not ScalarFormatter or axis.get_scale() != "linear":
                continue

            def tick(v, locs):
                text = fr_number(v, _tick_decimals(locs), language="fr")
                return text if abs(v) >= 10_000 else text.replace(THIN_SPACE, "")

            axis.set_major_formatter(TickSetFormatter(tick))


def source_line(sources: str, language: str | None = None, credit: bool = True) -> str:
    """``'Source : Insee, ESTEL ; calculs du projet Recalcul'`` (or the English equivalent);
    without ``credit``, the source alone (a user's own figure need not carry the project's name)."""
    if lang(language) == "fr":
        line = f"Source{THIN_SPACE}: {sources}"
        return line + (f"{THIN_SPACE}; calculs du projet {PROJECT_NAME}" if credit else "")
    return f"Source: {sources}" + (f"; {PROJECT_NAME} project calculations" if credit else "")


def export_formats() -> tuple[str, ...]:
    """The formats :func:`save_figure` writes: all of :data:`FORMATS`, or the comma-separated subset
    named by ``$ANALYSIS_FIG_FORMATS`` (``make test`` sets ``svg``: nbval compares printed numbers,
    and the PDF and 300-dpi PNG exports are the slowest part of a notebook's run)."""
    return fig_formats()


def _pick(text, language: str) -> str:
    """``text`` for ``language``: a string as is, a ``(french, english)`` pair by language."""
    if isinstance(text, (tuple, list)):
        fr, en = text
        return fr if language == "fr" else en
    return text or ""


def language_dir(out: Path, language: str) -> Path:
    """Where the exports of ``language`` go: the figures folder itself for French, ``en/`` under it for English."""
    return out if language == "fr" else out / language


def save_figure(fig, name: str, *, sources, notebook: str, claims: tuple[str, ...] | list[str] = (),
                title="", unit="", language: str | None = None, out_dir: Path | None = None,
                credit: bool = True, draw_title: bool | None = None,
                languages: tuple[str, ...] | None = None) -> list[Path]:
    """Write ``<name>.svg``, ``.pdf`` and ``.png`` (300 dpi) with deterministic metadata
    (only the formats of ``$ANALYSIS_FIG_FORMATS`` when it is set, see :func:`export_formats`).

    ``fig`` is a figure, exported in the figure language (:func:`lang`), or a drawing function
    ``draw() -> Figure``, called once per language of ``languages`` (both by default) inside
    :func:`in_language`, so that every :func:`tr` and :func:`translate` in it answers that language:
    French exports go to the figures folder, English ones to its ``en/`` folder; the notebook shows the
    figure of its own language. ``sources`` (e.g. ``"Insee, ESTEL"``) is written under the figure,
    followed by the project's credit unless ``credit=False``; ``title`` is drawn as the figure's title when
    the figure has none (``draw_title=True`` always, ``False`` never); ``sources``, ``title`` and ``unit``
    may be ``(french, english)`` pairs. ``notebook``, ``claims`` (register ids), the title, unit,
    language, date of the drawing's last change and licence go to ``figures/index.csv``, from which
    ``figures/README.md`` is generated. Returns the paths written.
    """
    from matplotlib.figure import Figure

    out = Path(out_dir) if out_dir is not None else figures_dir()
    meta = dict(name=name, sources=sources, notebook=notebook, claims=claims, title=title, unit=unit, out=out,
                credit=credit, draw_title=draw_title)
    if isinstance(fig, Figure) or not callable(fig):
        return _save_one(fig, language=lang(language), show=True, **meta)[0]
    wanted = tuple(languages or export_languages())
    shown = lang(language) if lang(language) in wanted else wanted[0]
    done: dict[str, list[Path]] = {}
    anchor = None  # export key of the shown language's drawing, drawn first
    for code in (shown, *(c for c in wanted if c != shown)):
        if code == shown:  # always drawn; rendered again unless its content and inputs are those of its files
            with in_language(code):
                drawn = fig()
                content = _content_or_none(drawn)
                given = _given_key(content, code, meta) if content else None
                kept = _kept_export(code, given, meta, shown=drawn) if given else None
                if kept is not None:
                    done[code], anchor = kept
                else:
                    done[code], anchor = _save_one(drawn, language=code, show=True, given=given, **meta)
            continue
        given = _given_key(anchor, code, meta)
        kept = _kept_export(code, given, meta) if given else None
        if kept is not None:  # same drawing in the shown language, same code and inputs: its files stand
            done[code] = kept[0]
            continue
        with in_language(code):
            drawn = fig()
            done[code] = _save_one(drawn, language=code, show=False, given=given, **meta)[0]
        plt.close(drawn)
    return [p for code in wanted for p in done[code]]


def _content_or_none(fig) -> str | None:
    """:func:`drawn_content`, or None (the figure is then rendered) for a figure it cannot read."""
    try:
        return drawn_content(fig)
    except Exception:  # noqa: BLE001 - an artist it does not know how to read: render, as without it
        return None


def drawn_content(fig) -> str:
    """SHA-256 of what a drawn (not yet rendered) figure shows, read from its artists without laying it out:
    for every artist, its kind and visibility; the data of lines, collections (paths, offsets, values,
    colours, sizes), patches (path and placement), images (pixels, extent, colour scale) and texts (string,
    position, size, colour, angle); axes limits, scales, positions and tick values with their labels; the
    figure's size. Together with the code that drew it (:func:`_given_key`), it decides whether an export
    must be rendered again."""
    import numpy as np

    h = hashlib.sha256()

    def put(*values) -> None:
        for v in values:
            if isinstance(v, np.ndarray) or (hasattr(v, "__array__") and not isinstance(v, (str, bytes))):
                a = np.ma.filled(np.ma.asarray(v).astype(float, copy=False), np.nan) if np.ma.isMaskedArray(v) \
                    else np.asarray(v)
                h.update(f"{a.dtype}{a.shape}".encode() + (a.tobytes() if a.dtype != object else repr(a.tolist()).encode()))
            else:
                h.update(repr(v).encode())
            h.update(b"\0")

    from matplotlib.axes import Axes
    from matplotlib.collections import Collection
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    put(fig.get_size_inches(), fig.dpi, type(fig.get_layout_engine()).__name__)
    for a in fig.findobj(include_self=False):
        put(type(a).__name__, a.get_visible(), a.get_zorder(), a.get_alpha(), a.get_label(), a.get_gid())
        if not a.get_visible():
            continue
        if isinstance(a, Text):
            put(a.get_text(), a.get_position(), a.get_fontsize(), a.get_color(), a.get_rotation(),
                a.get_horizontalalignment(), a.get_verticalalignment(), a.get_fontweight(),
                getattr(a, "xy", None), a.get_transform() is a.axes.transData if a.axes else None)
        elif isinstance(a, Line2D):
            put(a.get_xydata(), a.get_color(), a.get_linestyle(), a.get_linewidth(), a.get_marker(),
                a.get_markersize(), a.get_markerfacecolor())
        elif isinstance(a, Collection):
            for path in a.get_paths():
                put(path.vertices, path.codes)
            put(a.get_offsets(), a.get_array(), a.get_facecolor(), a.get_edgecolor(), a.get_linewidth(),
                a.get_hatch(), getattr(a, "get_sizes", lambda: None)(), a.get_clim() if a.get_array() is not None else None)
        elif isinstance(a, Patch):
            put(a.get_path().vertices, a.get_path().codes, a.get_patch_transform().get_matrix(), a.get_facecolor(),
                a.get_edgecolor(), a.get_linewidth(), a.get_hatch(), a.get_linestyle())
        elif isinstance(a, AxesImage):
            put(a.get_array(), a.get_extent(), a.get_cmap().name, a.get_clim())
        elif isinstance(a, Axes):
            put(a.get_position().bounds, a.get_xlim(), a.get_ylim(), a.get_xscale(), a.get_yscale(),
                a.get_aspect(), a.axison)
            for axis in (a.xaxis, a.yaxis):
                locs = axis.get_majorticklocs()
                put(locs, axis.major.formatter.format_ticks(locs), axis.get_minorticklocs(), axis.get_label_position(),
                    axis.get_ticks_position())
    return h.hexdigest()


def _kernel_inputs() -> list[str] | None:
    """The code cells executed so far in this Jupyter kernel (IPython's ``In``), or None outside a kernel."""
    if not _in_kernel():
        return None
    from IPython import get_ipython

    cells = get_ipython().user_ns.get("In")
    return [str(c) for c in cells] if isinstance(cells, list) else None


@functools.lru_cache(maxsize=1)
def _code_and_data_fingerprint() -> str:
    """:func:`analysis.data.fingerprint.common_inputs` as one digest (once per process): the package's code,
    the project's data files, the official files' locks, settings, Python and the installed distributions."""
    from analysis.data import fingerprint

    return fingerprint.digest(fingerprint.common_inputs())


def _given_key(anchor: str, language: str, meta: dict) -> str | None:
    """What an export in ``language`` is drawn from, when :func:`save_figure` runs in a Jupyter kernel:
    ``anchor`` (for the shown language, :func:`drawn_content` of its drawing; for another language, the
    export key of the shown language's export: its data, layout and fonts), the cells executed so far (the
    drawing function and every value it reads), the package's code and data files, the library versions, and
    this call's titles, sources and settings. None outside a kernel (always rendered there)."""
    cells = _kernel_inputs()
    if cells is None:
        return None
    settings = {k: v for k, v in meta.items() if k != "out"}
    h = hashlib.sha256()
    for part in (anchor, language, repr(sorted((k, repr(v)) for k, v in settings.items())), repr(export_formats()),
                 _code_and_data_fingerprint(), *cells):
        h.update(part.encode() + b"\0")
    return h.hexdigest()


def _kept_export(language: str, given: str, meta: dict, shown=None) -> tuple[list[Path], str] | None:
    """The paths and export key of the export in ``language`` when this machine rendered it before from
    ``given`` (see :func:`_given_key`; the record, in the data cache, names the export key it gave) and the
    export in place has that key and the files its stamp lists, or the data cache holds a copy of that
    export (:func:`_restored`: another folder's, e.g. an earlier profile or what-if run); its index row is
    then written, and the figure ``shown`` displayed from its files, as if it had been rendered. Else None:
    it is rendered."""
    recorded = _read_json(_given_path(given)).get("key")
    if not recorded:
        return None
    folder = language_dir(meta["out"], language)
    formats = export_formats()
    paths = [folder / f"{meta['name']}.{ext}" for ext in formats]
    stamp_path = folder / EXPORT_STAMPS / f"{meta['name']}.json"
    date = _unchanged(stamp_path, recorded, paths) or _restored(recorded, paths, stamp_path)
    if date is None:
        return None
    _index_row(meta, language, date)
    if shown is not None:
        _show(shown, paths, formats)
    return paths, recorded


def _stored(key: str, ext: str) -> Path:
    """The data cache's copy of the ``ext`` file of the export whose key is ``key`` (see :func:`_export_key`;
    ``ext`` ``json``: the SHA-256 of each of its files). Written by :func:`_store`, read by :func:`_restored`;
    ``recalcul prune-cache`` removes them."""
    from analysis.data.registry import cache_dir

    return cache_dir() / "export-files" / f"{key}.{ext}"


def _store(key: str, paths: list[Path]) -> None:
    """Keep a copy of the export ``key``'s files (``paths``) in the data cache (a missing or damaged copy is
    written again)."""
    record = _stored(key, "json")
    record.parent.mkdir(parents=True, exist_ok=True)
    files = {}
    for path in paths:
        data = path.read_bytes()
        _write_bytes(_stored(key, path.suffix[1:]), data)
        files[path.suffix[1:]] = hashlib.sha256(data).hexdigest()
    if _read_json(record).get("files") != files:
        replace_text(record, json.dumps({"files": files}))


def _restored(key: str, paths: list[Path], stamp_path: Path) -> str | None:
    """Write the data cache's copy of the export ``key`` (see :func:`_store`) to ``paths`` and stamp it, when
    the cache holds every file with the SHA-256 recorded for it: the bytes a render would write, since the
    export key is that of the drawing's SVG and the export settings. Returns the drawing's date (today's, as
    for a render), else None (nothing written: the figure is rendered)."""
    recorded = _read_json(_stored(key, "json")).get("files") or {}
    data = {}
    for path in paths:
        ext = path.suffix[1:]
        try:
            data[path] = _stored(key, ext).read_bytes()
        except FileNotFoundError:
            return None
        if hashlib.sha256(data[path]).hexdigest() != recorded.get(ext):
            return None
    for path, content in data.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_bytes(path, content)
    date = _today()
    _write_stamp(stamp_path, key, paths, date)
    return date


def _given_path(given: str) -> Path:
    """The record of the export drawn from ``given``: in the data cache (a fact about this machine's inputs,
    so never in the repository, whose export stamps stay the same wherever they are written)."""
    from analysis.data.registry import cache_dir

    return cache_dir() / "exports" / f"{given}.json"


def export_languages() -> tuple[str, ...]:
    """The languages a drawing function is exported in: both (:data:`LANGUAGES`), or the comma-separated subset
    named by ``$ANALYSIS_FIG_LANGUAGES`` (``make test`` sets ``fr``: nbval compares printed numbers, and the
    English exports are checked on the committed ``figures/en/``)."""
    return fig_languages()


def figure_title(fig, text: str, width: int = 80):
    """The collection's one figure-title style: bold, 10 pt, left-aligned across the figure, wrapped at ``width``
    characters."""
    import textwrap

    return fig.suptitle(textwrap.fill(text, width), x=0.02, ha="left", fontsize=10, fontweight="bold")


def _has_title(fig) -> bool:
    return bool(getattr(fig, "_suptitle", None) and fig._suptitle.get_text()) or any(
        ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right"))


def _svg_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata=_METADATA["svg"])
    return buf.getvalue()


def _svg_width_in(svg: bytes) -> float:
    """Width of an exported SVG in inches (its ``width="...pt"`` attribute)."""
    import re

    m = re.search(rb'<svg[^>]*\swidth="([\d.]+)pt"', svg[:2000])
    return float(m.group(1)) / 72 if m else 0.0


def fit_to_width(fig, width_in: float = PRINT_WIDTH, rounds: int = 3) -> None:
    """Keep an export within ``width_in`` inches without shrinking its text: titles (axes titles and the
    suptitle) that stick out of the figure are wrapped onto more lines, and value labels written past an
    axes' right end widen its x range so that they fall inside. Fonts keep their sizes (>= 7 pt in print)."""
    import textwrap

    fig.canvas.draw()  # the layout engine places the artists: extents before it are not the exported ones
    renderer = fig.canvas.get_renderer()
    if fig.get_tightbbox(renderer).width > width_in * 1.001 and fig.get_layout_engine() is None:
        fig.set_layout_engine("constrained")  # room for long tick labels inside the figure, not past its edge
        fig.canvas.draw()
    for _ in range(rounds):
        renderer = fig.canvas.get_renderer()
        box = fig.get_tightbbox(renderer)
        if box.width <= width_in * 1.001:
            return
        right = fig.bbox.x1  # display units
        changed = False
        titles = [t for ax in fig.axes for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
        if getattr(fig, "_suptitle", None) is not None and fig._suptitle.get_text():
            titles.append(fig._suptitle)
        for t in titles:
            ext = t.get_window_extent(renderer)
            if ext.x1 > right + 1 or ext.x0 < fig.bbox.x0 - 1:
                longest = max(len(line) for line in t.get_text().split("\n"))
                room = max(0.3, (right - max(ext.x0, fig.bbox.x0)) / max(ext.width, 1.0))
                t.set_text(textwrap.fill(t.get_text().replace("\n", " "), max(15, int(longest * room * 0.95))))
                changed = True
        for ax in fig.axes:
            axes_right = ax.get_window_extent(renderer).x1
            over = [t.get_window_extent(renderer).x1 - axes_right for t in ax.texts if t.get_text()]
            over = max([o for o in over if o > 0], default=0.0)
            if over > 0 and ax.get_xscale() == "linear" and not ax.xaxis_inverted():
                lo, hi = ax.get_xlim()
                ax.set_xlim(lo, hi + (hi - lo) * over / max(ax.get_window_extent(renderer).width, 1.0) * 1.1)
                changed = True
        if not changed:
            return
        fig.canvas.draw()


def _save_one(fig, *, name, sources, notebook, claims, title, unit, out, credit, draw_title, language,
              show, given=None) -> tuple[list[Path], str]:
    """Export ``fig`` in ``language``; returns the paths and the export key (see :func:`_export_key`).
    ``given`` (see :func:`_given_key`) is recorded with the key in the data cache (:func:`_given_path`), with a
    copy of the files (:func:`_store`)."""
    import textwrap

    folder = language_dir(out, language)
    folder.mkdir(parents=True, exist_ok=True)
    if language == "fr":
        french_ticks(fig)
    heading = _pick(title, language)
    if heading and (draw_title or (draw_title is None and not _has_title(fig))):
        figure_title(fig, heading, int(fig.get_figwidth() * 13))
    # wrapped to the figure's width (7 pt DejaVu Sans: about 17 characters per inch), never widening the export
    text = textwrap.fill(source_line(_pick(sources, language), language, credit=credit),
                         int(fig.get_figwidth() * 17), break_on_hyphens=False)
    if not any(t.get_gid() == "source-line" for t in fig.texts):
        fig.text(0.0, -0.01, text, ha="left", va="top", fontsize=7, color="#555555", gid="source-line",
                 transform=fig.transFigure)
    formats = export_formats()
    paths = [folder / f"{name}.{ext}" for ext in formats]
    with mpl.rc_context({"svg.hashsalt": "analysis"}):
        svg = _svg_bytes(fig)
        if _svg_width_in(svg) > PRINT_WIDTH * 1.001:  # wider than a column: wrap its titles, then export again
            fit_to_width(fig)
            svg = _svg_bytes(fig)
        stamp_path = folder / EXPORT_STAMPS / f"{name}.json"
        key = _export_key(svg, formats)
        date = _unchanged(stamp_path, key, paths)
        if date is None:
            date = _today()
            if "svg" in formats:
                _write_bytes(paths[formats.index("svg")], svg)
            # the 300-dpi PNG solves the layout; the PDF reuses it (see reused_layout)
            with reused_layout(fig) as freeze:
                for ext in ("png", "pdf"):
                    if ext in formats:
                        with _lean_font_subsets() if ext == "pdf" else contextlib.nullcontext(), \
                                replacing(paths[formats.index(ext)]) as tmp:
                            fig.savefig(tmp, format=ext, metadata=_METADATA[ext], dpi=300 if ext == "png" else None)
                        freeze()
            _write_stamp(stamp_path, key, paths, date)
        # else: same drawing, same export settings, files untouched: PDF and PNG would be byte-identical
    if given:  # in a kernel: what it was drawn from, and a copy of its files (see _kept_export)
        _store(key, paths)
        if _read_json(_given_path(given)).get("key") != key:
            _given_path(given).parent.mkdir(parents=True, exist_ok=True)
            replace_text(_given_path(given), json.dumps({"key": key}))
    _index_row(dict(name=name, notebook=notebook, claims=claims, title=title, unit=unit, sources=sources, out=out),
               language, date)
    if show:
        _show(fig, paths, formats, svg)
    return paths, key


def _show(fig, paths: list[Path], formats: tuple[str, ...], svg: bytes | None = None) -> None:
    """In a kernel, display ``fig`` from its exported PNG, else from its SVG (see :func:`show_png`)."""
    if not _in_kernel():
        return
    if "png" in formats:
        show_png(fig, paths[formats.index("png")])
    elif "svg" in formats:
        show_svg(fig, svg if svg is not None else paths[formats.index("svg")].read_bytes())


def _index_row(meta: dict, language: str, date: str) -> None:
    heading = _pick(meta["title"], language)
    _index(meta["out"], {"name": meta["name"], "language": language, "notebook": meta["notebook"],
                         "title": heading or meta["name"], "unit": _pick(meta["unit"], language),
                         "sources": _pick(meta["sources"], language), "claims": " ".join(meta["claims"]),
                         "date": date, "licence": FIGURE_LICENCE})


def _today() -> str:
    """Today's date (UTC), recorded as a figure's date when its drawing changes; ``$SOURCE_DATE_EPOCH``
    fixes it for reproducible builds."""
    import datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
              else datetime.datetime.now(datetime.timezone.utc))
    return moment.date().isoformat()


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (where figures are displayed inline)."""
    ip = None
    with contextlib.suppress(ImportError):
        from IPython import get_ipython

        ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def display_png(png: Path, dpi: float) -> bytes:
    """The exported 300-dpi PNG scaled to ``dpi`` (the figure's screen resolution, 100 in the
    collection's style): each pixel the mean of the 3 x 3 it covers (box filter), RGB (the figures are
    opaque), deterministic PNG bytes."""
    import PIL
    from PIL import Image

    data = Path(png).read_bytes()
    key = hashlib.sha256(data + f"\0{dpi!r}\0{PIL.__version__}".encode()).hexdigest()[:32]
    kept = _display_dir() / f"{key}.png"
    with contextlib.suppress(OSError):
        return kept.read_bytes()  # scaled before from the same bytes: decoding a 300-dpi PNG takes 0.1-0.3 s
    with Image.open(io.BytesIO(data)) as im:
        scale = dpi / 300
        small = im.convert("RGB").resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))),
                                         Image.BOX)
    buf = io.BytesIO()
    small.save(buf, format="PNG")
    out = buf.getvalue()
    with contextlib.suppress(OSError):  # a read-only or full cache only costs the next display its time
        kept.parent.mkdir(parents=True, exist_ok=True)
        replace_bytes(kept, out)
    return out


def _display_dir() -> Path:
    """Where the screen-resolution copies of exported PNGs are kept (in the data cache, never in the
    repository), named by the SHA-256 of the export, the resolution and Pillow's version."""
    from analysis.data.registry import cache_dir

    return cache_dir() / "display"


def show_png(fig, png: Path) -> None:
    """Display ``fig`` in the notebook from its exported PNG, and close it.

    The inline backend would draw the figure a fourth time (after the SVG, the PNG and the PDF) to
    show it; the notebook shows the 300-dpi export scaled to the screen's resolution instead, which
    is what the files hold, and closes the figure so that it is not drawn again at the end of the cell.
    """
    import base64

    from IPython.display import display

    # the same output as the inline backend's: a PNG and the figure's repr as text
    display({"image/png": base64.b64encode(display_png(png, fig.dpi)).decode("ascii"), "text/plain": repr(fig)},
            raw=True)
    plt.close(fig)


def show_svg(fig, svg: bytes) -> None:
    """Display ``fig`` in the notebook as the SVG just exported, and close it (when only SVG is
    exported, as under ``make test``: the figure is drawn once)."""
    from IPython.display import display

    display({"image/svg+xml": svg.decode("utf-8"), "text/plain": repr(fig)}, raw=True)
    plt.close(fig)


def plot_geo(frame, ax, **kwargs):
    """``frame.plot(ax=ax, **kwargs)`` for a GeoDataFrame or GeoSeries, without the render geopandas asks
    for afterwards: it ends every ``plot()`` with ``canvas.draw_idle()``, which on the Agg and inline
    canvases (scripts, notebooks, tests) renders the whole figure at once, its constrained layout
    included. A map of six layers was drawn six times before its export drew it again (1.0 s of a
    1.2 s map). The figure is drawn when it is saved or shown, as any other figure. Returns ``ax``."""
    canvas = ax.figure.canvas
    own = "draw_idle" in vars(canvas)
    previous = canvas.draw_idle
    canvas.draw_idle = lambda *args, **kw: None
    try:
        return frame.plot(ax=ax, **kwargs)
    finally:
        if own:
            canvas.draw_idle = previous
        else:
            del canvas.draw_idle


@contextlib.contextmanager
def reused_layout(fig):
    """Solve ``fig``'s constrained layout once for several exports, then give it back.

    The figures use constrained layout, which re-solves the whole layout (every text extent) at
    each draw. The block receives ``freeze()``: called after a draw (:func:`save_figure` calls it
    after the 300-dpi PNG), it fixes the layout where that draw put it, so that the PDF export
    reuses the PNG's layout instead of solving it again at 72 dpi. On exit the layout engine is
    restored, so that the notebook's inline display is laid out as it always is, whether or not
    the exports ran.
    """
    engine = fig.get_layout_engine()

    def freeze() -> None:
        if engine is not None and fig.get_layout_engine() is engine:
            fig.set_layout_engine("none")

    try:
        yield freeze
    finally:
        if engine is not None and fig.get_layout_engine() is not engine:
            fig.set_layout_engine(engine)


@contextlib.contextmanager
def _lean_font_subsets():
    """Embed the PDF's TrueType (type 42) font subsets without their OpenType layout tables.

    The glyph substitution and positioning tables (GSUB, GPOS, GDEF) are read by text-shaping engines,
    never by a PDF viewer, which draws each glyph where matplotlib placed it; subsetting them took
    about 0.4 s per PDF. The glyphs, metrics and kerning table are kept, so the rendering is unchanged.
    """
    try:
        from fontTools import subset
    except ImportError:  # pragma: no cover - matplotlib requires fontTools
        yield
        return
    default = getattr(subset.Options, "_drop_tables_default", None)
    if not isinstance(default, list):  # pragma: no cover - another fontTools layout: do nothing
        yield
        return
    subset.Options._drop_tables_default = default + [t for t in ("GSUB", "GPOS", "GDEF") if t not in default]
    try:
        yield
    finally:
        subset.Options._drop_tables_default = default


#: Folder (inside the figures folder, committed with the figures) of one stamp per figure: the hash of its
#: SVG and export settings, and of the PDF and PNG files written from it. An unchanged figure is not
#: rendered again as PDF and 300-dpi PNG (the slowest part of a notebook run), on a clean clone as on the
#: machine that exported it; a changed drawing, setting or file is. Delete the folder to force every export.
EXPORT_STAMPS = ".exports"


def _export_key(svg: bytes, formats: tuple[str, ...]) -> str:
    settings = {"matplotlib": mpl.__version__, "fonttools": _fonttools_version(), "lean_pdf_fonts": True,
                "formats": list(formats), "png_dpi": 300, "layout": "PDF reuses the PNG layout",
                **{k: str(mpl.rcParams[k]) for k in ("pdf.fonttype", "pdf.compression", "savefig.bbox",
                                                      "savefig.pad_inches", "savefig.facecolor", "savefig.transparent")}}
    return hashlib.sha256(svg + repr(sorted(settings.items())).encode()).hexdigest()


def _fonttools_version() -> str:
    try:
        import fontTools
    except ImportError:  # pragma: no cover
        return ""
    return fontTools.version


def _sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _unchanged(stamp_path: Path, key: str, paths: list[Path]) -> str | None:
    """The date of the figure's drawing when its stamp matches ``key`` and the files on disk, else None."""
    try:
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    same = stamp.get("key") == key and stamp.get("files") == {p.name: _sha(p) for p in paths} and all(
        stamp["files"].values())
    return (stamp.get("date") or _today()) if same else None


def _write_stamp(stamp_path: Path, key: str, paths: list[Path], date: str) -> None:
    replace_text(stamp_path, json.dumps({"key": key, "date": date, "files": {p.name: _sha(p) for p in paths}},
                                        indent=1))


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _write_bytes(path: Path, data: bytes) -> None:
    if _sha(path) != hashlib.sha256(data).hexdigest():
        replace_bytes(path, data)


def _read_index(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write_index(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=INDEX_COLUMNS, lineterminator="\n", restval="", extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    replace_text(path, buf.getvalue())


def _index(out: Path, row: dict) -> None:
    path = out / "index.csv"
    with locked(path):  # notebooks executed in parallel export into the same folder
        rows = [r for r in _read_index(path) if (r["name"], r.get("language") or "fr") != (row["name"], row["language"])]
        rows.append(row)
        rows.sort(key=lambda r: (r["notebook"], r["name"], LANGUAGES.index(r.get("language") or "fr")))
        _write_index(path, rows)


def forget(notebook: str, out_dir: Path | None = None) -> int:
    """Drop ``notebook``'s rows from ``figures/index.csv`` (before re-executing it, so that a
    renamed or deleted figure does not stay listed). Returns the number of rows removed."""
    out = Path(out_dir) if out_dir is not None else figures_dir()
    path = out / "index.csv"
    if not path.exists():
        return 0
    with locked(path):
        rows = _read_index(path)
        keep = [r for r in rows if r["notebook"] != notebook]
        if len(keep) != len(rows):
            _write_index(path, keep)
    return len(rows) - len(keep)


def prune(out_dir: Path | None = None) -> list[Path]:
    """Delete exported files (SVG, PDF, PNG) that ``figures/index.csv`` no longer lists."""
    out = Path(out_dir) if out_dir is not None else figures_dir()
    with open(out / "index.csv", newline="", encoding="utf-8") as f:
        listed = {(r["name"], r.get("language") or "fr") for r in csv.DictReader(f)}
    stale = [p for code in LANGUAGES for ext in FORMATS for p in language_dir(out, code).glob(f"*.{ext}")
             if (p.stem, code) not in listed]
    for p in stale:
        p.unlink()
    return sorted(stale)


def write_figures_readme(out_dir: Path | None = None) -> Path:
    """Generate ``figures/README.md`` from ``figures/index.csv``."""
    out = Path(out_dir) if out_dir is not None else figures_dir()
    with open(out / "index.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    lines = ["# Figures", "", "Generated by `make figures` from `figures/index.csv`; do not edit by hand.",
             "Each figure exists as SVG, PDF and PNG (300 dpi), in French (this folder) and in English (`en/`),",
             f"drawn for a print width of {PRINT_WIDTH} in with text of {MIN_FONT_PT:g} pt at least. Figures: "
             f"{FIGURE_LICENCE} licence (the project's); the data keep their publishers' licences.", "",
             "| figure | language | notebook | title | unit | data sources | claims illustrated | date |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        code = r.get("language") or "fr"
        prefix = "" if code == "fr" else f"{code}/"
        files = " ".join(f"[{ext}]({prefix}{r['name']}.{ext})" for ext in FORMATS)
        claims = ", ".join(f"`{c}`" for c in r["claims"].split()) or "(context)"
        lines.append(f"| {r['name']} ({files}) | {code} | `{r['notebook']}` | {r['title']} | {r.get('unit', '')} "
                     f"| {r['sources']} | {claims} | {r.get('date', '')} |")
    path = out / "README.md"
    replace_text(path, "\n".join(lines) + "\n")
    return path


if __name__ == "__main__":  # python -m analysis.report.figures: prune stale exports, regenerate README.md
    for stale in prune():
        print(f"removed stale figure {stale.name}")
    print(f"wrote {write_figures_readme()}")


# ---------------------------------------------------------------------------------------------
# French labels that come from data, and their English versions
# ---------------------------------------------------------------------------------------------

#: English names of the A38 sectors (NACE rev. 2 A*38), by code; the French names are in
#: ``data/sector_classification.csv`` (INSEE's labels, as the data files give them).
A38_EN = {
    "AZ": "Agriculture, forestry and fishing", "BZ": "Mining and quarrying",
    "CA": "Food products, beverages and tobacco", "CB": "Textiles, apparel, leather and footwear",
    "CC": "Wood, paper and printing", "CD": "Coke and refined petroleum products", "CE": "Chemicals",
    "CF": "Pharmaceuticals", "CG": "Rubber, plastics and other non-metallic mineral products",
    "CH": "Basic metals and fabricated metal products", "CI": "Computer, electronic and optical products",
    "CJ": "Electrical equipment", "CK": "Machinery and equipment n.e.c.", "CL": "Transport equipment",
    "CM": "Other manufacturing; repair and installation of machinery",
    "DZ": "Electricity, gas, steam and air conditioning", "EZ": "Water supply, sewerage and waste management",
    "FZ": "Construction", "GZ": "Wholesale and retail trade; repair of motor vehicles", "HZ": "Transportation and storage",
    "IZ": "Accommodation and food services", "JA": "Publishing, audiovisual and broadcasting", "JB": "Telecommunications",
    "JC": "IT and other information services", "KZ": "Financial and insurance activities", "LZ": "Real estate activities",
    "MA": "Legal, accounting, management, architecture and engineering", "MB": "Scientific research and development",
    "MC": "Other professional, scientific and technical activities", "NZ": "Administrative and support services",
    "OZ": "Public administration and defence", "PZ": "Education", "QA": "Human health", "QB": "Residential care and social work",
    "RZ": "Arts, entertainment and recreation", "SZ": "Other service activities", "TZ": "Households as employers",
    "UZ": "Extraterritorial organisations",
}

#: French labels found in data or in the project's own tables, and their English versions.
#: :func:`translate` looks labels up here; A38 sector names are added from the sector table.
TRANSLATIONS = {
    "Reste de la France": "Rest of France", "Reste de la région": "Rest of the région",
    "France métropolitaine": "Metropolitan France", "Autres zones": "Other zones", "Total": "Total",
    "Industrie": "Industry", "Industrie manufacturière": "Manufacturing", "Services": "Services",
    "Construction": "Construction", "Agriculture": "Agriculture", "Tertiaire": "Services", "Résidentiel": "Residential",
    "Transport": "Transport", "exposé": "exposed", "abrité": "sheltered", "exclu": "excluded",
    "Référence": "Reference", "Sobriété": "Sobriety", "Réindustrialisation profonde": "Deep re-industrialisation",
    "référence": "reference", "sobriété": "sobriety", "réindustrialisation profonde": "deep re-industrialisation",
    "Électricité": "Electricity", "Gaz": "Gas", "Zones du territoire": "The territory's zones",
    "Ensemble des zones des métropoles": "All métropole zones", "Territoire d'industrie": "Territoire d'industrie (TI)",
    # EU ETS activity kinds of the EUTL extract
    "Verre et céramique": "Glass and ceramics", "Papier": "Paper", "Ciment et chaux": "Cement and lime",
    "Metallurgie": "Metals", "Industrie chimique": "Chemicals", "Raffineries": "Refineries",
    "Production d‘hydrogène": "Hydrogen production", "Cokerie": "Coke ovens",
}

#: French phrases of labels built from parts (the multiplier summary's rows: "URSSAF ZE 2019-2024, VI pondéré,
#: effets fixes région"), replaced longest first by :func:`translate` when the whole label is not in
#: :data:`TRANSLATIONS`.
PHRASES = {
    "MCO non pondéré": "unweighted OLS", "MCO pondéré": "weighted OLS", "VI Bartik non pondéré": "unweighted Bartik IV",
    "VI Bartik pondéré": "weighted Bartik IV", "VI non pondéré": "unweighted IV", "VI pondéré": "weighted IV",
    "industrie seule": "industry only", "exposé large": "broad exposed sector", "effets fixes région": "région fixed effects",
    "chocs nationaux trimestriels": "quarterly national shocks", "(principal)": "(headline)", "Régions ": "Régions ",
}

#: English phrases of labels that data or published tables give in English (the forest plot's methods), and
#: their French versions, replaced longest first by :func:`translate` in French.
PHRASES_FR = {
    "weighted OLS": "MCO pondéré", "weighted IV": "VI pondéré", "log long differences": "différences longues en log",
    "not published": "non publié", "United States (cities)": "États-Unis (villes)",
    "long differences over census decades": "différences longues entre recensements",
    "Moretti long differences": "différences longues à la Moretti",
    "import-competition shock (China)": "choc de concurrence des importations (Chine)",
    "Moretti's design reworked": "méthode de Moretti reprise", "shift-share IV": "VI shift-share",
    ", citing ": ", citant ",
}

#: Display names of the claims register's themes (``data/claims.csv`` ``theme``), French and English.
THEMES = {
    "energy": ("Énergie", "Energy"), "funding": ("Financements", "Funding"), "innovation": ("Innovation", "Innovation"),
    "multiplier": ("Multiplicateur local", "Local multiplier"), "programme": ("Programme TI", "TI programme"),
    "skills": ("Compétences et formation", "Skills and training"),
    "territorial_dynamics": ("Dynamiques territoriales", "Territorial dynamics"),
    "territory_profile": ("Profil de territoire", "Territory profile"),
}


#: Names of the territorial levels, singular, French and English (figure labels follow the data's level).
LEVELS = {
    "ze": ("Zone d'emploi", "Employment zone"), "ze2010": ("Zone d'emploi", "Employment zone"),
    "ze2020": ("Zone d'emploi", "Employment zone"), "dep": ("Département", "Département"),
    "epci": ("EPCI", "EPCI (inter-municipal body)"), "ti": ("Territoire d'industrie", "Territoire d'industrie (TI)"),
    "ti2018": ("Territoire d'industrie", "Territoire d'industrie (TI)"),
    "ti2023": ("Territoire d'industrie", "Territoire d'industrie (TI)"), "reg": ("Région", "Region"),
}


def level_label(level: str, language: str | None = None, *, lower: bool = False) -> str:
    """Display name of a territorial level (``"dep"`` -> ``"Département"``); ``lower`` for use inside a sentence."""
    if level not in LEVELS:
        raise ValueError(f"unknown territorial level {level!r}: use one of {', '.join(LEVELS)}")
    text = tr(*LEVELS[level], language)
    return text[0].lower() + text[1:] if lower and not text[:4].isupper() else text


def _sector_translations() -> dict[str, str]:
    from analysis.paths import DATA_DIR

    path = DATA_DIR / "sector_classification.csv"
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {r["label"]: A38_EN[r["code"]] for r in csv.DictReader(f) if r["code"] in A38_EN}


def translate(label: str, language: str | None = None) -> str:
    """A label that comes from data (French) in the figure language: unchanged in French; in English,
    its entry of :data:`TRANSLATIONS` or of the A38 sector table (French INSEE name -> English
    name), else unchanged. Drawing code should pass every data-borne label (zone groups, sector
    names, path names) through it: ``ax.barh(labels.map(figures.translate), ...)``."""
    if lang(language) == "fr":
        for en in sorted(PHRASES_FR, key=len, reverse=True):
            label = label.replace(en, PHRASES_FR[en])
        return label
    if label in TRANSLATIONS:
        return TRANSLATIONS[label]
    sectors = _sector_translations()
    if label in sectors:
        return sectors[label]
    for fr in sorted(PHRASES, key=len, reverse=True):
        label = label.replace(fr, PHRASES[fr])
    return label


def theme_label(theme: str, language: str | None = None) -> str:
    """Display name of a register theme id (``'territorial_dynamics'`` -> ``'Dynamiques territoriales'``);
    an id not in :data:`THEMES` is shown with spaces for underscores and a capital."""
    if theme in THEMES:
        fr, en = THEMES[theme]
        return tr(fr, en, language)
    return theme.replace("_", " ").capitalize()


def quotient_key(ax, language: str | None = None) -> None:
    """Legend of the industry-mix bars: orange where the location quotient (QL / LQ) is above 1, blue elsewhere,
    with the quotient spelled out (the sector's share of the territory's jobs over its share in metropolitan
    France)."""
    from matplotlib.patches import Patch

    handles = [Patch(color=PALETTE[3], label=tr("QL > 1 : plus spécialisé que la France métropolitaine",
                                                "LQ > 1: more specialised than metropolitan France", language)),
               Patch(color=PALETTE[0], label=tr("QL ≤ 1", "LQ ≤ 1", language))]
    ax.legend(handles=handles, loc="lower right", fontsize=7,
              title=tr("QL : quotient de localisation = part du secteur dans l'emploi du territoire\n"
                       "÷ sa part dans l'emploi de la France métropolitaine",
                       "LQ: location quotient = the sector's share of the territory's jobs\n"
                       "÷ its share of metropolitan France's jobs", language), title_fontsize=7)


# ---------------------------------------------------------------------------------------------
# Layout checks for tests
# ---------------------------------------------------------------------------------------------

def overlapping_tick_labels(fig, pad_px: float = 1.0) -> list[str]:
    """Pairs of visible, non-empty tick labels of the same axis whose rendered boxes overlap
    (drawn with ``fig``'s renderer, boxes shrunk by ``pad_px`` pixels so that touching is allowed).
    Returns descriptions such as ``"axes 0 x: '−25 %' overlaps '−20 %'"``; empty when the layout is clean."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems = []
    for n, ax in enumerate(fig.axes):
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            for which in ("major", "minor"):
                labels = [t for t in (axis.get_majorticklabels() if which == "major" else axis.get_minorticklabels())
                          if t.get_visible() and t.get_text().strip()]
                boxes = [t.get_window_extent(renderer).expanded(1, 1) for t in labels]
                for i in range(len(labels)):
                    for j in range(i + 1, len(labels)):
                        a, b = boxes[i], boxes[j]
                        if (min(a.x1, b.x1) - max(a.x0, b.x0) > pad_px and min(a.y1, b.y1) - max(a.y0, b.y0) > pad_px):
                            problems.append(f"axes {n} {name}: {labels[i].get_text()!r} overlaps {labels[j].get_text()!r}")
    return problems
