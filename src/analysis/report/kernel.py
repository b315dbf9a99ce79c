"""A fresh IPython kernel for one notebook, on Unix sockets of its own.

Every notebook this package executes (the runner, a profile, a what-if run) goes through
:func:`notebook_client`: nbclient's ``NotebookClient`` as it is, given a kernel manager whose kernel
talks over Unix domain sockets in a private temporary folder (``transport="ipc"``) instead of TCP
ports on 127.0.0.1. With TCP, jupyter_client picks five free ports, closes them and hands them to the
kernel, which binds them a fraction of a second later: kernels started at the same time by several
processes (``make test``'s workers, ``make notebooks -j 2``) can pick the same port, and one of them
dies with ``ZMQError: Address already in use`` ("Kernel died before replying to kernel_info",
jupyter_client issue 154). Sockets named inside a folder that only this kernel uses cannot collide.
Windows has no ``ipc`` transport: there the kernel uses TCP as before.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nbclient import NotebookClient
from traitlets.config import Config

#: Kernel options: log errors only (not ipykernel's warning, at every start on TCP, that its sockets
#: are not encrypted).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]


@contextmanager
def notebook_client(nb, folder: Path, *, timeout: int = 600, **options) -> Iterator[NotebookClient]:
    """An nbclient ``NotebookClient`` that executes ``nb`` on a fresh ``python3`` kernel whose working
    folder is ``folder``, killed once the last cell has run (``shutdown_kernel="immediate"``);
    ``options`` go to ``NotebookClient`` (e.g. ``record_timing``). Use it as a context manager: the
    kernel's socket folder is removed on exit."""
    with tempfile.TemporaryDirectory(prefix="analysis-kernel-") as sockets:
        # the client creates its kernel manager from this configuration, so that it owns it and shuts the
        # kernel down at the end (a manager passed in as ``km=`` is left running)
        config = Config() if os.name == "nt" else Config(
            {"KernelManager": {"transport": "ipc", "ip": os.path.join(sockets, "kernel")}})
        yield NotebookClient(nb, kernel_name="python3", timeout=timeout, shutdown_kernel="immediate",
                             extra_arguments=KERNEL_ARGUMENTS, resources={"metadata": {"path": str(folder)}},
                             config=config, **options)
