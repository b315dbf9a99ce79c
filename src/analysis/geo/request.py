"""A territory request, as the command line and the Python API take it, resolved once at the entry.

``recalcul profile --ti ti-0401`` | ``--ti ti-5209 --wave 2018`` | ``--epci 244400644`` |
``--ze 5219`` | ``--dep 63`` | ``--reg 84`` | ``--commune 63113`` (several codes
comma-separated; a bare 'ti-RRNN' is accepted too) and ``make profile TI=... WAVE=...`` are
parsed by :func:`parse_request` and checked by :func:`check_request`, which is
:func:`analysis.geo.areas.resolve` with the same refusals for every entry point: the level,
the wave and the code formats are checked before any table is read, then the codes are
looked up. The resulting :class:`analysis.geo.areas.Area` is passed down; nothing below
resolves the request again.

This module imports only :mod:`analysis.geo.areas` (pandas and the loaders), not the
plotting stack, so that a request that cannot be served is refused in about a second.
"""

from __future__ import annotations

import sys

from analysis.geo import areas as geography

__all__ = ["REQUEST_LEVELS", "EXAMPLES", "profile_slug", "check_request", "parse_request"]

#: Command-line options (``recalcul profile --ti ...``) -> area level.
REQUEST_LEVELS = {"ti": "ti", "epci": "epci", "ze": "ze2020", "dep": "dep", "reg": "reg", "commune": "commune"}
EXAMPLES = "TI=ti-0401, TI=ti-5209 WAVE=2018, EPCI=244400644, ZE=5219, DEP=63, REG=84, COMMUNE=63113"


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
    geography._normalise_codes(lv, codes)  # format errors need no table (the hint of a wrong kind of code reads some)
    return geography.resolve(lv, codes, wave=wave)


def parse_request(argv: list[str]) -> tuple[str, list[str], str | None]:
    """``--ti ID [--wave 2018]`` | ``--epci SIREN`` | ``--ze CODE`` | ``--dep CODE`` | ``--reg`` |
    ``--commune``; several codes comma-separated or the option repeated (``--commune 63113 --commune 63014``
    is a list of two communes); a bare 'ti-RRNN' is accepted too. Two different waves are refused."""
    opts: dict[str, str] = {}
    wave = None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a.startswith("--") and a[2:].lower() in REQUEST_LEVELS | {"wave": "wave"}:
            if not args:
                raise geography.UnknownAreaError(f"{a} needs a value; examples: {EXAMPLES}")
            v = args.pop(0).strip()
            if a[2:].lower() == "wave":
                if v and wave and v != wave:
                    raise geography.UnknownAreaError(f"two waves given ({wave!r} and {v!r}): give --wave once")
                wave = v or wave
            elif v:
                level = REQUEST_LEVELS[a[2:].lower()]
                opts[level] = f"{opts[level]},{v}" if level in opts else v
        elif a.lower().startswith("ti-"):
            opts["ti"] = f"{opts['ti']},{a}" if "ti" in opts else a
        else:
            raise geography.UnknownAreaError(f"unknown argument {a!r}; give one of TI=, EPCI=, ZE=, DEP=, REG=, COMMUNE=; examples: {EXAMPLES}")
    if len(opts) != 1:
        raise geography.UnknownAreaError(
            f"give exactly one territory ({'none' if not opts else 'got ' + ', '.join(opts)}); examples: {EXAMPLES}")
    (level, value), = opts.items()
    return level, [c for c in value.split(",") if c.strip()], wave
