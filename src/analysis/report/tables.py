"""Result tables in notebooks: text for nbval and for anyone reading the raw output, HTML for JupyterLab and the book.

:func:`show_table` displays a DataFrame as one output with two representations: ``text/plain`` (exactly
``DataFrame.to_string(**kwargs)``, what the notebooks used to print, compared by nbval) and ``text/html`` (the
same table as an HTML table, which JupyterLab and the book render instead of a monospace dump that scrolls
sideways). Outside a Jupyter kernel it prints the text.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["show_table"]

#: Arguments of ``DataFrame.to_string`` that ``DataFrame.to_html`` takes too (the others only shape the text).
_HTML_ARGS = ("columns", "header", "index", "na_rep", "formatters", "float_format", "index_names", "max_rows",
              "max_cols", "show_dimensions", "justify", "col_space")


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def show_table(table: pd.DataFrame | pd.Series, **kwargs) -> None:
    """Show a result table: its text (``table.to_string(**kwargs)``) and, in a notebook, its HTML rendering in
    the same output (``kwargs`` of ``to_string`` that ``to_html`` shares apply to both)."""
    text = table.to_string(**kwargs)
    if not _in_kernel():
        print(text)
        return
    from IPython.display import display

    frame = table.to_frame() if isinstance(table, pd.Series) else table
    html_kwargs = {k: v for k, v in kwargs.items() if k in _HTML_ARGS}
    if isinstance(table, pd.Series):
        html_kwargs.pop("header", None)
    html = frame.to_html(border=0, classes="recalcul-table", **html_kwargs)
    display({"text/plain": text, "text/html": html}, raw=True)
