"""The book (make site) in headless Chromium at 1,280 px and 390 px: every page loads without console errors
and without horizontal scrolling, every image loads and has alt text, every internal link and anchor resolves;
the landing page opens with the headline findings, each notebook page with its answer; the claims explorer
shows claim, cited, recomputed and status without scrolling at 1,280 px and filters; the gallery shows every
figure in English and French; the atlas page has one table per level linked to the territories' files and a
page per 2023-2027 TI. Pages, notebooks, figures and territories are discovered, never listed. The book is built
once per module; the TI pages are checked on a sample. Needs Debian's chromium and chromium-driver (`make
browser` installs them). Screenshots are saved in the test's temporary folder (the path is printed; run pytest
with -s to see it)."""

import csv
import functools
import html.parser
import http.server
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from analysis.report import site

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run", "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                  "--hide-scrollbars"]
WIDTHS = (1280, 390)
POLL_S = 0.05  # WebDriverWait's condition checks (its default, 0.5 s, idled half a second per wait)
TI_SAMPLE = 4


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # the browser cancels image requests when it moves on
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


#: The atlas levels of the book under test: the TIs of the 2023-2027 wave (the TI pages) and the régions.
ATLAS_LEVELS = ("ti2023", "reg")


@pytest.fixture(scope="module")
def atlas_dir(tmp_path_factory):
    """The atlas the book reads, with :data:`ATLAS_LEVELS` only (on every machine the same pages): those
    levels of ``atlas/`` when the user built it (linked, read only), else built into a temporary folder
    (the full atlas takes ~5 s, and 2,000 territories' files to copy into the book)."""
    import json

    out = tmp_path_factory.mktemp("atlas") / "atlas"
    built = ROOT / "atlas"
    if not (built / "metadata.json").is_file():
        from analysis.report import atlas

        atlas.build(out_dir=out, levels=list(ATLAS_LEVELS))
        return out
    meta = json.loads((built / "metadata.json").read_text(encoding="utf-8"))
    assert set(ATLAS_LEVELS) <= set(meta["levels"]), f"{built} lacks a level of {ATLAS_LEVELS}: make atlas"
    meta["levels"] = {level: n for level, n in meta["levels"].items() if level in ATLAS_LEVELS}
    out.mkdir()
    for level in ATLAS_LEVELS:
        for path in built.glob(f"{level}*"):
            (out / path.name).symlink_to(path)
    (out / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def profiles_dir(tmp_path_factory, atlas_dir):
    """A rendered profile of the first 2023-2027 TI (a stand-in page: rendering one takes seconds)."""
    import json

    folder = tmp_path_factory.mktemp("profiles")
    rec = json.loads(next(iter(sorted((atlas_dir / "ti2023").glob("*.json")))).read_text(encoding="utf-8"))
    (folder / f"{rec['code']}_{rec['wave']}.html").write_text(
        f"<!doctype html><title>{rec['name']}</title><h1>{rec['name']}</h1>", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def served_site(tmp_path_factory, atlas_dir, profiles_dir):
    out = tmp_path_factory.mktemp("site") / "site"
    site.build_site(out_dir=out, atlas_dir=atlas_dir, profiles_dir=profiles_dir)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "install Debian's chromium and chromium-driver (make browser)"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    b = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    b.set_script_timeout(20)
    yield b
    b.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"\nsite screenshots in {folder}")
    return folder


def _notebooks():
    return sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _figures():
    with open(ROOT / "figures" / "index.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _board():
    return pd.read_csv(ROOT / "results" / "scoreboard.csv", dtype=str, keep_default_na=False)


def _ti_pages(out):
    pages = sorted((out / "atlas" / site.TI_PAGES_LEVEL).glob("*.html"))
    step = max(1, len(pages) // TI_SAMPLE)
    return pages, [str(p.relative_to(out)) for p in pages[::step][:TI_SAMPLE]]


def _load(browser, url, width):
    """Open ``url`` at ``width`` px and wait until every image has loaded (lazy images switched to eager)."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(width, 1000)
    browser.get(url)
    browser.execute_script("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
    WebDriverWait(browser, 20, poll_frequency=POLL_S).until(lambda b: b.execute_script(
        "return Array.from(document.images).every(i => i.complete)"))


def test_every_page_fits_1280_and_390_px_loads_its_images_and_every_internal_link_resolves(served_site, browser, shots):
    out, base = served_site
    ti_all, ti_sample = _ti_pages(out)
    pages = sorted(str(p.relative_to(out)) for p in out.rglob("*.html")
                   if not {"figures", "_static", "atlas", "profiles"} & set(p.relative_to(out).parts))
    assert {f"notebooks/{n}.html" for n in _notebooks()} <= set(pages)
    assert {"index.html", "claims.html", "gallery.html", "atlas.html", "search.html"} <= set(pages)
    pages += ti_sample
    ids: dict[str, set] = {}

    def ids_of(rel):
        if rel not in ids:
            parser = _Ids()
            parser.feed((out / rel).read_text(encoding="utf-8"))
            ids[rel] = parser.ids
        return ids[rel]

    links = set()
    narrow, wide = min(WIDTHS), max(WIDTHS)
    for rel in pages:
        # each page is loaded once, at the narrow width (where a page is likeliest to overflow, and where
        # the theme's scripts see a phone's window at load), then checked again widened to 1,280 px
        browser.set_window_size(narrow, 1000)
        browser.get(f"{base}/{rel}")
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, f"{rel}: console errors {errors}"
        for width in (narrow, wide):
            if width == wide:
                browser.set_window_size(wide, 1000)
            # one script call per page and width: lazy images switched to eager and awaited, then the width,
            # every image and every link (a WebDriver round trip per element took seconds)
            sizes, images, hrefs = browser.execute_async_script("""
                const done = arguments[arguments.length - 1];
                const imgs = Array.from(document.images);
                imgs.forEach(i => { i.loading = 'eager'; });
                Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; }))).then(() => done([
                  [document.documentElement.scrollWidth, document.documentElement.clientWidth],
                  imgs.map(i => [i.getAttribute('alt') || '', i.getAttribute('src'), i.naturalWidth]),
                  Array.from(document.querySelectorAll('a[href]')).map(a => a.href)]));""")
            assert sizes[0] <= sizes[1], f"{rel} scrolls horizontally at {width} px: content is {sizes[0]} px wide"
            for alt, src, natural in images:
                alt = alt.strip()
                assert alt and not alt.endswith((".png", ".svg")), f"{rel}: image without alt text {src}"
                assert natural > 0, f"{rel} at {width} px: image not loaded {src}"
            links.update(h for h in hrefs if h.startswith(base))
            if width == narrow and rel in ("index.html", "claims.html", ti_sample[0]):  # 1,280 px: the tests below
                browser.save_screenshot(str(shots / f"{rel.replace('/', '_').removesuffix('.html')}_{width}.png"))
    assert len(links) > len(pages)
    fetched = set()
    for href in sorted(links):
        url, _, frag = href.partition("#")
        rel = urllib.parse.unquote(url[len(base) + 1:]) or "index.html"
        if rel.endswith("/"):
            rel += "index.html"
        if url not in fetched:  # each address once, however many anchors link into it
            try:
                with urllib.request.urlopen(url) as resp:
                    assert resp.status == 200, href
            except urllib.error.HTTPError as err:
                raise AssertionError(f"broken link {href}: {err.code}") from None
            fetched.add(url)
        if frag and rel.endswith(".html"):
            assert frag in ids_of(rel), f"anchor missing: {href}"


def test_landing_page_opens_with_the_findings_then_the_counts(served_site, browser, shots):
    from selenium.webdriver.common.by import By

    _, base = served_site
    _load(browser, base + "/index.html", 1280)
    assert "Recalcul" in browser.title
    board = _board()
    claims = pd.read_csv(ROOT / "data" / "claims.csv", dtype=str, keep_default_na=False)
    merged = board.merge(claims[["id", "theme", "geography"]], on="id")
    recomputed = merged["status"].isin(site.RECOMPUTED)
    for fid, _, rule in site.FAMILIES:
        expected = merged[rule(merged) & recomputed]
        rows = browser.find_elements(By.CSS_SELECTOR, f"#finding-{fid} tbody tr")
        assert len(rows) == len(expected) > 0, fid
        for r in expected.itertuples():
            cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, f"#findings-{fid}-{r.id} td")]
            assert cells[1:4] == [site._short(r.cited_value), site._short(r.recomputed_value), r.status], (r.id, cells)
            assert cells[4], f"{r.id}: no sentence on why"
    # the cited 134 becomes 87.8 on 2007-2017, a proxy, and the reader sees it before any count
    multiplier = browser.find_element(By.CSS_SELECTOR, "#finding-multiplier tbody tr").text
    assert "134" in multiplier and "proxy" in multiplier and "2007-2017" in multiplier
    findings_y = browser.find_element(By.ID, "findings").location["y"]
    assert findings_y < browser.find_element(By.ID, "summary").location["y"]
    assert findings_y < 1000, "the findings start on the first screen at 1,280 px"
    assert browser.find_element(By.ID, "summary").text.startswith(f"{len(board)} claims")
    counts = board["status"].value_counts()
    for status in ["reproduced", "close", "differs", "proxy", "not reproducible", "pending"]:
        li = browser.find_element(By.ID, "count-" + status.replace(" ", "-")).text
        assert li == f"{status}: {counts.get(status, 0)}", li
    apart = {li.get_attribute("id") for li in browser.find_elements(By.CSS_SELECTOR, "#counts-apart li")}
    assert "count-proxy" in apart and "count-reproduced" not in apart, "proxies are counted apart"
    chart = browser.find_element(By.CSS_SELECTOR, "article img[src*='00_scoreboard_by_theme']")
    assert browser.execute_script("return arguments[0].naturalWidth", chart) > 300
    listed = {a.get_attribute("href").rsplit("/", 1)[1].removesuffix(".html")
              for a in browser.find_elements(By.CSS_SELECTOR, "#notebooks a")}
    assert listed == set(_notebooks())
    nav = {a.get_attribute("href").rsplit("/", 1)[1] for a in browser.find_elements(By.CSS_SELECTOR, "nav.bd-links a")}
    assert {"claims.html", "gallery.html", "atlas.html"} | {f"{n}.html" for n in _notebooks()} <= nav, "sidebar navigation"
    assert browser.find_elements(By.CSS_SELECTOR, "form.bd-search, .search-button-field, [data-bs-target='#pst-search-dialog'], button.search-button")
    shot = shots / "landing.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_each_notebook_page_opens_with_its_answer(served_site):
    """Read from the built HTML (no browser round trips): right after the title, the answer box with one
    row per claim the notebook recomputed."""
    import re

    out, _ = served_site
    board = _board()
    for stem in _notebooks():
        page = (out / "notebooks" / f"{stem}.html").read_text(encoding="utf-8")
        article = page[page.index("<article"):]
        between = article[article.index("</h1>"):article.index('id="answer"')]
        assert "<p" not in between and "cell_output" not in between, f"{stem}: something comes before the answer"
        answer = article[article.index('id="answer"'):]
        answer = answer[:answer.index("</table>")] if "</table>" in answer else answer[:answer.index("</div>")]
        rows = set(re.findall(r'<tr id="answer-([^"]+)"', answer))
        mine = board[(board["notebook"] == stem) & board["status"].isin(site.RECOMPUTED)]
        assert rows == set(mine["id"]), stem


def test_claims_explorer_shows_the_values_first_filters_sorts_and_links(served_site, browser, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _, base = served_site
    _load(browser, base + "/claims.html", 1280)
    board = _board()
    wait = WebDriverWait(browser, 20, poll_frequency=POLL_S)
    info = wait.until(lambda b: b.find_element(By.CSS_SELECTOR, ".dt-info").text or None)
    assert f"of {len(board)} entries" in info.replace(",", ""), info
    # claim, cited, recomputed and status inside the window and the table's visible area at 1,280 px
    edges = browser.execute_script("""
        const box = document.querySelector('.dt-scroll-body').getBoundingClientRect();
        const ths = Array.from(document.querySelectorAll('.dt-scroll-head thead tr:first-child th'));
        return [box.left, Math.min(box.right, window.innerWidth),
                ths.map(th => [th.innerText.trim() || th.querySelector('input')?.placeholder, th.getBoundingClientRect().left, th.getBoundingClientRect().right])];""")
    left, right, heads = edges
    visible = {name for name, lo, hi in heads if lo >= left - 1 and hi <= right + 1}
    assert {"claim", "cited", "recomputed", "status"} <= visible, heads
    # the quote is truncated and expands; the note is on demand
    first_quote = browser.find_element(By.CSS_SELECTOR, "#claims tbody details.quote")
    summary = first_quote.find_element(By.TAG_NAME, "summary")
    assert not first_quote.get_attribute("open") and summary.text.endswith("…"), summary.text
    closed = first_quote.size["height"]
    browser.execute_script("arguments[0].click()", summary)
    assert first_quote.get_attribute("open") and first_quote.size["height"] > closed
    assert browser.find_elements(By.CSS_SELECTOR, "#claims tbody details.note:not([open])")
    shot = shots / "explorer.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    filters = {i.get_attribute("placeholder"): i for i in browser.find_elements(By.CSS_SELECTOR, ".dt-scroll-head thead input")}
    assert {"theme", "status", "seed", "claim"} <= set(filters), sorted(filters)
    filters["status"].send_keys("differs")
    n = int((board["status"] == "differs").sum())
    assert 0 < n < len(board)
    wait.until(lambda b: f"of {n} entries" in b.find_element(By.CSS_SELECTOR, ".dt-info").text)
    col = site.EXPLORER_COLUMNS.index("status") + 1
    statuses = {td.text for td in browser.find_elements(By.CSS_SELECTOR, f"#claims tbody td:nth-child({col})")}
    assert statuses == {"differs"}
    # sort: a click on the claim column's order icon sorts the filtered rows by claim id
    order = browser.find_elements(By.CSS_SELECTOR, ".dt-scroll-head thead tr:first-child th .dt-column-order")[
        site.EXPLORER_COLUMNS.index("claim")]
    for _ in range(2):  # the table starts sorted by theme then claim: two clicks give a descending claim order
        browser.execute_script("arguments[0].click()", order)
    ids = [td.text.replace("\n", "") for td in browser.find_elements(By.CSS_SELECTOR, "#claims tbody td:nth-child(1)")]
    assert len(ids) == min(n, 25) and ids == sorted(ids, reverse=True), ids
    links = browser.find_elements(By.CSS_SELECTOR, "#claims tbody td a[href*='notebooks/']")
    assert links and all("#claim-" in a.get_attribute("href") or a.get_attribute("href").endswith(".html") for a in links)
    assert browser.find_elements(By.CSS_SELECTOR, "#claims tbody td a[href*='gallery.html#fig-']")


def test_gallery_shows_every_figure_in_both_languages(served_site, browser):
    from selenium.webdriver.common.by import By

    _, base = served_site
    _load(browser, base + "/gallery.html", 1280)
    figs = _figures()
    names = list(dict.fromkeys(r["name"] for r in figs))
    cards = browser.execute_script("""
        return Array.from(document.querySelectorAll('#gallery figure')).map(card => ({id: card.id,
          text: card.innerText, images: Array.from(card.querySelectorAll('img')).map(i =>
            [i.closest('[lang]').getAttribute('lang'), i.getAttribute('src'), i.getAttribute('alt') || '', i.naturalWidth,
             i.getBoundingClientRect().width]),
          downloads: Array.from(card.querySelectorAll('.downloads a')).map(a => a.getAttribute('href'))}));""")
    assert [c["id"] for c in cards] == [f"fig-{n}" for n in names]
    for card in cards:
        name = card["id"].removeprefix("fig-")
        rows = {r["language"]: r for r in figs if r["name"] == name}
        assert {lang for lang, *_ in card["images"]} == set(rows), card["id"]
        for lang, src, alt, natural, shown in card["images"]:
            assert src == f"figures/{'en/' if lang == 'en' else ''}{name}.png"
            assert rows[lang]["title"] in alt and rows[lang]["sources"] in alt and natural > 300
            if lang == "en":  # English shown first, wide enough to read
                assert shown >= 600, f"{card['id']}: thumbnail {shown} px wide at 1,280 px"
        assert len(card["downloads"]) == 3 * len(rows)
        for c in next(iter(rows.values()))["claims"].split():
            assert c in card["text"].replace("\n", "")
    # the switch shows the French figures instead
    browser.execute_script("document.getElementById('lang-fr').click()")
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#gallery img')).filter(i => i.offsetParent).map(i => i.getAttribute('src'))")
    assert shown and all(not s.startswith("figures/en/") for s in shown)


def test_atlas_page_one_table_per_level_linked_to_files_and_ti_pages(served_site, browser, atlas_dir, profiles_dir):
    import json

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    out, base = served_site
    meta = json.loads((atlas_dir / "metadata.json").read_text(encoding="utf-8"))
    _load(browser, base + "/atlas.html", 1280)
    wait = WebDriverWait(browser, 20, poll_frequency=POLL_S)
    for level, n in meta["levels"].items():
        info = wait.until(lambda b: b.find_element(By.CSS_SELECTOR, f"#level-{level} .dt-info").text or None)
        assert f"of {n} entries" in info.replace(",", "").replace("\u202f", ""), (level, info)
        hrefs = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, f"#atlas-{level} tbody a")]
        for kind in ("json", "csv"):
            first = next(h for h in hrefs if h.endswith("." + kind))
            with urllib.request.urlopen(first) as resp:
                body = resp.read().decode("utf-8")
            code = first.rsplit("/", 1)[1].removesuffix("." + kind)
            assert code in body
    # search narrows the TI table to one territory, whose row links to its page
    ti = site.TI_PAGES_LEVEL
    rec = json.loads(next(iter(sorted((atlas_dir / ti).glob("*.json")))).read_text(encoding="utf-8"))
    box = browser.find_element(By.CSS_SELECTOR, f"#level-{ti} .dt-search input")
    box.send_keys(rec["code"])
    wait.until(lambda b: "of 1 entries" in b.find_element(By.CSS_SELECTOR, f"#level-{ti} .dt-info").text.replace("\u202f", "")
               or "1 to 1 of" in b.find_element(By.CSS_SELECTOR, f"#level-{ti} .dt-info").text)
    page = browser.find_element(By.CSS_SELECTOR, f"#atlas-{ti} tbody a[href$='{rec['code']}.html']")
    assert page.text == rec["name"]
    # the territory with a rendered profile links to it (copied into the site), from its row and its page
    profile = next(profiles_dir.glob("*.html"))
    assert profile.stem == f"{rec['code']}_{rec['wave']}"
    link = browser.find_element(By.CSS_SELECTOR, f"#atlas-{ti} tbody a[href$='profiles/{profile.name}']")
    with urllib.request.urlopen(link.get_attribute("href")) as resp:
        assert rec["name"] in resp.read().decode("utf-8")
    assert f"../../profiles/{profile.name}" in (out / "atlas" / ti / f"{rec['code']}.html").read_text(encoding="utf-8")
    # missing figures read "missing", never 0 or NaN
    assert "NaN" not in browser.find_element(By.ID, f"atlas-{ti}").text
    # one page per TI of the wave; a sample shows every figure of the territory's JSON
    pages, sample = _ti_pages(out)
    assert len(pages) == meta["levels"][ti] == len(list((atlas_dir / ti).glob("*.json")))
    for rel in sample:
        rec = json.loads((atlas_dir / ti / (Path(rel).stem + ".json")).read_text(encoding="utf-8"))
        browser.get(f"{base}/{rel}")
        assert rec["name"] in browser.find_element(By.CSS_SELECTOR, "article h1").text
        rows = browser.find_elements(By.CSS_SELECTOR, "#ti-figures tbody tr")
        assert len(rows) == len(rec["figures"])
        for tr, f in zip(rows, rec["figures"]):
            value = tr.find_elements(By.TAG_NAME, "td")[1].text
            assert (value == "missing") == (f["value"] is None), (rel, f["figure"], value)


def test_code_cells_are_collapsed(served_site, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _, base = served_site
    browser.set_window_size(1280, 1000)
    browser.get(f"{base}/notebooks/{_notebooks()[-1]}.html")
    toggles = WebDriverWait(browser, 20, poll_frequency=POLL_S).until(lambda b: b.find_elements(By.CSS_SELECTOR, "details.hide"))
    assert toggles and not any(t.get_attribute("open") for t in toggles)
    code = browser.find_elements(By.CSS_SELECTOR, "div.cell_input")
    assert code and not any(c.is_displayed() for c in code)


def test_the_build_leaves_the_working_tree_as_it_was(served_site):
    """MyST-NB writes its extracted outputs beside Sphinx's output folder: the book is built in a temporary
    folder, so nothing lands in the repository (no jupyter_execute/, no build/)."""
    assert not (ROOT / "jupyter_execute").exists()
    out, _ = served_site
    assert not (out.parent / "jupyter_execute").exists()


def test_profile_links_use_the_profiles_file_names():
    """The atlas page finds a rendered profile by the stem ``make profile`` gives it."""
    from analysis.geo import areas
    from analysis.geo.request import profile_slug
    from analysis.report import atlas

    for level, code, wave in [("ti", "ti-0401", "2023-2027"), ("ti", "ti-5209", "2018-2022"), ("epci", "244400644", None),
                              ("dep", "63", None)]:
        area = areas.resolve(level, [code], wave=wave)
        assert site._profile_slug(atlas.level_of(area), "+".join(area.codes), area.wave or "") == profile_slug(area)


def test_the_same_sources_reuse_sphinx_s_pages_from_the_data_cache(tmp_path, monkeypatch, atlas_dir):
    """Sphinx runs once per set of sources: a second build from the same notebooks, figures and atlas copies its
    pages from the data cache (checked by SHA-256); a changed source, or a damaged copy, runs Sphinx again; the
    cache keeps the last KEPT_BOOKS books. (Sphinx itself is stood in for here: the tests above build the book;
    no figure files, the régions of the atlas only.)"""
    import json

    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(site, "KEPT_BOOKS", 1)
    atlas = tmp_path / "atlas"
    atlas.mkdir()
    meta = json.loads((atlas_dir / "metadata.json").read_text(encoding="utf-8"))
    meta["levels"] = {"reg": meta["levels"]["reg"]}
    (atlas / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    for path in atlas_dir.glob("reg*"):
        (atlas / path.name).symlink_to(path.resolve())
    runs = []

    def sphinx(args):
        src, html_dir = Path(args[-2]), Path(args[-1])
        runs.append(src)
        html_dir.mkdir(parents=True)
        pages = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.ipynb"))
        (html_dir / "index.html").write_text(f"<p>{len(runs)}: {pages}</p>", encoding="utf-8")
        return 0

    monkeypatch.setattr("sphinx.cmd.build.build_main", sphinx)
    notebooks, figs = tmp_path / "notebooks", tmp_path / "figures"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".*"))
    figs.mkdir()

    def build(name):
        out = tmp_path / name
        site.build_site(out_dir=out, notebooks_dir=notebooks, figures_dir=figs, atlas_dir=atlas,
                        profiles_dir=tmp_path / "none")
        return (out / "index.html").read_text(encoding="utf-8")

    first = build("a")
    assert len(runs) == 1 and first.startswith("<p>1: ") and "notebooks/08_long_run_industry.ipynb" in first
    assert build("b") == first and len(runs) == 1  # same sources: copied, not built
    kept = tmp_path / "cache" / site.BOOK_CACHE
    (next(kept.iterdir()) / "html" / "index.html").write_text("damaged", encoding="utf-8")
    assert build("c").startswith("<p>2: ") and len(runs) == 2  # a damaged copy: built again (and kept again)
    path = notebooks / "08_long_run_industry.ipynb"  # a notebook edited: other sources, built again
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = ["# Long-run industry, edited\n"]
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert build("d").startswith("<p>3: ") and len(runs) == 3
    [newest] = kept.iterdir()  # KEPT_BOOKS = 1: the other copy is dropped
    assert (newest / "html" / "index.html").read_text(encoding="utf-8").startswith("<p>3: ")
