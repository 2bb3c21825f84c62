"""BLAS threads (nnscratch/backend/threads.py): the user's setting wins, processes that share a node
share its cores, busy cores are left alone, and the command line says how many threads run."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nnscratch
from nnscratch.backend import threads

threadpoolctl = pytest.importorskip("threadpoolctl")
ROOT = Path(nnscratch.__file__).resolve().parent.parent
MPIEXEC = next((str(p) for p in (Path(sys.executable).parent / "mpiexec", shutil.which("mpiexec") or "")
                if str(p) and os.access(p, os.X_OK)), None)


@pytest.fixture
def restore_blas():
    """Put NumPy's BLAS threads back as they were after the test."""
    before = threadpoolctl.threadpool_info()
    yield
    for lib in before:
        if lib["user_api"] == "blas":
            threadpoolctl.threadpool_limits(limits=lib["num_threads"], user_api="blas")


@pytest.mark.parametrize("environ, cores, idle, expected", [
    ({}, 8, None, 8),                                       # a quiet machine, or one that cannot be read
    ({}, 8, 7.9, 8),
    ({}, 2, 1.1, 1),                                        # another program keeps one core busy
    ({}, 4, 0.0, 1),                                        # never fewer than one
    ({"MPI_LOCALNRANKS": "2"}, 8, None, 4),                 # mpiexec (MPICH): each rank its share
    ({"OMPI_COMM_WORLD_LOCAL_SIZE": "3"}, 8, 8.0, 2),       # Open MPI
    ({"LOCAL_WORLD_SIZE": "16"}, 8, None, 1),               # torchrun, more processes than cores
])
def test_the_policy_picks_each_process_its_cores(environ, cores, idle, expected):
    threads_, reason = threads.choose(environ, cores, idle)
    assert threads_ == expected, reason
    assert reason


@pytest.mark.parametrize("name", threads.USER_VARIABLES)
def test_the_users_setting_wins(name):
    environ = {name: "3", "MPI_LOCALNRANKS": "2"}
    assert threads.choose(environ, cores=8, idle=0.0) == (None, f"{name}=3")


def test_configure_limits_numpys_blas_and_says_so(monkeypatch, restore_blas):
    for name in threads.USER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MPI_LOCALNRANKS", str(threads.usable_cores() * 4))  # more ranks than cores: 1 each
    line = threads.configure()
    assert threads.blas_threads() == 1
    assert line.startswith("BLAS threads: 1 (") and "processes share this node's" in line


def test_configure_leaves_a_user_setting_alone(monkeypatch, restore_blas):
    threadpoolctl.threadpool_limits(limits=1, user_api="blas")
    for name in threads.USER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("MPI_LOCALNRANKS", "1")
    assert threads.configure().endswith("; OMP_NUM_THREADS=1)")


def test_idle_cores_reads_a_number_within_the_usable_cores():
    idle = threads.idle_cores(interval=0.02)
    if idle is None:
        pytest.skip("/proc/stat cannot be read here")
    assert -0.01 <= idle <= threads.usable_cores() + 0.01


def _run(command, env_extra, timeout=120):
    env = {k: v for k, v in os.environ.items() if k not in (*threads.USER_VARIABLES, threads.SPIN_VARIABLE)}
    env.update(PYTHONPATH=str(ROOT), **env_extra)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def test_the_first_training_line_says_how_many_blas_threads_run():
    done = _run([sys.executable, "-m", "nnscratch", "train", "--dataset", "xor", "--epochs", "2", "--no-save"],
                {"OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("training ") and "; BLAS threads: 1 (" in first
    assert first.endswith("; OPENBLAS_NUM_THREADS=1)")


@pytest.mark.skipif(MPIEXEC is None, reason='needs mpiexec: pip install "nnscratch[mpi]"')
def test_each_rank_under_mpiexec_limits_itself():
    # The ranks' lines reach mpiexec's stdout through separate pipes, so one rank's text can land
    # before the other's newline: count the reports, not the lines.
    code = ("import sys; from nnscratch.backend import threads; "
            "sys.stdout.write(threads.configure() + '\\n'); sys.stdout.flush()")
    done = _run([MPIEXEC, "-n", "2", sys.executable, "-c", code], {})
    assert done.returncode == 0, done.stderr
    share = max(1, threads.usable_cores() // 2)
    counts = re.findall(r"BLAS threads: (\d+) \(", done.stdout)
    assert counts == [str(share)] * 2, done.stdout
    assert done.stdout.count("2 processes share this node's") == 2, done.stdout


@pytest.mark.parametrize("environ, loaded, after, state", [
    ({}, False, str(threads.SPIN), {"set": True, "late": False}),  # imported first: OpenBLAS will read it
    ({"OPENBLAS_THREAD_TIMEOUT": "25"}, False, "25", {"set": False, "late": False}),  # the user's value wins
    ({"OPENBLAS_THREAD_TIMEOUT": "25"}, True, "25", {"set": False, "late": False}),
    ({}, True, None, {"set": False, "late": True}),                # NumPy came first: too late, nothing set
])
def test_openblas_spin_is_shortened_only_where_it_takes_effect(environ, loaded, after, state):
    assert threads.shorten_spin(environ, loaded=loaded) == state
    assert environ.get(threads.SPIN_VARIABLE) == after


def _needs_openblas():
    info = threads.blas_info()
    if info is None or info.get("internal_api") != "openblas":
        pytest.skip("NumPy's BLAS is not OpenBLAS here")


@pytest.mark.parametrize("first, expected, workers", [
    ("import nnscratch", "20 spin 2^20 ticks (OPENBLAS_THREAD_TIMEOUT=20, nnscratch's default)", "2"),
    ("import numpy, nnscratch", "None spin 2^28 ticks (about 0.1 s; OpenBLAS's default: NumPy was loaded before", "1"),
])
def test_importing_nnscratch_first_shortens_the_spin_and_info_says_so(first, expected, workers):
    code = (f"{first}, os; from nnscratch.backend import threads; threads.set_threads(2); "
            "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'), (threads.describe_spin() or '').split(': ', 1)[-1]); "
            "print('own threads', threads.workers())")
    done = _run([sys.executable, "-c", code], {})
    assert done.returncode == 0, done.stderr
    _needs_openblas()
    assert done.stdout.startswith(expected), done.stdout
    # with OpenBLAS's long spin, nnscratch's copies run in one thread beside the BLAS's two (and info says so)
    assert done.stdout.rstrip().endswith(f"own threads {workers}"), done.stdout
    assert ("copies run in one thread" in done.stdout) == (workers == "1"), done.stdout


@pytest.mark.parametrize("exponent, expected", [(None, 4), (threads.SPIN - 2, 4), (threads.SPIN, 4),
                                                (threads.SPLIT_MAX_SPIN, 4), (threads.SPLIT_MAX_SPIN + 1, 1),
                                                (28, 1)])
def test_own_threads_follow_the_blas_unless_its_threads_spin_long(exponent, expected, monkeypatch):
    monkeypatch.setattr(threads, "spin_exponent", lambda: exponent)  # None: not OpenBLAS
    assert threads.own_threads(4) == expected
    monkeypatch.setattr(threads, "_workers", [None])
    monkeypatch.setattr(threads, "blas_threads", lambda: 4)
    assert threads.workers() == expected


def test_info_says_how_long_openblas_threads_spin():
    done = _run([sys.executable, "-m", "nnscratch", "info"], {"OPENBLAS_THREAD_TIMEOUT": "22"})
    assert done.returncode == 0, done.stderr
    _needs_openblas()
    assert "OpenBLAS idle threads: spin 2^22 ticks (OPENBLAS_THREAD_TIMEOUT=22, from the environment)\n" \
        in done.stdout
    done = _run([sys.executable, "-m", "nnscratch", "info"], {"OPENBLAS_THREAD_TIMEOUT": "24"})
    assert "spin 2^24 ticks (OPENBLAS_THREAD_TIMEOUT=24, from the environment); nnscratch's copies run in one " \
        "thread beside them\n" in done.stdout
