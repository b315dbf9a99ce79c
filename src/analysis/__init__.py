"""Recompute the statistics cited in French re-industrialisation reports from public data.

Layers (dependencies run one way, top to bottom):

- notebooks
- ``multiplier``, ``dynamics``, ``energy``, ``claims``, ``figures`` (methods, comparison, style)
- ``geography`` (crosswalks between communes, EPCI, zones d'emploi, Territoires d'industrie)
- ``loaders`` (one function per public file, tidy validated DataFrames)
- ``registry`` and ``cache`` (hashed access to the public files, parsed-table cache)
"""

__version__ = "0.1.0"

import warnings as _warnings

# papermill (profiles) brings tqdm, which pooch then imports as tqdm.auto: in a Jupyter kernel without
# ipywidgets that prints a TqdmWarning into the first cell of every notebook. Downloads need no progress bar.
_warnings.filterwarnings("ignore", message="IProgress not found", module="tqdm")
