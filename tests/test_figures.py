"""Figure style and deterministic exports."""

import hashlib
import json

import pytest
import matplotlib
import matplotlib.figure

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from analysis.report import figures  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    """Every test's pyplot figures are closed after it (they were kept, over 20 open at a time)."""
    yield
    plt.close("all")


def _figure():
    figures.use_style()
    fig, ax = plt.subplots(figsize=figures.TWO_COLUMNS)
    ax.plot([2019, 2022, 2024], [12500.5, 13020.0, 12980.25], label="Emploi")
    figures.format_axis(ax, "y")
    ax.set_title(figures.tr("Emploi industriel", "Industrial employment"))
    ax.legend()
    return fig


def test_same_figure_saved_twice_gives_identical_bytes(tmp_path):
    a = figures.save_figure(_figure(), "demo", sources="Insee, ESTEL", notebook="test", out_dir=tmp_path / "a")
    b = figures.save_figure(_figure(), "demo", sources="Insee, ESTEL", notebook="test", out_dir=tmp_path / "b")
    assert [p.suffix for p in a] == [".svg", ".pdf", ".png"]
    for pa, pb in zip(a, b):
        assert hashlib.sha256(pa.read_bytes()).digest() == hashlib.sha256(pb.read_bytes()).digest(), pa.name
    svg = a[0].read_text()
    assert "<dc:date>" not in svg and "Source\u202f: Insee, ESTEL" in svg
    assert b"CreationDate" not in a[1].read_bytes()


def test_png_is_300_dpi(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "png")
    [png] = figures.save_figure(_figure(), "demo", sources="x", notebook="t", out_dir=tmp_path)
    assert png.suffix == ".png"
    dpi = Image.open(png).info["dpi"]
    assert round(dpi[0]) == 300


def test_french_number_formatting():
    assert figures.fr_number(1234567.891, 2, language="fr") == "1\u202f234\u202f567,89"
    assert figures.fr_number(-5.5, 1, language="fr") == "\u22125,5"
    assert figures.fr_percent(0.134, 1, sign=True, language="fr") == "+13,4\u202f%"
    assert figures.fr_number(1234.5, 1, language="en") == "1,234.5"
    assert figures.source_line("Insee", language="en") == "Source: Insee; Recalcul project calculations"
    assert figures.source_line("Insee", language="fr") == "Source\u202f: Insee\u202f; calculs du projet Recalcul"


def test_language_switch(monkeypatch):
    monkeypatch.setenv("ANALYSIS_FIG_LANG", "en")
    assert figures.tr("Emploi", "Employment") == "Employment"
    monkeypatch.setenv("ANALYSIS_FIG_LANG", "de")
    try:
        figures.lang()
    except ValueError as err:
        assert "'de'" in str(err)
    else:
        raise AssertionError("an unknown language must be refused")


def test_index_and_generated_readme(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "svg")  # the index, not the exports, is under test
    figures.save_figure(_figure(), "b_fig", sources="URSSAF", notebook="02_x", claims=["c1", "c2"], out_dir=tmp_path)
    figures.save_figure(_figure(), "a_fig", sources="Insee", notebook="01_x", out_dir=tmp_path)
    figures.save_figure(_figure(), "a_fig", sources="Insee, ESTEL", notebook="01_x", out_dir=tmp_path)
    readme = figures.write_figures_readme(tmp_path).read_text()
    lines = [line for line in readme.splitlines() if line.startswith("| a_fig") or line.startswith("| b_fig")]
    assert len(lines) == 2 and lines[0].startswith("| a_fig") and "Insee, ESTEL" in lines[0]
    assert "`c1`, `c2`" in lines[1]


def test_committed_figures_readme_matches_index(tmp_path):
    """figures/README.md is generated from figures/index.csv; every indexed figure exists in three formats."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "figures"
    shutil.copy(root / "index.csv", tmp_path / "index.csv")
    assert figures.write_figures_readme(tmp_path).read_text() == (root / "README.md").read_text(), (
        "figures/README.md is stale: run `make figures` (or python -m analysis.report.figures)")
    import csv

    for row in csv.DictReader(open(root / "index.csv", encoding="utf-8")):
        for ext in figures.FORMATS:
            assert (root / f"{row['name']}.{ext}").stat().st_size > 1000, f"{row['name']}.{ext}"


def test_forget_and_prune_remove_stale_figures(tmp_path):
    figures.save_figure(_figure(), "01_keep", sources="x", notebook="01_a", out_dir=tmp_path)
    figures.save_figure(_figure(), "02_old", sources="x", notebook="02_b", out_dir=tmp_path)
    assert figures.forget("02_b", out_dir=tmp_path) == 1
    removed = figures.prune(out_dir=tmp_path)
    assert [p.name for p in removed] == ["02_old.pdf", "02_old.png", "02_old.svg"]
    assert sorted(p.name for p in tmp_path.glob("01_keep.*")) == ["01_keep.pdf", "01_keep.png", "01_keep.svg"]


def test_save_figure_gives_default_axes_french_ticks(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "svg")  # the ticks save_figure sets, not the exports
    figures.use_style()
    fig, ax = plt.subplots()
    ax.plot([2019, 2020, 2024], [0.5, 12000.0, 30000.0])
    figures.save_figure(fig, "ticks", sources="x", notebook="t", out_dir=tmp_path, language="fr")
    fig.canvas.draw()
    ylabels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    xlabels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "10\u202f000" in ylabels and "5\u202f000" not in ylabels and "5000" in ylabels
    assert "2020" in xlabels and "2\u202f020" not in xlabels
    fig2, ax2 = plt.subplots()
    ax2.plot([0, 1], [-0.5, 1.5])
    figures.save_figure(fig2, "ticks2", sources="x", notebook="t", out_dir=tmp_path, language="fr")
    fig2.canvas.draw()
    labels = [t.get_text() for t in ax2.get_yticklabels()]
    assert "\u22120,50" in labels and "\u22120,75" in labels  # ticks every 0.25: two decimals, none rounded
    # every label reads back as its tick value (an axis never shows 2.5 as "2" nor 0.15 and 0.25 as "0,2")
    for ticks in ([0, 2.5, 5, 7.5, 10], [-0.05, 0.05, 0.15, 0.25], [2019, 2022, 2024], [0.0, 0.1, 0.2]):
        d = figures._tick_decimals(ticks)
        shown = [figures.fr_number(v, d).replace("\u2212", "-").replace(",", ".").replace("\u202f", "") for v in ticks]
        assert [float(x) for x in shown] == pytest.approx(ticks) and len(set(shown)) == len(ticks)


def test_figure_bytes_do_not_depend_on_the_process(tmp_path):
    """Two fresh interpreters with different hash seeds write identical SVG, PDF and PNG files."""
    import os
    import subprocess
    import sys

    script = (
        "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt, sys\n"
        "from analysis.report import figures\n"
        "figures.use_style(); fig, ax = plt.subplots()\n"
        "ax.bar(['Industrie', 'Services'], [12500.5, 30000]); ax.set_title('Emploi')\n"
        "figures.save_figure(fig, 'p', sources='Insee', notebook='t', out_dir=sys.argv[1])\n")
    for seed, sub in (("1", "a"), ("2", "b")):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-c", script, str(tmp_path / sub)], check=True, env=env)
    for ext in figures.FORMATS:
        assert (tmp_path / "a" / f"p.{ext}").read_bytes() == (tmp_path / "b" / f"p.{ext}").read_bytes(), ext


def test_export_formats_follow_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "svg")
    paths = figures.save_figure(_figure(), "only_svg", sources="x", notebook="t", out_dir=tmp_path)
    assert [p.suffix for p in paths] == [".svg"] and not (tmp_path / "only_svg.png").exists()
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "png, SVG")
    assert figures.export_formats() == ("svg", "png")
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "jpeg")
    try:
        figures.export_formats()
    except ValueError as err:
        assert "jpeg" in str(err) and "svg, pdf, png" in str(err)
    else:
        raise AssertionError("an unknown format must be refused")


def test_unchanged_figure_is_not_rendered_again(tmp_path, monkeypatch):
    """A figure whose SVG and export settings did not change keeps its PDF and PNG files untouched;
    a changed drawing, or a deleted or edited file, is exported again."""
    a = figures.save_figure(_figure(), "same", sources="x", notebook="t", out_dir=tmp_path)
    stamps = {p.name: p.stat().st_mtime_ns for p in a}
    calls = []
    real = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda self, f, **kw: calls.append(kw.get("format")) or real(self, f, **kw))
    b = figures.save_figure(_figure(), "same", sources="x", notebook="t", out_dir=tmp_path)
    assert calls == ["svg"] and {p.name: p.stat().st_mtime_ns for p in b} == stamps
    (tmp_path / "same.png").unlink()
    figures.save_figure(_figure(), "same", sources="x", notebook="t", out_dir=tmp_path)
    assert calls[1:] == ["svg", "png", "pdf"] and (tmp_path / "same.png").stat().st_size > 1000
    fig = _figure()
    fig.axes[0].set_title("another title")
    figures.save_figure(fig, "same", sources="x", notebook="t", out_dir=tmp_path)
    assert calls[4:] == ["svg", "png", "pdf"]
    assert b"another title" in (tmp_path / "same.pdf").read_bytes() or "another title" in (tmp_path / "same.svg").read_text()


def test_exports_leave_the_inline_display_as_without_them(tmp_path, monkeypatch):
    """The PDF reuses the PNG's layout, but the figure gets its constrained layout back: what the
    notebook displays afterwards is the same whether the PDF and PNG exports ran or not."""
    import io

    saved, svg_only = _figure(), _figure()
    engine = saved.get_layout_engine()
    figures.save_figure(saved, "demo", sources="x", notebook="t", out_dir=tmp_path / "all")
    assert saved.get_layout_engine() is engine
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "svg")
    figures.save_figure(svg_only, "demo", sources="x", notebook="t", out_dir=tmp_path / "svg")
    shown = []
    for fig in (saved, svg_only):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        shown.append(buf.getvalue())
    assert shown[0] == shown[1]


def test_pdf_font_subsets_leave_out_layout_tables_only_inside_the_export():
    from fontTools import subset
    from matplotlib import font_manager
    from matplotlib.backends import _backend_pdf_ps

    before = list(subset.Options._drop_tables_default)
    path = font_manager.findfont("DejaVu Sans")
    with figures._lean_font_subsets():
        with _backend_pdf_ps.get_glyphs_subset(path, {36, 37, 38}) as font:
            tables = set(font.font.keys())
    assert not {"GSUB", "GPOS", "GDEF"} & tables and {"glyf", "cmap", "hmtx"} <= tables
    assert subset.Options._drop_tables_default == before


def test_in_a_notebook_the_figure_is_shown_from_its_png_and_closed(tmp_path, monkeypatch):
    """In a kernel, save_figure shows the exported 300-dpi PNG at the figure's 100 dpi (the inline
    backend would have drawn the figure once more) and closes the figure; under
    ANALYSIS_FIG_FORMATS=svg it shows the SVG written; with no SVG or PNG, or outside a kernel, the
    figure is left to the inline backend."""
    import io

    from PIL import Image

    shown = []
    monkeypatch.setattr(figures, "_in_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    fig = _figure()
    paths = figures.save_figure(fig, "demo", sources="x", notebook="t", out_dir=tmp_path)
    assert len(shown) == 1 and fig.number not in plt.get_fignums()
    import base64

    assert shown[0]["text/plain"] == repr(fig)  # as the inline backend's output
    png = base64.b64decode(shown[0]["image/png"])
    with Image.open(paths[2]) as full, Image.open(io.BytesIO(png)) as small:
        assert abs(small.width - full.width / 3) <= 1 and abs(small.height - full.height / 3) <= 1
        # not a blank image: the plotted line's colour is in it
        assert (0, 114, 178) in {colour for _, colour in small.convert("RGB").getcolors(1 << 20)}
    assert figures.display_png(paths[2], 100) == png  # deterministic bytes
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "svg")
    fig = _figure()
    paths = figures.save_figure(fig, "demo", sources="x", notebook="t", out_dir=tmp_path / "svg")
    assert len(shown) == 2 and fig.number not in plt.get_fignums()
    assert shown[1]["image/svg+xml"] == paths[0].read_text(encoding="utf-8")
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "pdf")
    fig = _figure()
    figures.save_figure(fig, "demo", sources="x", notebook="t", out_dir=tmp_path / "pdf")
    assert len(shown) == 2 and fig.number in plt.get_fignums()  # left to the inline backend
    plt.close(fig)
    monkeypatch.setattr(figures, "_in_kernel", lambda: False)
    monkeypatch.delenv("ANALYSIS_FIG_FORMATS")
    fig = _figure()
    figures.save_figure(fig, "demo", sources="x", notebook="t", out_dir=tmp_path / "script")
    assert len(shown) == 2 and fig.number in plt.get_fignums()
    plt.close(fig)


def test_the_screen_copy_of_a_png_is_kept_in_the_data_cache(tmp_path, monkeypatch):
    """display_png scales an export once: the copy is kept under <cache>/display, named by the export's
    bytes, so an unchanged figure is shown without decoding its 300-dpi PNG; another PNG gets its own."""
    from PIL import Image

    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "png")
    [png] = figures.save_figure(_figure(), "demo", sources="x", notebook="t", out_dir=tmp_path / "a")
    first = figures.display_png(png, 100)
    assert [p.read_bytes() for p in (tmp_path / "cache" / "display").iterdir()] == [first]

    def no_decode(*a, **k):
        raise AssertionError("decoded again")

    with monkeypatch.context() as m:
        m.setattr(Image, "open", no_decode)
        assert figures.display_png(png, 100) == first
    fig = _figure()
    fig.axes[0].set_title("another drawing")
    [other] = figures.save_figure(fig, "demo", sources="x", notebook="t", out_dir=tmp_path / "b")
    second = figures.display_png(other, 100)
    assert second != first and len(list((tmp_path / "cache" / "display").iterdir())) == 2
    assert figures.display_png(other, 50) != second and len(list((tmp_path / "cache" / "display").iterdir())) == 3


def test_plot_geo_draws_nothing_until_the_figure_is_saved(tmp_path, monkeypatch):
    """geopandas renders the whole figure after every plot() (canvas.draw_idle); plot_geo does not, and
    the map it gives is drawn the same."""
    import geopandas
    import shapely
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    shapes = geopandas.GeoDataFrame({"v": [1.0, 2.0]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    draws = []
    real = FigureCanvasAgg.draw
    monkeypatch.setattr(FigureCanvasAgg, "draw", lambda self, *a, **k: draws.append(1) or real(self, *a, **k))

    def drawn(plot):
        fig, ax = plt.subplots(figsize=(3, 2))
        plot(shapes, ax, column="v")
        plot(shapes.boundary, ax, color="black")
        n = len(draws)
        buf = __import__("io").BytesIO()
        fig.savefig(buf, format="png", dpi=50)
        plt.close(fig)
        return n, buf.getvalue()

    n_geopandas, by_geopandas = drawn(lambda frame, ax, **kw: frame.plot(ax=ax, **kw))
    del draws[:]
    n_plot_geo, by_plot_geo = drawn(figures.plot_geo)
    assert n_geopandas == 2 and n_plot_geo == 0
    assert by_plot_geo == by_geopandas
    fig, ax = plt.subplots(figsize=(3, 2))
    assert figures.plot_geo(shapes, ax, column="v") is ax
    assert "draw_idle" not in vars(fig.canvas)  # the canvas gets its own method back
    plt.close(fig)


def test_a_figure_drawn_from_the_same_inputs_is_not_rendered_again(tmp_path, monkeypatch):
    """In a kernel, save_figure always calls the drawing function in the shown language (French), but renders
    it again only when what it shows (drawn_content), the cells executed so far, the titles and sources, the
    package's code and data files differ from what this machine rendered its files from (a record in the data
    cache, not in the export stamps, which stay the same on every machine); the English export is not even
    drawn then. A change to any of them, or to the files, renders again; outside a kernel everything is."""
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "svg,png")  # (the PDF follows the PNG: test above)
    cells = ["", "import analysis", "def draw(): ..."]
    monkeypatch.setattr(figures, "_kernel_inputs", lambda: list(cells))
    shown = []
    monkeypatch.setattr(figures, "_in_kernel", lambda: True)
    monkeypatch.setattr(figures, "show_png", lambda fig, path: shown.append(path))
    rendered = []
    real = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda self, f, **kw: rendered.append((figures.lang(), kw.get("format"))) or real(self, f, **kw))
    drawn, values = [], [12500.5]

    def draw():
        drawn.append(figures.lang())
        fig = _figure()
        fig.axes[0].plot([2019], values, "o")
        return fig

    def save(out=tmp_path, **kw):
        rendered.clear()
        del drawn[:]
        paths = figures.save_figure(draw, "pair", sources=("Insee", "Insee (FR)"), notebook="t", out_dir=out,
                                    title=kw.get("title", ("Emploi", "Employment")))
        plt.close("all")
        return paths

    first = save()
    assert drawn == ["fr", "en"] and len(first) == 4 and all(p.exists() for p in first)
    assert rendered == [(c, f) for c in ("fr", "en") for f in ("svg", "png")]
    stamp = json.loads((tmp_path / "en" / figures.EXPORT_STAMPS / "pair.json").read_text())
    assert set(stamp) == {"key", "date", "files"}  # the stamps hold nothing of this machine
    records = sorted(json.loads(r.read_text())["key"] for r in (tmp_path / "cache" / "exports").iterdir())
    assert len(records) == 2 and stamp["key"] in records
    mtimes = {p: p.stat().st_mtime_ns for p in first}
    index = (tmp_path / "index.csv").read_text()
    (tmp_path / "index.csv").unlink()
    assert save() == first and drawn == ["fr"] and rendered == []  # drawn, not rendered; English not drawn
    assert {p: p.stat().st_mtime_ns for p in first} == mtimes and shown == [first[1]] * 2  # the PNG in place
    assert (tmp_path / "index.csv").read_text() == index  # both rows written, as when rendered
    import shutil

    shutil.copytree(tmp_path, tmp_path.parent / "copy", ignore=shutil.ignore_patterns("cache"))  # make bench's copy
    save(out=tmp_path.parent / "copy")
    assert drawn == ["fr"] and rendered == []
    cells.append("LABEL = 'edited'")  # another cell ran before the figure: rendered (same SVG: no PNG, PDF)
    save()
    assert drawn == ["fr", "en"] and rendered == [("fr", "svg"), ("en", "svg")]
    save(title=("Emploi", "Jobs"))  # a change of its English title only
    assert drawn == ["fr", "en"] and rendered == [("fr", "svg"), ("en", "svg")]
    values[0] = 9000.0  # other data: both rendered, and exported again
    save(title=("Emploi", "Jobs"))
    assert rendered == [(c, f) for c in ("fr", "en") for f in ("svg", "png")]
    save(title=("Emploi", "Jobs"))
    assert drawn == ["fr"] and rendered == []
    exported = {p: p.read_bytes() for p in first}
    (tmp_path / "en" / "pair.png").unlink()  # a missing file is copied back from the data cache, not rendered
    (tmp_path / "pair.svg").write_text("edited")  # an edited file too
    save(title=("Emploi", "Jobs"))
    assert drawn == ["fr"] and rendered == [] and {p: p.read_bytes() for p in first} == exported
    fresh = tmp_path.parent / "fresh"  # so does a folder that never held it (a second profile or what-if run)
    assert save(out=fresh, title=("Emploi", "Jobs")) == [fresh / p.relative_to(tmp_path) for p in first]
    assert drawn == ["fr"] and rendered == [] and {p.relative_to(fresh): p.read_bytes() for p in
                                                   save(out=fresh, title=("Emploi", "Jobs"))} == {
        p.relative_to(tmp_path): b for p, b in exported.items()}
    assert len((fresh / "index.csv").read_text().splitlines()) == 3  # both languages' rows, as when rendered
    stored = tmp_path / "cache" / "export-files"
    (stored / (json.loads((tmp_path / "en" / figures.EXPORT_STAMPS / "pair.json").read_text())["key"] + ".png")
     ).write_bytes(b"corrupt")
    (tmp_path / "en" / "pair.png").unlink()  # the cache's copy fails its SHA-256: the file is rendered again
    save(title=("Emploi", "Jobs"))
    assert drawn == ["fr", "en"] and rendered == [("en", "svg"), ("en", "png")]
    assert (tmp_path / "en" / "pair.png").read_bytes() == exported[tmp_path / "en" / "pair.png"]
    (tmp_path / "en" / "pair.png").unlink()  # the render wrote the cache's copy again: copied back
    save(title=("Emploi", "Jobs"))
    assert drawn == ["fr"] and rendered == [] and (tmp_path / "en" / "pair.png").is_file()
    shutil.rmtree(stored)
    (tmp_path / "pair.svg").write_text("edited")  # no copy in the cache (pruned): rendered again
    save(title=("Emploi", "Jobs"))
    assert rendered[0] == ("fr", "svg") and (tmp_path / "pair.svg").read_bytes() == exported[tmp_path / "pair.svg"]
    monkeypatch.setattr(figures, "_code_and_data_fingerprint", lambda: "other package code")
    save(title=("Emploi", "Jobs"))
    assert drawn == ["fr", "en"] and rendered == [("fr", "svg"), ("en", "svg")]
    monkeypatch.setattr(figures, "_kernel_inputs", lambda: None)  # outside a kernel: always rendered
    save(title=("Emploi", "Jobs"))
    assert drawn == ["fr", "en"] and rendered == [("fr", "svg"), ("en", "svg")]


def test_drawn_content_follows_what_the_figure_shows():
    """drawn_content is the same for two drawings of the same thing (in one process or another: no ids or
    addresses) and changes with a line's data, a text, a colour, a bar, a map polygon, the axis limits, the
    tick labels' format and the figure's size."""
    import contextlib
    import io
    import subprocess
    import sys

    def make(change=None):
        figures.use_style()
        fig, (ax, bx) = plt.subplots(1, 2, figsize=figures.TWO_COLUMNS)
        ax.plot([2019, 2022], [1.0, 2.0] if change != "line" else [1.0, 2.5], label="a")
        ax.bar(["x", "y"], [3, 4] if change != "bar" else [3, 5], color="C1" if change != "colour" else "C2")
        ax.set_title("Emploi" if change != "text" else "Emplois")
        coll = bx.fill([0, 1, 1], [0, 0, 1] if change != "polygon" else [0, 0, 2])
        bx.set_xlim(0, 1 if change != "limits" else 2)
        if change == "format":
            figures.format_axis(ax, "y", percent=True)
        if change == "size":
            fig.set_size_inches(6.5, 3)
        ax.legend()
        return fig, coll

    base = figures.drawn_content(make()[0])
    assert base == figures.drawn_content(make()[0])
    for change in ("line", "bar", "colour", "text", "polygon", "limits", "format", "size"):
        assert figures.drawn_content(make(change)[0]) != base, change
    code = ("figures.use_style(); fig, ax = plt.subplots(); ax.plot([1, 2], [3, 4]); ax.set_title('t'); "
            "print(figures.drawn_content(fig))")
    here = io.StringIO()
    with contextlib.redirect_stdout(here):
        exec(code, {"figures": figures, "plt": plt})
    other = subprocess.run([sys.executable, "-c", "import matplotlib; matplotlib.use('Agg'); "
                            "import matplotlib.pyplot as plt; from analysis.report import figures; " + code],
                           capture_output=True, text=True, check=True).stdout
    assert other == here.getvalue() and len(other.strip()) == 64  # another process: the same digest
    plt.close("all")


def test_a_figure_whose_content_cannot_be_read_is_rendered(tmp_path, monkeypatch):
    """If drawn_content fails on an artist it does not know, the figure is rendered as without it (no error)."""
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ANALYSIS_FIG_FORMATS", "svg")
    monkeypatch.setattr(figures, "_kernel_inputs", lambda: ["", "cell"])
    monkeypatch.setattr(figures, "drawn_content", lambda fig: 1 / 0)
    rendered = []
    real = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda self, f, **kw: rendered.append(1) or real(self, f, **kw))
    for _ in range(2):
        paths = figures.save_figure(_figure, "odd", sources="x", notebook="t", out_dir=tmp_path, languages=("fr",))
    assert len(rendered) == 2 and paths[0].is_file()
    plt.close("all")


def test_in_a_kernel_the_inputs_are_the_cells_executed_so_far():
    """_kernel_inputs reads IPython's In in a real kernel: the cells executed before, and the current one."""
    import nbformat

    from analysis.paths import REPO_ROOT
    from analysis.report.kernel import notebook_client

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("from analysis.report import figures\nprint(figures._kernel_inputs())")]
    with notebook_client(nb, REPO_ROOT, timeout=60) as client:
        client.execute()
    printed = nb.cells[1].outputs[0]["text"]
    assert printed.strip() == repr(["", "x = 1", "from analysis.report import figures\nprint(figures._kernel_inputs())"])
