"""The HTML report opens in headless Chromium, lists every notebook and the scoreboard counts,
and every link resolves (no 404). Needs Debian's chromium and chromium-driver (`make browser` installs them)."""

import functools
import http.server
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from analysis import site

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run", "--disable-component-update", "--disable-sync", "--window-size=1280,2000"]


@pytest.fixture(scope="module")
def served_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    site.build_site(out_dir=out)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
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
    b = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    yield b
    b.quit()


def test_index_lists_notebooks_and_counts_and_links_resolve(served_site, browser, tmp_path):
    from selenium.webdriver.common.by import By

    out, base = served_site
    browser.get(base + "/index.html")
    assert "recomputed" in browser.title
    items = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#notebooks li")]
    assert items and not any("<" in t for t in items), f"notebook titles must be plain text: {items}"
    listed = {a.text for a in browser.find_elements(By.CSS_SELECTOR, "#notebooks a")}
    expected = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert listed == expected

    board = pd.read_csv(ROOT / "results" / "scoreboard.csv", dtype=str, keep_default_na=False)
    summary = browser.find_element(By.ID, "summary").text
    assert summary.startswith(f"{len(board)} claims")
    for status, n in board["status"].value_counts().items():
        assert f"{status}: {n}" in summary

    hrefs = sorted({a.get_attribute("href") for a in browser.find_elements(By.TAG_NAME, "a")})
    assert len(hrefs) > len(expected)
    for href in hrefs:
        page = href.split("#")[0]
        try:
            with urllib.request.urlopen(page) as resp:
                assert resp.status == 200, href
        except urllib.error.HTTPError as err:
            raise AssertionError(f"broken link {href}: {err.code}") from None
        if "#claim-" in href:
            browser.get(href)
            anchor = href.split("#")[1]
            assert browser.find_elements(By.ID, anchor), f"anchor missing: {href}"
    browser.get(base + "/index.html")
    shot = tmp_path / "site.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
