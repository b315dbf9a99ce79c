"""Publication checks over the exported figures (figures/ in French, figures/en/ in English):
tick labels tell the truth (none repeated, numeric ones read back in order), every figure exists in both
languages and is listed in figures/index.csv with its language, unit, date and licence, no export holds a
label of the other language, and every figure printed at one-column width (6.5 in) keeps its text at
7 pt or more. Reads the committed SVGs only (fast); a test draws the multiplier scatter at département
scale, where the tick step is 0.05."""

from __future__ import annotations

import ast
import csv
import json
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis.report import figures  # noqa: E402
from analysis.report.charts import plot_scatter  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "figures"
SVG = "{http://www.w3.org/2000/svg}"


def _svgs() -> list[Path]:
    return sorted(FIGURES.glob("*.svg")) + sorted((FIGURES / "en").glob("*.svg"))


@lru_cache(maxsize=None)
def _tree(path: Path):
    return ET.parse(path).getroot()


def _text(el) -> str:
    return "".join(el.itertext()).strip()


def tick_labels(root) -> list[tuple[str, list[str]]]:
    """For each axis of an SVG exported by matplotlib: (axis id, its major and minor tick labels in order)."""
    out = []
    for axis in root.iter(f"{SVG}g"):
        if not axis.get("id", "").startswith("matplotlib.axis_"):
            continue
        labels = []
        for g in axis.iter(f"{SVG}g"):
            if re.fullmatch(r"[xy]tick_\d+", g.get("id", "")):
                label = "\n".join(t for t in (_text(x) for x in g.iter(f"{SVG}text")) if t)  # one line per <text>
                if label:
                    labels.append(label)
        out.append((axis.get("id"), labels))
    return out


def read_number(label: str) -> float | None:
    """A tick label read back as a number (French or English writing), or None when it is not a number."""
    s = label.replace("\u2212", "-").replace("\u202f", "").replace("\xa0", "").replace(" ", "").rstrip("%")
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", s):  # English thousands
        s = s.replace(",", "")
    s = s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return None


def test_tick_labels_are_true_in_every_export():
    """No axis of any exported figure repeats a tick label, and numeric labels are strictly monotonic
    (a label rounded to its neighbour's value, as 0.15 and 0.25 both printed "0.2", fails)."""
    problems = []
    for path in _svgs():
        for axis, labels in tick_labels(_tree(path)):
            if len(set(labels)) != len(labels):
                problems.append(f"{path.relative_to(ROOT)} {axis}: repeated tick labels {labels}")
                continue
            values = [read_number(t) for t in labels]
            if len(values) > 1 and all(v is not None for v in values):
                d = np.diff(values)
                if not (np.all(d > 0) or np.all(d < 0)):
                    problems.append(f"{path.relative_to(ROOT)} {axis}: tick labels not monotonic {labels}")
    assert not problems, "\n".join(problems)


def _panel(scale: float) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 96
    return pd.DataFrame({"dln_exposed": rng.normal(0, scale, n), "dln_sheltered": rng.normal(0, scale / 2, n),
                         "total_0": rng.uniform(1e4, 1e5, n), "drop_reason": ""})


@pytest.mark.parametrize("language", ["fr", "en"])
def test_departement_scatter_ticks_read_back_and_name_the_level(language):
    """A département scatter has ticks 0.05 apart: every label reads back as its tick, and the title and
    legend say départements, not employment zones."""
    figures.use_style()
    with figures.in_language(language):
        fig = plot_scatter(_panel(0.12), {"alpha": 0.0, "beta": 0.4}, start=2019, end=2024, level="dep")
        if language == "fr":
            figures.french_ticks(fig)
        fig.canvas.draw()
        ax = fig.axes[0]
        for axis in (ax.xaxis, ax.yaxis):
            locs = axis.get_majorticklocs()
            labels = [t.get_text() for t in axis.get_majorticklabels()]
            assert len(set(labels)) == len(labels), labels
            for loc, label in zip(locs, labels):
                assert read_number(label) == pytest.approx(loc, abs=1e-9), (loc, label)
        text = " ".join([ax.get_title(), *[t.get_text() for t in ax.get_legend().get_texts()]])
        assert "épartement" in text and "zone" not in text.lower(), text
    plt.close(fig)


def test_save_figure_draws_its_title_and_credit_is_optional(tmp_path):
    figures.use_style()

    def draw():
        fig, ax = plt.subplots(figsize=figures.FULL_WIDTH)
        ax.plot([0, 1], [0, 0.25])
        return fig

    figures.save_figure(draw, "t", sources=("Insee", "Insee"), notebook="x", title=("Un titre", "A title"),
                        credit=False, out_dir=tmp_path)
    fr, en = _figure_texts(tmp_path / "t.svg"), _figure_texts(tmp_path / "en" / "t.svg")
    assert "Un titre" in fr and "A title" in en and "A title" not in fr
    assert "Recalcul" not in fr and "Recalcul" not in en
    rows = list(csv.DictReader(open(tmp_path / "index.csv", encoding="utf-8")))
    assert [(r["name"], r["language"], r["title"]) for r in rows] == [("t", "fr", "Un titre"), ("t", "en", "A title")]
    assert all(r["date"] and r["licence"] for r in rows)


def _index() -> list[dict]:
    with open(FIGURES / "index.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_figure_in_both_languages_and_indexed():
    rows = _index()
    assert set(figures.INDEX_COLUMNS) <= set(rows[0])
    by_name: dict[str, set] = {}
    for r in rows:
        by_name.setdefault(r["name"], set()).add(r["language"])
        folder = figures.language_dir(FIGURES, r["language"])
        assert (folder / f"{r['name']}.svg").exists(), (r["name"], r["language"])
        assert r["date"] and r["licence"], r
    missing = {n: sorted(set(figures.LANGUAGES) - langs) for n, langs in by_name.items() if langs != set(figures.LANGUAGES)}
    assert not missing, f"figures not exported in both languages: {missing}"


def _tr_pairs() -> list[tuple[str, str]]:
    """The translation table: the literal (French, English) pairs of every ``tr(...)`` call of the package and
    of the notebooks, and of :data:`figures.TRANSLATIONS` and :data:`figures.THEMES`."""
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "src" / "analysis").rglob("*.py")]
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        sources += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    pairs = (set(figures.TRANSLATIONS.items()) | set(figures.THEMES.values()) | set(figures.LEVELS.values())
             | set(figures.PHRASES.items()) | {(fr, en) for en, fr in figures.PHRASES_FR.items()})
    for src in sources:
        try:
            tree = ast.parse("\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!"))))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "tr"
                    and len(node.args) >= 2):
                fr, en = (_literal(a) for a in node.args[:2])
                pairs.update(zip(fr, en))
    return sorted(pairs)


def _literal(node) -> list[str]:
    """The constant text runs of a string literal or f-string (at least 8 characters each)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and len(v.value.strip()) >= 8]
    return []


def _figure_texts(path: Path) -> str:
    return "\n".join(_text(t) for t in _tree(path).iter(f"{SVG}text"))


def test_no_export_holds_the_other_languages_labels():
    """No English export shows a French string of the translation table, and no French export an English one
    (strings the same in both languages, and short ones, are not evidence)."""
    pairs = [(fr.strip(), en.strip()) for fr, en in _tr_pairs()]
    # a French proper name kept in English ("Territoire d'industrie (TI)") is not a French leftover
    english_all, french_all = [en for _, en in pairs], [fr for fr, _ in pairs]
    french = {fr for fr, en in pairs if fr != en and len(fr) >= 8 and not any(fr in e for e in english_all)}
    english = {en for fr, en in pairs if fr != en and len(en) >= 8 and not any(en in f for f in french_all)}
    problems = []
    for code, foreign in (("en", french), ("fr", english)):
        for path in sorted(figures.language_dir(FIGURES, code).glob("*.svg")):
            text = _figure_texts(path)
            lines = set(text.splitlines())
            # one word must be a whole label ("Industrie" inside the name "Clermont Arverne Industrie" is a name)
            hits = sorted(s for s in foreign if (s in text if " " in s.strip() else s in lines))
            if hits:
                problems.append(f"{path.relative_to(ROOT)}: {hits[:5]}")
    assert not problems, "\n".join(problems)


#: Figures still wider than the column once exported (legend or label widths), to be redrawn; any other figure
#: over the limit fails, and one of these that comes within it fails too (remove it from the list).
STILL_WIDE: set[str] = set()  # every export fits since save_figure wraps what sticks out (figures.fit_to_width)


def test_print_geometry():
    """Printed at one-column width (6.5 in: an SVG wider than that is scaled down), every text of every export
    is at least 7 pt."""
    problems, wide = [], set()
    limit = figures.PRINT_WIDTH * 72
    for path in _svgs():
        root = _tree(path)
        width = float(root.get("width").removesuffix("pt"))
        sizes = [float(m) for m in re.findall(r"font-size: ?([\d.]+)px", ET.tostring(root, encoding="unicode"))]
        if not sizes:
            continue
        printed = min(sizes) * min(1.0, limit / width)
        if printed < figures.MIN_FONT_PT - 0.05:
            wide.add(path.stem)
            if path.stem not in STILL_WIDE:
                problems.append(f"{path.relative_to(ROOT)}: {width / 72:.1f} in wide, smallest text {min(sizes):g} pt "
                                f"-> {printed:.1f} pt at {figures.PRINT_WIDTH} in")
    problems += [f"{name} now fits: remove it from STILL_WIDE" for name in sorted(STILL_WIDE - wide)]
    assert not problems, "\n".join(problems)
