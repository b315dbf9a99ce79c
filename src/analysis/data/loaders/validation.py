"""Validation data: public files used only to check the project's methods against reference software.

One function per file of ``shared/data/validation`` (registry keys = file stems). These tables
feed tests, never the notebooks' results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.cache import parsed
from analysis.data.validate import SchemaError
from analysis.data.validate import source_name as _src

SHIFTSHARESE_ADH = "shiftsharese_adh"
#: Prefix of the share columns in :func:`load_shiftsharese_adh`: ``share_<column number>_sic_<code>``.
ADH_SHARE_PREFIX = "share_"


@parsed(SHIFTSHARESE_ADH, 1)
def load_shiftsharese_adh(path) -> pd.DataFrame:
    """Autor, Dorn & Hanson (2013) China-shock data as shipped by the R package ShiftShareSE.

    Source: ``data/ADH.rda`` of github.com/kolesarm/ShiftShareSE (an R list ``ADH`` with ``reg``,
    ``W`` and ``sic``), read with ``rdata``.

    Geography: 722 US commuting zones x 2 periods (1990-2000, 2000-2007) = 1,444 rows, in the
    package's order. Units as in ADH: changes in employment shares in percentage points
    (``d_sh_empl``, ``d_sh_empl_mfg``, ``d_sh_empl_nmfg``), trade exposure per worker in
    thousand 2007 USD (``shock``: US imports from China; ``IV``: other rich countries' imports,
    the shift-share instrument), ``weights`` (start-of-period population share), ``statefip``
    (state FIPS code, string), ``division`` (census division, string '1'..'9'), ``t2`` (second
    period dummy, 0/1 float) and the ADH controls (``l_*``).

    The shares ``W`` (1,444 x 770: each commuting zone's start-of-period employment share in
    4-digit SIC manufacturing industries, one column per industry x period, so a SIC code appears
    twice; rows sum to the manufacturing share) are the columns ``share_<j>_sic_<code>`` (``j`` =
    the column number, 000-769); :func:`adh_arrays` splits them back out.
    """
    import rdata

    source = _src(SHIFTSHARESE_ADH)
    try:
        adh = rdata.conversion.convert(rdata.parser.parse_file(path))["ADH"]
    except Exception as err:  # noqa: BLE001 - any parse failure gets one message naming the file
        raise SchemaError(f"{source}: cannot read the R list 'ADH' with rdata ({err.__class__.__name__}: {err})") from err
    missing = [k for k in ("reg", "W", "sic") if k not in adh]
    if missing:
        raise SchemaError(f"{source}: the list ADH lacks {missing}")
    reg = pd.DataFrame(adh["reg"]).reset_index(drop=True)
    W = np.asarray(adh["W"], dtype=float)
    sic = np.asarray(adh["sic"]).astype(int)
    if W.shape != (len(reg), len(sic)):
        raise SchemaError(f"{source}: W is {W.shape}, expected {len(reg)} x {len(sic)}")
    need = ["d_sh_empl", "d_sh_empl_mfg", "shock", "IV", "weights", "statefip", "division", "t2"]
    absent = [c for c in need if c not in reg.columns]
    if absent:
        raise SchemaError(f"{source}: ADH$reg lacks column(s) {absent}")
    out = reg.copy()
    for c in ("statefip", "division"):
        col = out[c]
        if pd.api.types.is_numeric_dtype(col):
            col = col.astype(float).astype(int)
        out[c] = col.astype(str)
    out["t2"] = out["t2"].astype(float)
    for c in out.columns:
        if c not in ("statefip", "division") and not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype(str)
    shares = pd.DataFrame(W, columns=[f"{ADH_SHARE_PREFIX}{j:03d}_sic_{s}" for j, s in enumerate(sic)])
    out = pd.concat([out, shares], axis=1)
    if len(out) != 1444:
        raise SchemaError(f"{source}: {len(out)} rows, expected 1,444 (722 commuting zones x 2 periods)")
    return out


def adh_arrays(adh: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Split :func:`load_shiftsharese_adh` into ``reg`` (regional variables), ``W`` (shares,
    columns ``share_<j>_sic_<code>``) and ``sic`` (the 770 codes, in column order)."""
    cols = [c for c in adh.columns if c.startswith(ADH_SHARE_PREFIX)]
    sic = np.array([int(c.rsplit("_", 1)[1]) for c in cols])
    W = adh[cols]
    return adh.drop(columns=cols), W, sic
