"""Kernels forked from a zygote (analysis.run.kernel_fork) behave as fresh kernels and leave nothing behind."""

import os
import sys
import time

import nbformat
import psutil
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from analysis.run import kernel_fork, notebooks as run_notebooks

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernels are forked on Linux only")


#: What these tests' zygotes import: enough to show that preloaded module state does not leak, and
#: quicker to start than the notebooks' stack (the notebooks under nbval use the full one).
KERNEL_ONLY = ("ipykernel.kernelapp", "ipykernel.debugger", "IPython.core.history")  # what a kernel's start imports
LIGHT = (*KERNEL_ONLY, "matplotlib", "pandas", "analysis.report.figures")


#: A warm module for these tests' zygotes: warm() records the zygote's pid, forget() drops it.
PROBE = '''
import os
STATE = {}
ENVIRONMENT = ("ANALYSIS_DATA_CACHE",)
def warm():
    if os.environ.get("PROBE_FAIL"):
        raise OSError("disk gone")
    STATE["built_by"] = os.getpid()
def forget():
    STATE.clear()
def same_data(a, b):
    return all(a.get(k) == b.get(k) for k in ENVIRONMENT)
'''


@pytest.fixture(scope="module")
def probe_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    (folder / "warm_probe.py").write_text(PROBE)
    return folder


@pytest.fixture(scope="module")
def zygote(probe_path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join([str(probe_path), os.environ.get("PYTHONPATH", "")]))
        with kernel_fork.Zygote(preload=LIGHT, warm="warm_probe") as z:
            mp.undo()
            yield z


def _run(zygote, tmp_path, *sources, timeout=60, name="nb"):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    client = NotebookClient(nb, kernel_manager_class=kernel_fork.manager_class(zygote.socket_path),
                            timeout=timeout, kernel_name="python3", shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return [[o.get("text") or o.get("data", {}) for o in c.outputs] for c in nb.cells]


def _running(proc) -> bool:
    """Whether ``proc`` still runs. A killed kernel can be reaped by the zygote between the listing of
    its children and this look at it: gone counts as not running."""
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_kernel_reaped_while_it_is_looked_at_counts_as_gone():
    """The race CI met: the zygote reaped a killed kernel between ``children()`` and ``status()``."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    proc = psutil.Process(child.pid)
    assert _running(proc)
    child.kill()
    child.wait()  # reaped: /proc/<pid> is gone
    assert not _running(proc)


def _kernels(zygote, wait=5.0):
    """The zygote's live children (its kernels), after giving killed ones ``wait`` s to go."""
    deadline = time.monotonic() + wait
    while True:
        alive = [p for p in psutil.Process(zygote.proc.pid).children() if _running(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def test_a_forked_kernel_runs_in_the_notebook_folder_with_the_callers_environment(zygote, tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_FORK_TEST", "from the runner")
    outs = _run(zygote, tmp_path,
                "import os, sys\nprint(os.getcwd()); print(os.environ.get('ANALYSIS_FORK_TEST'))\n"
                "print(os.getppid() == int(os.environ['JPY_PARENT_PID']), 'pandas' in sys.modules)",
                "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(); _ = ax.plot([0, 1])")
    assert outs[0] == [f"{tmp_path}\nfrom the runner\nTrue True\n"]
    # the inline backend shows the figure, as in an ordinary kernel
    assert "image/png" in outs[1][0]
    assert _kernels(zygote) == []


def test_each_forked_kernel_starts_fresh(zygote, tmp_path):
    """What a notebook defines or changes (names, module state, rcParams, np.random) does not leak into
    the next one: each is forked from the untouched zygote."""
    _run(zygote, tmp_path, "import numpy as np, matplotlib as mpl\nfrom analysis.report import figures\n"
                           "LEAK = 1; figures.PROJECT_NAME = 'changed'; mpl.rcParams['font.size'] = 31\n"
                           "np.random.seed(1)")
    outs = _run(zygote, tmp_path, "import matplotlib as mpl\nfrom analysis.report import figures\n"
                                  "print('LEAK' in globals(), figures.PROJECT_NAME, mpl.rcParams['font.size'])")
    import matplotlib as mpl

    assert outs[0] == [f"False Recalcul {mpl.rcParamsDefault['font.size']}\n"]


def test_errors_and_timeouts_are_reported_and_the_kernel_is_gone(zygote, tmp_path):
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        _run(zygote, tmp_path, "1 / 0")
    started = time.monotonic()
    with pytest.raises(CellTimeoutError):
        _run(zygote, tmp_path, "import time\ntime.sleep(60)", timeout=1)
    assert time.monotonic() - started < 30
    assert _kernels(zygote) == []


def test_a_killed_launcher_takes_its_kernel_with_it(zygote, tmp_path):
    from jupyter_client.manager import KernelManager

    km = type("Forked", (KernelManager,), {"kernel_spec": property(lambda self: kernel_fork.kernel_spec(
        zygote.socket_path))})()
    km.start_kernel(cwd=str(tmp_path))
    try:
        pid = None
        for _ in range(100):
            pid = kernel_fork.kernel_pid(km.connection_file)
            if pid:
                break
            time.sleep(0.05)
        assert pid and psutil.pid_exists(pid) and psutil.Process(pid).ppid() == zygote.proc.pid
        km.provisioner.process.kill()  # as the runner's immediate shutdown does
        km.provisioner.process.wait()
        assert _kernels(zygote) == []
    finally:
        km.cleanup_resources()


def test_the_runner_forks_by_default_and_can_be_told_not_to(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ANALYSIS_FIGURES_DIR", str(tmp_path / "figures"))
    source = "import os\nprint(os.getppid() == int(os.environ.get('JPY_PARENT_PID', '0')) != os.getpid())"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "01_x.ipynb")
    parents = []
    real = kernel_fork.Zygote.__enter__

    def spy(self):
        parents.append(self)
        return real(self)

    monkeypatch.setattr(kernel_fork.Zygote, "__enter__", spy)
    monkeypatch.setattr(kernel_fork, "PRELOAD", KERNEL_ONLY)  # the notebook imports nothing heavy
    monkeypatch.setattr(kernel_fork, "WARM", "")
    monkeypatch.setenv("ANALYSIS_FORK_KERNELS", "0")
    assert not kernel_fork.enabled()
    run_notebooks.execute_all([tmp_path / "01_x.ipynb"], jobs=1, report=lambda m: None)
    assert parents == []
    monkeypatch.delenv("ANALYSIS_FORK_KERNELS")
    run_notebooks.execute_all([tmp_path / "01_x.ipynb"], jobs=1, report=lambda m: None)
    assert len(parents) == 1 and not os.path.exists(parents[0].socket_path)
    assert nbformat.read(tmp_path / "01_x.ipynb", as_version=4).cells[0].outputs[0]["text"] == "True\n"


def test_a_zygote_that_cannot_start_says_so():
    with pytest.raises(RuntimeError, match="ANALYSIS_FORK_KERNELS=0"):
        with kernel_fork.Zygote(preload=("no_such_module_anywhere",)):
            pass



def test_kernels_inherit_the_zygotes_warm_tables_only_for_the_same_data(zygote, probe_path, tmp_path, monkeypatch):
    """The zygote's warm() state reaches every kernel forked with the data folders it saw; a kernel
    whose environment names other data forgets it; a warm() that fails leaves kernels that work."""
    probe = "import os, warm_probe\nprint(warm_probe.STATE.get('built_by') == os.getppid())"
    monkeypatch.setenv("ANALYSIS_FORK_TEST", "not a data variable")  # differs from the zygote's environment
    assert _run(zygote, tmp_path, probe) == [["True\n"]]
    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "other_cache"))
    assert _run(zygote, tmp_path, probe) == [["False\n"]]
    assert _kernels(zygote) == []
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(probe_path), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("PROBE_FAIL", "1")
    with kernel_fork.Zygote(preload=KERNEL_ONLY, warm="warm_probe") as z:
        assert _run(z, tmp_path, probe) == [["False\n"]]


def test_warm_reads_only_cached_tables_and_forget_drops_every_memo(tmp_path, monkeypatch):
    from analysis.data import cache
    from analysis.report import claims
    from analysis.methods import dynamics
    from analysis.run import warm

    monkeypatch.setenv("ANALYSIS_DATA_CACHE", str(tmp_path / "empty"))
    lines = warm.warm()
    assert len(lines) == 1 + len(warm.TABLES) + len(warm.CELLS)
    assert all("skipped, not in the data cache yet" in line for line in lines), lines
    assert not (tmp_path / "empty").exists(), "nothing parsed nor written with a cold cache"
    dynamics._sector_classification()  # a functools memo of the package (a file of the repository)
    claims.claim(claims.load_claims()["id"].iloc[0])
    cache._READ[tmp_path / "x.parquet"] = ((0,), None)
    warm.forget()
    assert dynamics._sector_classification.cache_info().currsize == 0
    assert cache._READ == {} and claims._REGISTER == {}
    assert warm.same_data({"ANALYSIS_DATA_CACHE": "a", "X": "1"}, {"ANALYSIS_DATA_CACHE": "a", "X": "2"})
    assert not warm.same_data({"ANALYSIS_DATA_CACHE": "a"}, {"ANALYSIS_DATA_CACHE": "b"})


class _Channel:
    """A fake ZMQ channel: ``get_msg`` hands out queued messages, then raises Empty (as on a timeout)."""

    def __init__(self, log, name):
        self.queue, self.log, self.name = [], log, name

    def get_msg(self, timeout=None):
        from queue import Empty

        self.log.append((self.name, round(timeout, 1)))
        if not self.queue:
            raise Empty
        return self.queue.pop(0)


class _FakeClient:
    """A kernel client whose kernel answers ``kernel_info`` per ``script``: for the n-th request, a list of
    what arrives ("reply", "busy", "idle", "other" = another request's message)."""

    def __init__(self, script, alive=True):
        self.log, self.script, self.alive, self.n, self.handled = [], list(script), alive, 0, None
        self.shell_channel, self.iopub_channel = _Channel(self.log, "shell"), _Channel(self.log, "iopub")

    def kernel_info(self):
        self.n += 1
        msg_id = f"req{self.n}"
        self.log.append(("kernel_info", msg_id))
        for what in (self.script.pop(0) if self.script else []):
            parent = {"msg_id": "someone else" if what == "other" else msg_id}
            if what in ("reply", "other"):
                self.shell_channel.queue.append({"msg_type": "kernel_info_reply", "parent_header": parent,
                                                 "content": {"n": self.n}})
            if what in ("busy", "idle", "other"):
                state = "idle" if what != "busy" else "busy"
                self.iopub_channel.queue.append({"msg_type": "status", "parent_header": parent,
                                                 "content": {"execution_state": state}})
        return msg_id

    def _handle_kernel_info_reply(self, msg):
        self.handled = msg["content"]["n"]

    async def _async_is_alive(self):
        return self.alive


def _ready(client, timeout=None):
    import asyncio

    return asyncio.run(kernel_fork._wait_for_ready(client, timeout=timeout))


def test_quick_clients_are_ready_at_the_idle_status_and_ask_again_when_iopub_is_not_up():
    # the reply and this request's idle status: ready at once, IOPub not read any further (no 0.2 s of silence)
    c = _FakeClient([["other", "reply", "busy", "idle"]])
    _ready(c)
    assert c.handled == 1 and c.log[-1] == ("iopub", 0.2)
    assert [e for e in c.log if e[0] == "iopub"] == [("iopub", 0.2)] * 3  # another request's status, busy, idle
    # no status on IOPub (not subscribed yet): the request is sent again, and the second one is answered
    c = _FakeClient([["reply"], ["reply", "busy", "idle"]])
    _ready(c)
    assert c.handled == 2 and [e for e in c.log if e[0] == "kernel_info"] == [("kernel_info", "req1"),
                                                                            ("kernel_info", "req2")]
    # a dead kernel, and one that never answers within the timeout
    with pytest.raises(RuntimeError, match="died"):
        _ready(_FakeClient([], alive=False))
    with pytest.raises(RuntimeError, match="didn't respond in 0.5 seconds"):
        _ready(_FakeClient([["reply"]] * 3), timeout=0.5)


def test_quick_managers_run_a_forked_kernel_and_wait_for_its_end_in_short_steps(zygote, tmp_path, monkeypatch):
    import asyncio

    from jupyter_client.manager import AsyncKernelManager, KernelManager

    km = type("Forked", (kernel_fork.quick_manager(KernelManager),), {"kernel_spec": property(
        lambda self: kernel_fork.kernel_spec(zygote.socket_path))})()
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    assert type(kc).__name__ == "ReadyBlockingKernelClient"
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=30)
        out = []
        reply = kc.execute_interactive("print(6 * 7)", timeout=30, output_hook=lambda m: out.append(
            m["content"].get("text")))
        assert reply["content"]["status"] == "ok" and "42\n" in out
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert _kernels(zygote) == []
    # after the kill, the manager checks whether the kernel is gone every EXIT_POLL_S s (jupyter_client: 0.1 s)
    quick = kernel_fork.quick_manager(AsyncKernelManager)()
    alive = iter([True, True, False])

    async def is_alive():
        return next(alive)

    steps = []

    async def sleep(seconds, *a, **k):
        steps.append(seconds)

    quick._async_is_alive = is_alive
    monkeypatch.setattr(asyncio, "sleep", sleep)
    asyncio.run(quick._async_wait())
    assert steps == [kernel_fork.EXIT_POLL_S] * 2
