"""Sphinx configuration of the Recalcul book (``make site``; :mod:`analysis.report.site` writes the pages).

Sphinx + MyST-NB + sphinx-book-theme: pure-Python packages pinned in ``constraints.txt``, so the
book builds offline from the committed, executed notebooks (``nb_execution_mode = "off"``: nothing
is re-executed). Search is Sphinx's own client-side index.
"""

project = "Recalcul"
author = "Recalcul contributors"
copyright = "2026, Recalcul contributors (code MIT; data: see each figure's sources)"
language = "en"

extensions = ["myst_nb"]
nb_execution_mode = "off"          # the committed outputs are the results
nb_merge_streams = True
myst_enable_extensions = ["colon_fence"]
# numbered notebooks start their sections at H2 after a H1 title; other helpers' notebooks may not
suppress_warnings = ["myst.header", "misc.highlighting_failure", "toc.not_included"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

html_theme = "sphinx_book_theme"
html_title = "Recalcul"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"
html_css_files = ["recalcul.css"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
    # the explorer and the gallery use the whole width (no in-page table of contents on the right)
    "secondary_sidebar_items": {"index": [], "claims": [], "gallery": [], "atlas": [], "atlas/ti2023/ti-page-template": [], "**": ["page-toc"]},
}
# without a default mode a first visit logs "Got invalid theme mode" (a console error)
html_context = {"default_mode": "light"}
