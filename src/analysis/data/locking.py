"""Safe concurrent updates of the project's shared CSV files.

Notebooks executed in parallel (``make notebooks``, ``make test`` with pytest-xdist) all update
``results/claims_results.csv`` (:func:`analysis.report.claims.record`) and ``figures/index.csv``
(:func:`analysis.report.figures.save_figure`). Each update is a read-modify-write, so two kernels
writing at the same moment would lose one of the rows. :func:`locked` serialises them with an
exclusive advisory lock on a sibling ``<file>.lock`` (POSIX ``flock``; the lock is released by the
operating system if the process dies), and :func:`replace_text` writes through a temporary file
and an atomic rename, so a reader never sees a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

try:  # POSIX (Linux, macOS): the platforms `make` targets
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking, sequential runs only
    fcntl = None


@contextlib.contextmanager
def locked(path: Path | str) -> Iterator[None]:
    """Hold an exclusive lock for updating ``path`` (blocks until other holders release it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def replace_text(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    replace_bytes(path, text.encode("utf-8"))


def replace_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
