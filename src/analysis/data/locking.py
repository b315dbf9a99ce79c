"""Safe concurrent updates of the project's shared CSV files.

Notebooks executed in parallel (``make notebooks``, ``make test`` with pytest-xdist) all update
``results/claims_results.csv`` (:func:`analysis.report.claims.record`) and ``figures/index.csv``
(:func:`analysis.report.figures.save_figure`). Each update is a read-modify-write, so two kernels
writing at the same moment would lose one of the rows. :func:`locked` serialises them with an
exclusive advisory lock on a sibling ``<file>.lock`` (POSIX ``flock``; the lock is released by the
operating system if the process dies), and :func:`replace_text` writes through a temporary file
and an atomic rename, so a reader never sees a half-written file. :func:`replacing` does the same
for writers that want a path (``fig.savefig(tmp)``, ``df.to_csv(tmp)``) and
:func:`replace_tree` for a folder (a profile's figures).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
import shutil
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
    with replacing(path) as tmp:
        tmp.write_bytes(data)


@contextlib.contextmanager
def replacing(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder; on success it replaces ``path`` atomically, on
    failure (or Ctrl-C) it is removed and ``path`` is left as it was.

    ``with replacing(out / "scoreboard.csv") as tmp: board.to_csv(tmp)``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def replace_file(source: Path | str, path: Path | str) -> None:
    """Move the file ``source`` (possibly on another file system) to ``path`` atomically: copied
    beside ``path`` first, then renamed over it."""
    with replacing(path) as tmp:
        shutil.copyfile(source, tmp)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(source)


def replace_tree(source: Path | str, path: Path | str) -> None:
    """Put the folder ``source`` at ``path``: copied beside it first, then swapped in with two renames
    (the old folder aside, the new one in place), so ``path`` is always either the old folder or the
    new one, complete; the old one is then removed."""
    source, path = Path(source), Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    old = None
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it 0o700
        shutil.copytree(source, staging, dirs_exist_ok=True)
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
            os.rmdir(old)
            os.rename(path, old)
        os.rename(staging, path)
    except BaseException:
        if old is not None and not path.exists():
            os.rename(old, path)
            old = None
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(source, ignore_errors=True)


def remove_all_but(root: Path, keep: set, spare=lambda path: False) -> list[Path]:
    """Delete every file under ``root`` that is not in ``keep`` and that ``spare(path)`` does not protect, then
    the folders left empty (cache housekeeping). Returns the removed files, sorted."""
    removed = []
    for path in sorted(Path(root).rglob("*")):
        if path.is_file() and path not in keep and not spare(path):
            path.unlink()
            removed.append(path)
    for folder in sorted((p for p in Path(root).rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return removed
