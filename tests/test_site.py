"""The book (make site) in headless Chromium: every page loads without console errors and without
horizontal scrolling at 1280 px, every internal link and anchor resolves, every image has alt text,
the claims explorer filters, the gallery shows every figure of figures/index.csv, code is collapsed.
Pages, notebooks and figures are discovered, never listed. Needs Debian's chromium and
chromium-driver (`make browser` installs them). Screenshots of the landing page and the explorer are saved
in the test's temporary folder (the path is printed; run pytest with -s to see it)."""

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
                  "--no-first-run", "--disable-component-update", "--disable-sync", "--window-size=1280,1000"]


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


@pytest.fixture(scope="module")
def atlas_dir(tmp_path_factory):
    """The atlas the book reads: ``atlas/`` when the user built it (read only), else the TIs of the
    2023-2027 wave and the régions built into a temporary folder (the full atlas takes ~25 s)."""
    if (ROOT / "atlas" / "metadata.json").is_file():
        return ROOT / "atlas"
    from analysis.report import atlas

    out = tmp_path_factory.mktemp("atlas") / "atlas"
    atlas.build(out_dir=out, levels=["ti2023", "reg"])
    return out


@pytest.fixture(scope="module")
def served_site(tmp_path_factory, atlas_dir):
    out = tmp_path_factory.mktemp("site") / "site"
    site.build_site(out_dir=out, atlas_dir=atlas_dir)
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
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


def test_every_page_loads_clean_fits_1280_px_and_every_internal_link_resolves(served_site, browser):
    out, base = served_site
    pages = sorted(str(p.relative_to(out)) for p in out.rglob("*.html") if not {"figures", "_static"} & set(p.parts))
    assert {f"notebooks/{n}.html" for n in _notebooks()} <= set(pages)
    assert {"index.html", "claims.html", "gallery.html", "search.html"} <= set(pages)
    ids: dict[str, set] = {}

    def ids_of(rel):
        if rel not in ids:
            parser = _Ids()
            parser.feed((out / rel).read_text(encoding="utf-8"))
            ids[rel] = parser.ids
        return ids[rel]

    links = set()
    for rel in pages:
        browser.get(f"{base}/{rel}")
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, f"{rel}: console errors {errors}"
        width = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{rel} scrolls horizontally at {width[1]} px: content is {width[0]} px wide"
        # one script call per page for every image and link (a WebDriver round trip per element took seconds)
        images, hrefs = browser.execute_script(
            "return [Array.from(document.images).map(i => [i.getAttribute('alt') || '', i.getAttribute('src')]),"
            " Array.from(document.querySelectorAll('a[href]')).map(a => a.href)]")
        for alt, src in images:
            alt = alt.strip()
            assert alt and not alt.endswith((".png", ".svg")), f"{rel}: image without alt text {src}"
        links.update(h for h in hrefs if h.startswith(base))
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


def test_landing_page_counts_chart_and_notebooks(served_site, browser, shots):
    from selenium.webdriver.common.by import By

    _, base = served_site
    browser.get(base + "/index.html")
    assert "Recalcul" in browser.title
    board = _board()
    assert browser.find_element(By.ID, "summary").text.startswith(f"{len(board)} claims")
    counts = board["status"].value_counts()
    for status in ["reproduced", "close", "differs", "proxy", "not reproducible", "pending"]:
        li = browser.find_element(By.ID, "count-" + status.replace(" ", "-")).text
        assert li == f"{status}: {counts.get(status, 0)}", li
    chart = browser.find_element(By.CSS_SELECTOR, "article img[src*='00_scoreboard_by_theme']")
    assert browser.execute_script("return arguments[0].naturalWidth", chart) > 300
    listed = {a.get_attribute("href").rsplit("/", 1)[1].removesuffix(".html")
              for a in browser.find_elements(By.CSS_SELECTOR, "#notebooks a")}
    assert listed == set(_notebooks())
    nav = {a.get_attribute("href").rsplit("/", 1)[1] for a in browser.find_elements(By.CSS_SELECTOR, "nav.bd-links a")}
    assert {"claims.html", "gallery.html"} | {f"{n}.html" for n in _notebooks()} <= nav, "sidebar navigation"
    assert browser.find_elements(By.CSS_SELECTOR, "form.bd-search, .search-button-field, [data-bs-target='#pst-search-dialog'], button.search-button")
    shot = shots / "landing.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_claims_explorer_filters_sorts_and_links(served_site, browser, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _, base = served_site
    browser.get(base + "/claims.html")
    board = _board()
    wait = WebDriverWait(browser, 20)
    info = wait.until(lambda b: b.find_element(By.CSS_SELECTOR, ".dt-info").text or None)
    assert f"of {len(board)} entries" in info.replace(",", ""), info
    filters = {i.get_attribute("placeholder"): i for i in browser.find_elements(By.CSS_SELECTOR, ".dt-scroll-head thead input")}
    assert {"theme", "status", "seed", "claim"} <= set(filters), sorted(filters)
    filters["status"].send_keys("differs")
    n = int((board["status"] == "differs").sum())
    assert 0 < n < len(board)
    wait.until(lambda b: f"of {n} entries" in b.find_element(By.CSS_SELECTOR, ".dt-info").text)
    statuses = {td.text for td in browser.find_elements(By.CSS_SELECTOR, "#claims tbody td:nth-child(2)")}
    assert statuses == {"differs"}
    shot = shots / "explorer.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    # sort: a click on the claim column's order icon sorts the filtered rows by claim id
    order = browser.find_elements(By.CSS_SELECTOR, ".dt-scroll-head thead tr:first-child th .dt-column-order")[3]
    for _ in range(2):  # the table starts sorted by theme then claim: two clicks give a descending claim order
        browser.execute_script("arguments[0].click()", order)
    ids = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#claims tbody td:nth-child(4)")]
    assert len(ids) == min(n, 25) and ids == sorted(ids, reverse=True), ids
    links = browser.find_elements(By.CSS_SELECTOR, "#claims tbody td a[href*='notebooks/']")
    assert links and all("#claim-" in a.get_attribute("href") or a.get_attribute("href").endswith(".html") for a in links)
    assert browser.find_elements(By.CSS_SELECTOR, "#claims tbody td a[href*='gallery.html#fig-']")


def test_gallery_shows_every_figure_with_downloads(served_site, browser):
    _, base = served_site
    browser.get(base + "/gallery.html")
    figs = _figures()
    # every card read in one script call (id, visible text, image alt, download links); the images are
    # switched to eager loading, then their decoded widths are read once all have loaded
    cards = browser.execute_script("""
        return Array.from(document.querySelectorAll('#gallery figure')).map(card => {
          const img = card.querySelector('img');
          if (img) { img.loading = 'eager'; }
          return {id: card.id, text: card.innerText, alt: img ? img.getAttribute('alt') || '' : null,
                  downloads: Array.from(card.querySelectorAll('.downloads a')).map(a => [a.innerText.trim(), a.href])};
        });""")
    assert [c["id"] for c in cards] == [f"fig-{r['name']}" for r in figs]
    for card, r in zip(cards, figs):
        assert card["alt"] is not None, f"{card['id']}: no image"
        assert r["title"] in card["alt"] and r["title"] in card["text"] and r["sources"] in card["text"]
        downloads = dict(card["downloads"])
        assert set(downloads) == {"SVG", "PDF", "PNG"}, card["downloads"]
        for c in r["claims"].split():
            assert c in card["text"]
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 20).until(lambda b: b.execute_script(
        "return Array.from(document.querySelectorAll('#gallery img')).every(i => i.complete)"))
    loaded = browser.execute_script(
        "return Array.from(document.querySelectorAll('#gallery img')).map(i => i.complete && i.naturalWidth)")
    assert all(w and w > 300 for w in loaded), loaded


def test_code_cells_are_collapsed(served_site, browser):
    from selenium.webdriver.common.by import By

    _, base = served_site
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{base}/notebooks/{_notebooks()[-1]}.html")
    toggles = WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, "details.hide"))
    assert toggles and not any(t.get_attribute("open") for t in toggles)
    code = browser.find_elements(By.CSS_SELECTOR, "div.cell_input")
    assert code and not any(c.is_displayed() for c in code)
