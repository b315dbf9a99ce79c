"""Fresh IPython kernels forked from a process that has already imported the scientific stack.

Every notebook runs on a fresh kernel, and a fresh kernel spends about 2.5 s before its first
line of analysis: starting Python and ipykernel (about 0.8 s), then importing matplotlib, pandas,
geopandas, scipy and :mod:`analysis` (about 1.5 s). Nine notebooks pay that nine times.

A *zygote* (:class:`Zygote`) is one process that imports these modules once and then waits. Each
kernel the runner asks for is a ``fork()`` of it that starts ``ipykernel`` with the runner's
connection file, working directory and environment. The child has no user namespace, no
executed cell and no figure: only modules that were imported, with the state importing them
gives, and the per-process tables :mod:`analysis.run.warm` built (the area resolver, the parsed tables
and employment cells most notebooks read: the same functions on the same verified files). It is the
same fresh kernel, minus the import time and that first work. A kernel started with other data
folders than the zygote's forgets those tables first.

The runner's kernel manager sees an ordinary kernel process: the kernel spec's command is
``python -m analysis.run.kernel_fork launch -f {connection_file}`` (:func:`kernel_spec`), a small
launcher that asks the zygote for a fork over a Unix socket, forwards interrupt and terminate
signals to the forked kernel and exits with its exit status. When the launcher is killed (the
runner's immediate shutdown), the zygote kills the kernel; when the runner goes away, the zygote
ends with its kernels.

Linux only (``fork`` after imports); elsewhere, or with ``ANALYSIS_FORK_KERNELS=0``, callers use
ordinary kernels (:func:`enabled`).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Modules the zygote imports before forking (what the notebooks' first cells import, and what ipykernel
#: imports as a kernel starts: its debugger and IPython's history, 150 modules and 0.2 s per kernel).
#: matplotlib's backend is not loaded: the kernel loads the inline backend at its first figure, as usual.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.debugger", "IPython.core.history", "numpy", "pandas", "matplotlib",
           "matplotlib.pyplot", "geopandas", "shapely", "scipy.special", "pyarrow", "analysis.geo.areas",
           "analysis.methods.dynamics", "analysis.report.claims", "analysis.report.figures", "analysis.methods.cells", "analysis.report.charts",
           "analysis.report.profile",
           "analysis.methods.multiplier", "analysis.methods.energy", "analysis.methods.instruments", "analysis.methods.pole",
           "analysis.data.official", "analysis.methods.official_panels", "analysis.methods.emitters", "analysis.methods.longrun",
           "analysis.methods.unemployment", "analysis.methods.shiftshare")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Module whose ``warm()`` the zygote calls after the imports (tables most notebooks build first, see
#: :mod:`analysis.run.warm`); a kernel whose environment chooses other data (``same_data(zygote's, kernel's)``
#: false) calls its ``forget()`` before starting.
WARM = "analysis.run.warm"


def enabled() -> bool:
    """Whether kernels should be forked: Linux and ``ANALYSIS_FORK_KERNELS`` not ``0``."""
    return sys.platform.startswith("linux") and os.environ.get("ANALYSIS_FORK_KERNELS", "1").strip() != "0"


def kernel_spec(socket_path: str):
    """A kernel spec whose kernels are forked by the zygote listening on ``socket_path``."""
    from jupyter_client.kernelspec import KernelSpec

    return KernelSpec(argv=[sys.executable, "-m", "analysis.run.kernel_fork", "launch", "--socket", socket_path,
                            "-f", "{connection_file}"],
                      display_name="Python 3 (forked)", language="python",
                      metadata={"debugger": False}, interrupt_mode="signal")


def manager_class(socket_path: str | None = None):
    """A kernel manager class (for ``NotebookClient(kernel_manager_class=...)``) that waits for its kernels
    as :func:`quick_manager`. With ``socket_path``, the kernels are forked by the zygote listening there;
    with ``None``, they are ordinary kernels."""
    from jupyter_client.manager import AsyncKernelManager

    if socket_path is None:
        return quick_manager(AsyncKernelManager)
    spec = kernel_spec(socket_path)

    class ForkedKernelManager(quick_manager(AsyncKernelManager)):
        @property
        def kernel_spec(self):
            return spec

    return ForkedKernelManager


#: Seconds between two checks that a killed kernel is gone (jupyter_client waits 0.1 s).
EXIT_POLL_S = 0.005


def quick_manager(base):
    """A subclass of the jupyter_client kernel manager class ``base`` (``KernelManager`` or
    ``AsyncKernelManager``) without jupyter_client's idle waits at each kernel's start and end.

    - Start: jupyter_client's ``wait_for_ready`` gets the reply to a ``kernel_info`` request and one
      IOPub message, then reads IOPub until it stays silent for 0.2 s. Here the client is ready as soon
      as the reply and the request's ``idle`` status on IOPub have come (the status shows IOPub is
      connected); a request whose status does not come within 0.2 s is sent again (IOPub not subscribed
      yet), as jupyter_client does.
    - End: after killing the kernel, jupyter_client checks every 0.1 s whether it is gone; here every
      :data:`EXIT_POLL_S` s.

    About 0.3 s of waiting per kernel, as long as forking the kernel takes.
    """
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.blocking import BlockingKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync
    from traitlets import Type

    asynchronous = issubclass(base, AsyncKernelManager)
    client = AsyncKernelClient if asynchronous else BlockingKernelClient
    ready = _wait_for_ready if asynchronous else run_sync(_wait_for_ready)
    client = type("Ready" + client.__name__, (client,), {"wait_for_ready": ready, "__module__": __name__})

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await base._async_wait(self, pollinterval=min(pollinterval, EXIT_POLL_S))

    return type("Quick" + base.__name__, (base,), {"client_factory": Type(klass=client), "_async_wait": _async_wait,
                                                   "__module__": __name__})


async def _wait_for_ready(client, timeout: float | None = None) -> None:
    """The ``wait_for_ready`` of :func:`quick_manager`'s clients: ``RuntimeError`` if the kernel dies
    or does not answer within ``timeout`` seconds, as jupyter_client's."""
    from queue import Empty

    from jupyter_client.utils import ensure_async

    deadline = time.monotonic() + (float("inf") if timeout is None else timeout)

    async def until(channel, seconds, wanted):
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await ensure_async(channel.get_msg(timeout=left))
            except Empty:
                return None
            if msg["parent_header"].get("msg_id") == msg_id and wanted(msg):
                return msg
        return None

    while True:
        msg_id = client.kernel_info()
        reply = await until(client.shell_channel, 1, lambda m: m["msg_type"] == "kernel_info_reply")
        if reply is not None and await until(client.iopub_channel, 0.2, lambda m: (
                m["msg_type"] == "status" and m["content"].get("execution_state") == "idle")):
            client._handle_kernel_info_reply(reply)
            return
        if not await client._async_is_alive():
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class Zygote:
    """Start the zygote process (context manager); :attr:`socket_path` is where it listens.

    ``preload``: the modules it imports (default :data:`PRELOAD`, read when the zygote starts);
    ``warm``: the module whose ``warm()`` it then calls (default :data:`WARM`; ``""``: none). Its
    environment is this process's: start it with the environment the kernels should have.
    """

    def __init__(self, preload: tuple[str, ...] | None = None, warm: str | None = None):
        self.preload = PRELOAD if preload is None else preload
        self.warm = WARM if warm is None else warm
        self._dir = tempfile.mkdtemp(prefix="analysis-zygote-")
        self.socket_path = os.path.join(self._dir, "zygote.sock")
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Zygote":
        self.start()
        self.wait_ready()
        return self

    def start(self) -> None:
        """Start the zygote process and return at once (:meth:`wait_ready` waits for its imports)."""
        env = dict(os.environ)
        env.setdefault("MPLBACKEND", INLINE_BACKEND)  # what ipykernel would set, read by matplotlib at import
        ready_r, ready_w = os.pipe()
        # the kernels inherit the zygote's stdout and stderr (this process's); "ready" comes on a pipe
        self.proc = subprocess.Popen([sys.executable, "-m", "analysis.run.kernel_fork", "serve", "--socket",
                                      self.socket_path, "--preload", ",".join(self.preload), "--warm", self.warm,
                                      "--ready-fd", str(ready_w)],
                                     stdin=subprocess.PIPE, pass_fds=(ready_w,), env=env)
        os.close(ready_w)
        self._ready = os.fdopen(ready_r, "rb")

    def wait_ready(self) -> None:
        """Wait until the zygote has done its imports and listens; ``RuntimeError`` (and the zygote
        ended) if it failed."""
        with self._ready as ready:
            line = ready.readline()  # "ready" once the imports are done
        if line.strip() != b"ready":
            self.__exit__(None, None, None)
            raise RuntimeError(f"the kernel zygote did not start (it printed {line!r}); "
                               "set ANALYSIS_FORK_KERNELS=0 to use ordinary kernels")

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()  # the zygote ends, killing any kernel still alive
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with contextlib.suppress(OSError):
            os.unlink(self.socket_path)
        with contextlib.suppress(OSError):
            os.rmdir(self._dir)


# --- the zygote -------------------------------------------------------------------------------------

def _serve(socket_path: str, preload: list[str], ready_fd: int, warm: str = "") -> int:
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]  # as ipykernel_launcher does
    import importlib

    # ipykernel's debugger imports debugpy, which warns on stderr that frozen modules may hide breakpoints;
    # these kernels are not debugged (kernel_spec: debugger False), and ipykernel's own kernel spec sets
    # this variable to the same end
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for name in preload:
        importlib.import_module(name)
    warm_module = None
    if warm:
        try:
            warm_module = importlib.import_module(warm)
            warm_module.warm()
        except Exception as err:  # noqa: BLE001 - the kernels then build the tables themselves
            print(f"kernel zygote: {warm}.warm() failed ({err.__class__.__name__}: {err}); each kernel builds "
                  "its own tables", file=sys.stderr)
            if warm_module is not None:
                warm_module.forget()
    zygote_env = dict(os.environ)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(64)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: None)  # handled as a wake-up: the loop ends
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "accept")
    sel.register(sys.stdin.fileno(), selectors.EVENT_READ, "parent")
    sel.register(wake_r, selectors.EVENT_READ, "signal")
    children: dict[int, socket.socket] = {}  # kernel pid -> its launcher's connection
    os.write(ready_fd, b"ready\n")
    os.close(ready_fd)
    running = True
    while running:
        for key, _ in sel.select():
            if key.data == "accept":
                conn, _ = listener.accept()
                request = _read_line(conn)
                if request is None:
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:  # the kernel
                    _become_kernel(json.loads(request), keep=conn, close=[listener, wake_r, wake_w,
                                                                          *children.values()],
                                   warm=warm_module, zygote_env=zygote_env)
                children[pid] = conn
                conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
                sel.register(conn, selectors.EVENT_READ, ("launcher", pid))
            elif key.data == "parent":
                if not os.read(sys.stdin.fileno(), 4096):
                    running = False
            elif key.data == "signal":
                signals = os.read(wake_r, 4096)
                if signal.SIGTERM in signals:
                    running = False
                _reap(children, sel)
            else:  # a launcher hung up: its kernel goes with it
                _, pid = key.data
                with contextlib.suppress(OSError):
                    if not key.fileobj.recv(4096):
                        sel.unregister(key.fileobj)
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
        _reap(children, sel)
    for pid in list(children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while children and time.monotonic() < deadline:
        _reap(children, sel)
        time.sleep(0.01)
    listener.close()
    return 0


def _read_line(conn: socket.socket) -> bytes | None:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buf += chunk
    return buf


def _reap(children: dict[int, socket.socket], sel: selectors.BaseSelector) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is None:
            continue
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        with contextlib.suppress(KeyError, ValueError):
            sel.unregister(conn)
        conn.close()


def _become_kernel(request: dict, keep: socket.socket, close: list, warm=None, zygote_env: dict | None = None) -> None:
    """In the forked child: become ``python -m ipykernel_launcher <argv>`` in the launcher's
    working directory and environment (forgetting the zygote's warm tables if that environment
    chooses other data). Never returns."""
    code = 1
    try:
        for obj in close:
            with contextlib.suppress(OSError):
                obj.close() if hasattr(obj, "close") else os.close(obj)
        keep.close()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # not the zygote's stdin (the runner's pipe)
        os.close(devnull)
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL if sig != signal.SIGINT else signal.default_int_handler)
        os.setsid()
        os.chdir(request["cwd"])
        env = dict(request["env"])
        env["JPY_PARENT_PID"] = str(os.getppid())  # the zygote: ipykernel exits if it goes away
        os.environ.clear()
        os.environ.update(env)
        if warm is not None and not warm.same_data(zygote_env or {}, env):
            warm.forget()
        # the trait's default was read from the environment when the zygote imported ipykernel
        sys.argv = [sys.executable, *request["argv"], f"--IPKernelApp.parent_handle={env['JPY_PARENT_PID']}"]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else (0 if err.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported on stderr, the kernel exits
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


# --- the launcher (the process the kernel manager starts) --------------------------------------------

def _launch(socket_path: str, argv: list[str]) -> int:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(socket_path)
    except OSError as err:
        print(f"error: no kernel zygote at {socket_path} ({err}); set ANALYSIS_FORK_KERNELS=0 to use "
              "ordinary kernels", file=sys.stderr)
        return 2
    conn.sendall(json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode() + b"\n")
    reader = conn.makefile("rb")
    first = reader.readline()
    if not first:
        return 1
    pid = json.loads(first)["pid"]
    pid_file = _pid_file(argv)
    if pid_file is not None:
        with contextlib.suppress(OSError):
            pid_file.write_text(str(pid))

    def forward(signum, _frame):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)
    while True:
        line = reader.readline()  # a forwarded signal does not interrupt it (PEP 475)
        if not line or "exit" in (message := json.loads(line)):
            if pid_file is not None:
                with contextlib.suppress(OSError):
                    pid_file.unlink()
            if not line:
                return 1
            code = message["exit"]
            return code if code >= 0 else 128 - code


def _pid_file(argv: list[str]) -> Path | None:
    """``<connection file>.kernel-pid``: where the launcher writes the forked kernel's pid
    (:func:`kernel_pid` reads it)."""
    if "-f" in argv and argv.index("-f") + 1 < len(argv):
        return Path(argv[argv.index("-f") + 1] + ".kernel-pid")
    return None


def kernel_pid(connection_file: str) -> int | None:
    """The pid of the kernel forked for ``connection_file``, or ``None`` (not forked, or gone)."""
    try:
        return int(Path(connection_file + ".kernel-pid").read_text())
    except (OSError, ValueError):
        return None


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m analysis.run.kernel_fork")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--socket", required=True)
    serve.add_argument("--preload", default=",".join(PRELOAD))
    serve.add_argument("--ready-fd", type=int, required=True)
    serve.add_argument("--warm", default="")
    launch = sub.add_parser("launch")
    launch.add_argument("--socket", required=True)
    args, rest = parser.parse_known_args(argv)
    if args.command == "serve":
        code = _serve(args.socket, [m for m in args.preload.split(",") if m], args.ready_fd, args.warm)
        # its kernels are gone and it wrote nothing to keep: the zygote ends without tearing down its
        # interpreter (freeing the preloaded stack and the warm tables took about 0.5 s, which its parent waits)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return _launch(args.socket, rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
