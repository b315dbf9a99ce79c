"""A profile request (``make profile TI=... | EPCI=... | ZE=... | DEP=...``), checked before any work.

This module imports only :mod:`analysis.geo.areas` (pandas and the loaders), not the plotting
and statistics stack of :mod:`analysis.report.profile`, so that a request that cannot be rendered is
refused in one line within about a second: the level, the wave and the code formats are
checked first without reading any table, then the codes are looked up in the resolved tables
(:func:`analysis.geo.areas.resolve`). Only a valid request imports :mod:`analysis.report.profile`
and renders the neutral notebook 06.

``python -m analysis.report.profile_request --ti ti-0401`` | ``--ti ti-5209 --wave 2018`` |
``--epci 244400644`` | ``--ze 5219`` | ``--dep 63`` (also ``--reg``, ``--commune``; several
codes comma-separated). ``python -m analysis.report.profile`` accepts the same arguments.
"""

from __future__ import annotations

import sys

from analysis.geo import areas as geography

__all__ = ["REQUEST_LEVELS", "EXAMPLES", "profile_slug", "check_request", "main"]

#: Command-line options of ``python -m analysis.report.profile`` -> area level.
REQUEST_LEVELS = {"ti": "ti", "epci": "epci", "ze": "ze2020", "dep": "dep", "reg": "reg", "commune": "commune"}
EXAMPLES = "TI=ti-0401, TI=ti-5209 WAVE=2018, EPCI=244400644, ZE=5219, DEP=63"


def profile_slug(area: geography.Area) -> str:
    """File stem of a rendered profile: 'ti-5214_2023-2027', 'epci-244400644', 'ze2020-5219', 'dep-63'."""
    code = "+".join(area.codes) if len(area.codes) <= 3 else f"{area.codes[0]}+{len(area.codes) - 1}"
    if area.level == "ti":
        return f"{code}_{area.wave}"
    return f"{area.level}-{code}"


def check_request(level: str, codes, wave=None) -> geography.Area:
    """Resolve a profile request, refusing what the profile cannot render (before any work).

    The level, the wave and the code formats are checked before any table is read; then the
    codes are resolved (:func:`analysis.geo.areas.resolve`). Raises
    :class:`analysis.geo.areas.UnknownAreaError` (unknown level, code or wave, empty request)
    with the valid forms."""
    lv = geography.normalise_level(level)
    if wave is not None and lv != "ti":
        raise geography.UnknownAreaError(f"WAVE applies only to a Territoire d'industrie (TI=...); examples: {EXAMPLES}")
    if wave is not None:
        geography.normalise_wave(wave)
    geography.normalise_codes(lv, codes)  # format errors need no table
    return geography.resolve(lv, codes, wave=wave)


def _parse(argv: list[str]) -> tuple[str, list[str], str | None]:
    """``--ti ID [--wave 2018]`` | ``--epci SIREN`` | ``--ze CODE`` | ``--dep CODE`` | ``--reg`` |
    ``--commune``; several codes comma-separated; a bare 'ti-RRNN' is accepted too."""
    opts, wave = {}, None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a.startswith("--") and a[2:].lower() in REQUEST_LEVELS | {"wave": "wave"}:
            if not args:
                raise geography.UnknownAreaError(f"{a} needs a value; examples: {EXAMPLES}")
            v = args.pop(0).strip()
            if a[2:].lower() == "wave":
                wave = v or None
            elif v:
                opts[REQUEST_LEVELS[a[2:].lower()]] = v
        elif a.lower().startswith("ti-"):
            opts["ti"] = a
        else:
            raise geography.UnknownAreaError(f"unknown argument {a!r}; give one of TI=, EPCI=, ZE=, DEP=; examples: {EXAMPLES}")
    if len(opts) != 1:
        raise geography.UnknownAreaError(
            f"give exactly one territory ({'none' if not opts else 'got ' + ', '.join(opts)}); examples: make profile {EXAMPLES}")
    (level, value), = opts.items()
    return level, [c for c in value.split(",") if c.strip()], wave


def main(argv: list[str]) -> int:
    """Check the request (exit 2 with one line on stderr if refused), then render it."""
    try:
        level, codes, wave = _parse(argv)
        area = check_request(level, codes, wave)
    except geography.UnknownAreaError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"rendering the profile of {area.describe()} ...", flush=True)
    from analysis.report import profile  # the plotting stack, only for a valid request

    written = profile.render(area)
    for kind, path in written.items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
