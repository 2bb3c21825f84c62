#!/usr/bin/env python3
"""The GPU run: one command that proves nnscratch's CuPy and ``torch:cuda`` paths on a real GPU.

Made for a short slot on an air-gapped GPU node (about 15 minutes, no network): it installs
nothing from the network, builds nothing, and ends inside 8 minutes on one H100.

Before the slot, on any machine that reaches PyPI (the wheels are for CPython 3.12 on
manylinux x86_64, about 1 MB together)::

    bash ci/gpu-wheels.sh              # into .whl/: what nnscratch needs beyond the node's packages
    bash ci/gpu-wheels.sh --dry-run    # only list them and print the pip command

Copy the repository, ``.whl/`` included, to the node. There, from the repository root::

    bash ci/gpu-check.sh gpu-report    # PYTHON=/path/to/python3.12 picks the interpreter (default python3)

It expects the node's Python to have numpy, pytest, CuPy and/or a CUDA build of torch (and, for
the MPI step, mpi4py and mpiexec). In order, each step appending to ``gpu-report/report.json``
and ``gpu-report/summary.txt`` as soon as it ends, so a run cut short still leaves its findings
(every command's full output is in ``gpu-report/logs/``):

1. setup (30 s): ``pip install --no-index --no-deps --target`` of ``.whl/`` into a throw-away
   folder, on ``PYTHONPATH`` with this tree (no build step) and made the user site of a
   throw-away ``PYTHONUSERBASE``, so that subprocesses which replace ``PYTHONPATH`` (the MPI
   tests' ranks) still find the wheels.
2. info (40 s): ``nnscratch info``, then each GPU backend built (its probe runs an elementwise
   kernel and a matrix product) and a 256x256 product compared with NumPy's in float64.
3. tests (160 s): the whole suite with the ``backend`` fixtures on ``cupy`` and ``torch:cuda``
   only (``NNSCRATCH_TEST_BACKENDS``; the CPU backends are skipped; ``ci/gpu_pytest_plugin.py``
   adds ``torch:cuda`` to tests/conftest.py's list), on up to 8 pytest-xdist processes; each
   outcome lands in ``tests-progress.jsonl`` as it happens.
4. train (100 s): ``nnscratch train`` for one epoch, seed 0, of the default MLP and of
   ``--model cnn --augment 0`` on NumPy and on each GPU backend (``train/``): the largest weight
   and loss differences against NumPy must stay within 1e-3 of the largest weight and loss.
5. bench (55 s): ``nnscratch bench`` NumPy vs CuPy vs torch:cuda at batch 32, 128 and 1024
   (``bench.json``, ``bench.png``): seconds per epoch, samples/s, operations and host transfers
   per step, and the launch-bound estimate against the measured time per step.
6. mpi (35 s): if ``mpiexec`` and mpi4py are there, two ranks on the one GPU train the MLP
   (``mpi/``), compared with the one-process run.
7. bench-cnn (30 s): ``nnscratch bench --model cnn`` on NumPy, CuPy and torch:cuda.

A step may use what the steps before it left of their budgets; a step that runs late is cut
(its processes stopped) and says so. Exit status: 0 every step passed (or was skipped), 1 a step
failed or was cut, 2 a usage error, 3 no GPU here (nvidia-smi missing, failing or listing none,
or ``CUDA_VISIBLE_DEVICES`` empty): one line, nothing checked, nothing written.

Options: ``--backends cupy`` checks one backend; ``--budget-scale 1.5`` stretches every budget;
``--force`` reuses a folder that holds a report. ``bash ci/gpu-check.sh --rehearse DIR`` runs the
same pipeline with no GPU, on CPU stand-ins (NumPy against ``torch:cpu``) and tiny settings: what
CI runs (``tests/test_gpu_check.py``), so this script cannot rot. Predictions for the first GPU
run: benchmarks/README.md, "What the GPU run is expected to show".

This script uses the standard library only (Python 3.10+) and imports nnscratch only in its
subprocesses (the ``--worker`` modes), so it can say "no GPU" however broken the environment is.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK = Path(__file__).resolve()
WHEEL_DIR = ROOT / ".whl"
PASSED, FAILED, USAGE, NO_GPU = 0, 1, 2, 3
REFERENCE = "numpy"

# Training runs agree with NumPy's when the largest weight difference is at most WEIGHT_RTOL of the
# largest weight and the largest loss difference at most LOSS_RTOL of the loss. NumPy against
# torch:cpu after one epoch of the default MLP (178 Adam steps) differ by 2.5e-6 (1e-5 of the
# largest weight) and 1e-8 in the validation loss; float32's epsilon is 1.2e-7. 1e-3 leaves a
# hundredfold margin for a GPU's summation orders, while a real fault (a wrong mask, gradient or
# stale buffer) moves weights by a tenth or more.
WEIGHT_RTOL = 1e-3
LOSS_RTOL = 1e-3
MATMUL_RTOL = 1e-4  # a 256x256 float32 product: ~1e-6 in float32, ~1e-3 if TF32 were on

# The node's preinstalled packages (and what they bring: pytest and matplotlib require packaging).
NODE_HAS = ("numpy", "cupy-cuda13x", "torch", "mpi4py", "pytest", "hypothesis", "scikit-learn", "matplotlib",
            "onnx", "onnxruntime", "tqdm", "pillow", "packaging")
# What nnscratch and its tests need beyond them, pinned to the versions CI tests with, and why.
WHEELS = (
    ("array-api-compat==1.16.0", "nnscratch: every array operation goes through it"),
    ("array-api-strict==2.6.1", "tests (the stand-in device); bench counts NumPy/CuPy operations on it"),
    ("pooch==1.9.0", "nnscratch: dataset downloads (the tests serve files locally)"),
    ("threadpoolctl==3.8.0", "nnscratch: the BLAS-thread policy (scikit-learn brings it too)"),
    ("platformdirs==4.14.9", "pooch"),
    ("requests==2.34.2", "pooch (not in the node's list)"),
    ("charset-normalizer==3.5.3", "requests"),
    ("idna==3.21", "requests"),
    ("urllib3==2.8.0", "requests"),
    ("certifi==2026.10.19.post1", "requests"),
    ("pytest-xdist==3.8.0", "this check: the test suite on several processes (optional)"),
    ("execnet==2.1.2", "pytest-xdist"),
)
PLATFORM = ("--python-version", "3.12", "--implementation", "cp", "--abi", "cp312",
            "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64")
WHEEL_LIMIT_MB = 20

# Per mode: the backends under test, the step budgets (seconds; their sum is the run's) and settings.
MODES = {
    "gpu": {
        "backends": ("cupy", "torch:cuda"),
        "budgets": {"setup": 30, "info": 40, "tests": 160, "train": 100, "bench": 55, "mpi": 35,
                    "bench-cnn": 30},  # 450 s: a cut step may take 10 s more to stop, still inside 8 minutes
        "pytest": (),
        "epochs": 1,
        # The CNN without distorted copies: the MLP run already sends augmented epochs to the device,
        # and the copies would triple the CNN's time on NumPy.
        "models": (("mlp", ()), ("cnn", ("--model", "cnn", "--augment", "0"))),
        "bench": ("--batch-sizes", "32,128,1024", "--samples", "20000", "--epochs", "3", "--warmup", "1"),
        "bench_cnn": ("--model", "cnn", "--samples", "2048", "--epochs", "2", "--warmup", "1"),
    },
    "rehearsal": {  # CPU stand-ins and tiny settings: the whole flow, in CI, in well under a minute
        "backends": ("torch:cpu",),
        "budgets": {"setup": 20, "info": 20, "tests": 30, "train": 40, "bench": 20, "mpi": 30,
                    "bench-cnn": 20},
        "pytest": ("tests/test_streaming.py", "-k", "small_device_memory"),
        "epochs": 1,
        "models": (("mlp", ("--augment", "0", "--layers", "784,32,10")),
                   ("cnn", ("--augment", "0", "--layers", "conv4x3p1,maxpool2,relu,dense10"))),
        "bench": ("--batch-sizes", "64", "--samples", "512", "--layers", "16", "--epochs", "1", "--warmup", "0"),
        "bench_cnn": ("--model", "cnn", "--samples", "64", "--epochs", "1", "--warmup", "0"),
    },
}
STEPS = ("setup", "info", "tests", "train", "bench", "mpi", "bench-cnn")
FOCUS_TESTS = ("test_device.py", "test_host_transfers.py", "test_streaming.py")  # named in the summary
LAUNCH_US = (5.0, 10.0)  # per kernel launch, as nnscratch.bench.counting assumes


# ------------------------------------------------------------------ the GPU gate

def find_gpu():
    """``(gpus, why_not)``: nvidia-smi's lines (name, driver, memory) or why there is no GPU."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return [], "nvidia-smi not found"
    query = [smi, "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]
    try:
        done = subprocess.run(query, capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return [], f"nvidia-smi did not answer: {exc}"
    if done.returncode != 0:
        first = (done.stdout + done.stderr).strip().splitlines()
        return [], f"nvidia-smi failed: {first[0] if first else f'exit status {done.returncode}'}"
    gpus = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    if not gpus:
        return [], "nvidia-smi lists no GPU"
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1", "NoDevFiles"):
        return [], f"CUDA_VISIBLE_DEVICES={visible!r} hides every GPU"
    return gpus, ""


# ------------------------------------------------------------------ running commands within a budget

class Cut(Exception):
    """The step's time ran out; what it found so far stays in the report."""


def run_command(argv, log_path, timeout, env=None, cwd=ROOT):
    """Run ``argv`` in a session of its own, output to ``log_path``; at ``timeout`` seconds
    the whole process group (pytest workers, MPI ranks) is stopped. ``(rc, seconds, timed_out)``."""
    start = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("$ " + shlex.join(map(str, argv)) + "\n")
        log.flush()
        proc = subprocess.Popen([str(a) for a in argv], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=cwd, env=env, start_new_session=True)
        try:
            return proc.wait(timeout=max(timeout, 0.1)), time.monotonic() - start, False
        except subprocess.TimeoutExpired:
            stop_group(proc)
            return proc.returncode, time.monotonic() - start, True
        except BaseException:  # the check itself is being stopped: take the children with it
            stop_group(proc)
            raise


def stop_group(proc):
    """SIGTERM to ``proc``'s process group, SIGKILL 5 s later if anything is left."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


class Step:
    """One step's findings: status (pass, fail, cut, skipped), lines for the summary, details,
    the commands it ran; :meth:`run` runs a command within the step's deadline."""

    def __init__(self, name, deadline, budget, logs, env):
        self.name, self.deadline, self.budget, self.logs, self.env = name, deadline, budget, logs, env
        self.status, self.lines, self.details, self.commands = "pass", [], {}, []
        self.start = time.monotonic()

    def left(self):
        return self.deadline - time.monotonic()

    def run(self, argv, label, env=None):
        """``(rc, output)`` of ``argv``; raises :class:`Cut` when the step's time runs out."""
        if self.left() < 1:
            self.cut(f"{label}: not started, the step's time was spent")
        log = self.logs / f"{self.name}-{label}.log"
        rc, seconds, timed_out = run_command(argv, log, self.left(), env or self.env)
        self.commands.append({"label": label, "command": shlex.join(map(str, argv)), "rc": rc,
                              "seconds": round(seconds, 1), "log": str(log.relative_to(self.logs.parent))})
        if timed_out:
            self.cut(f"{label}: cut after {seconds:.0f} s (the step's budget ran out)")
        return rc, log.read_text(encoding="utf-8", errors="replace")

    def note(self, line):
        self.lines.append(line)

    def fail(self, line):
        if self.status != "cut":
            self.status = "fail"
        self.lines.append("FAIL " + line)

    def skip(self, line):
        self.status = "skipped"
        self.lines.append(line)

    def cut(self, line):
        self.status = "cut"
        self.lines.append("CUT " + line)
        raise Cut(line)

    def result(self):
        return {"name": self.name, "status": self.status, "seconds": round(time.monotonic() - self.start, 1),
                "budget_s": round(self.budget, 1), "summary": self.lines, "details": self.details,
                "commands": self.commands}


# ------------------------------------------------------------------ the report

def atomic_write(path, text):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class Report:
    """``report.json`` (everything) and ``summary.txt`` (a few lines a step), rewritten after each step."""

    def __init__(self, outdir, header):
        self.outdir, self.start, self.data = outdir, time.monotonic(), dict(header, result="running", steps=[])
        self.write()

    def add(self, step_result):
        self.data["steps"].append(step_result)
        self.write()

    def finish(self, status):
        self.data["result"] = "pass" if status == PASSED else "fail"
        self.data["exit_status"] = status
        self.data["seconds"] = round(time.monotonic() - self.start, 1)
        self.write()

    def write(self):
        atomic_write(self.outdir / "report.json", json.dumps(self.data, indent=1) + "\n")
        atomic_write(self.outdir / "summary.txt", self.summary())

    def summary(self):
        d = self.data
        lines = [f"nnscratch gpu-check ({d['mode']}), {d['started']}: {d['result'].upper()}",
                 f"host: {d['host']}", f"gpus: {'; '.join(d['gpus']) or '-'}",
                 f"backends: {', '.join(d['backends'])} against {REFERENCE}"]
        for s in d["steps"]:
            lines.append(f"[{s['status']}] {s['name']} ({s['seconds']:.0f} s of {s['budget_s']:.0f})")
            lines += [f"    {line}" for line in s["summary"]]
        return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ the environment on the node

def wheel_name(filename):
    """The normalised distribution name of a wheel file (``array_api_compat-1.16.0-py3-...``)."""
    return normalise(filename.split("-", 1)[0])


def normalise(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def pick_wheels(folder=WHEEL_DIR):
    """``(files, problems)``: for each pinned requirement, its wheel in ``folder``."""
    files, problems = [], []
    present = sorted(folder.glob("*.whl")) if folder.is_dir() else []
    for requirement, _ in WHEELS:
        name, version = requirement.split("==")
        mine = [f for f in present if wheel_name(f.name) == normalise(name)]
        pinned = [f for f in mine if f.name.split("-")[1] == version]
        if pinned:
            files.append(pinned[0])
        elif mine:
            problems.append(f"{name}: {', '.join(f.name for f in mine)} in {folder.name}/, expected {version}")
        else:
            problems.append(f"{name} {version} missing from {folder.name}/")
    return files, problems


def make_site(work, step):
    """A folder for the wheels that every Python started during the check imports from, even one
    whose ``PYTHONPATH`` a test replaces (the MPI ranks of tests/test_mpi.py): the user site of a
    throw-away ``PYTHONUSERBASE`` (an environment variable, so subprocesses inherit it), which also
    keeps the real user site (a ``.pth`` file adds it back). Returns ``(site_dir, env_additions)``."""
    base = work / "userbase"
    probe = "import json, site; print(json.dumps([site.ENABLE_USER_SITE, site.getusersitepackages()]))"
    real = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                     timeout=60, check=True).stdout)
    env = dict(os.environ, PYTHONUSERBASE=str(base))
    enabled, site = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                              env=env, timeout=60, check=True).stdout)
    site = Path(site)
    site.mkdir(parents=True, exist_ok=True)
    if not enabled:
        step.note("this Python has no user site (a virtual environment without system packages, or "
                  "PYTHONNOUSERSITE): the wheels are on PYTHONPATH only, which tests that replace PYTHONPATH "
                  "for their subprocesses (MPI) do not see")
        return site, {}
    if real[0] and os.path.isdir(real[1]):
        (site / "nnscratch_gpu_check.pth").write_text(f"import site; site.addsitedir({real[1]!r})\n")
    return site, {"PYTHONUSERBASE": str(base)}


def cache_writable(folder):
    """True when ``folder`` exists and is writable, or could be created."""
    while not folder.exists():
        folder = folder.parent
    return os.access(folder, os.W_OK)


def base_env(site=None, extra=None):
    """The environment of every step: this tree, then the wheels, first on PYTHONPATH; no backend preset,
    no display."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", **(extra or {}))
    env.pop("NNSCRATCH_BACKEND", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([str(site)] if site else []) +
                                        ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    return env


# ------------------------------------------------------------------ the check

class Check:
    def __init__(self, outdir, mode, backends, gpus, budget_scale=1.0):
        self.outdir, self.mode_name, self.mode = outdir, mode, MODES[mode]
        self.backends, self.gpus = tuple(backends), gpus
        self.budgets = {k: v * budget_scale for k, v in self.mode["budgets"].items()}
        self.logs = outdir / "logs"
        self.python, self.env, self.have = Path(sys.executable), base_env(), {}
        self.work = Path(tempfile.mkdtemp(prefix="nnscratch-gpu-check-"))

    def run(self):
        self.logs.mkdir(parents=True, exist_ok=True)
        report = Report(self.outdir, {
            "tool": "ci/gpu_check.py", "mode": self.mode_name,
            "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "host": f"{platform.node()}, {platform.platform()}, Python {platform.python_version()}, "
                    f"{os.cpu_count()} CPUs", "gpus": self.gpus, "backends": list(self.backends),
            "reference": REFERENCE, "budget_s": sum(self.budgets.values()),
            "tolerances": {"weights": WEIGHT_RTOL, "loss": LOSS_RTOL, "matmul": MATMUL_RTOL}})
        status, allotted, step = PASSED, 0.0, None
        try:
            for name in STEPS:
                allotted += self.budgets[name]  # a step may use what the steps before it left unused
                step = Step(name, report.start + allotted, self.budgets[name], self.logs, self.env)
                self._run_step(step)
                report.add(step.result())
                status = status if step.status in ("pass", "skipped") else FAILED
                if name == "setup" and step.status != "pass":
                    break
                step = None
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM at the end of the slot (see main)
            if step is not None:
                step.status = "cut"
                step.lines.append("CUT the check was stopped from outside")
                report.add(step.result())
            status = FAILED
        finally:
            report.finish(status)
            shutil.rmtree(self.work, ignore_errors=True)
        print((self.outdir / "summary.txt").read_text(), end="")
        print(f"gpu-check: {'PASS' if status == PASSED else 'FAIL'}; report in {self.outdir}/report.json")
        return status

    def _run_step(self, step):
        try:
            if step.left() < 3:
                step.cut("not started: the run's time was spent")
            getattr(self, "step_" + step.name.replace("-", "_"))(step)
        except Cut:
            pass
        except Exception as exc:  # a bug of the check itself: recorded, and the run goes on
            with open(self.logs / f"{step.name}-check-error.log", "w", encoding="utf-8") as f:
                traceback.print_exc(file=f)
            step.fail(f"the check itself failed: {type(exc).__name__}: {exc}")

    def worker(self, *args):
        return [self.python, CHECK, "--worker", *args]

    # -------------------------------------------------------------- 1. setup

    def step_setup(self, step):
        wheels, problems = pick_wheels()
        site, extra = make_site(self.work, step)
        self.env = step.env = base_env(site, extra)
        if not cache_writable(Path.home() / ".cupy"):
            self.env["CUPY_CACHE_DIR"] = str(self.work / "cupy-kernels")  # CuPy must write what it compiles
        if wheels and sys.version_info[:2] != (3, 12):
            step.note(f"the wheels in .whl/ are for Python 3.12, this is {platform.python_version()}: "
                      "using the packages this Python already has")
        elif wheels:
            self._install(step, wheels, site, bool(extra))
            if problems:
                step.note(f"not installed: {'; '.join(problems)} (bash ci/gpu-wheels.sh fetches them)")
        else:
            step.note("no wheels in .whl/: using the packages this Python already has")
        rc, out = step.run(self.worker("versions"), "versions")
        found = last_json(out)
        if rc != 0 or found is None:
            step.fail(f"could not list the versions: {last_line(out)}")
            return
        self.have = found
        step.details["versions"] = found
        step.note("; ".join(v if v != "found" else k for k, v in found.items() if v and k != "nnscratch_file"))
        step.note("not found: " + (", ".join(k for k, v in found.items() if not v) or "-"))
        for needed in ("numpy", "pytest"):
            if not found.get(needed):
                step.fail(f"{needed} is not installed for {sys.executable}; choose the node's Python with PYTHON=...")
        for needed in ("array_api_compat", "array_api_strict"):
            if not found.get(needed):
                step.fail(f"{needed} cannot be imported: run bash ci/gpu-wheels.sh where the network is "
                          "reachable and bring .whl/ along")
        if found.get("nnscratch_file") and not found["nnscratch_file"].startswith(str(ROOT)):
            step.fail(f"nnscratch is imported from {found['nnscratch_file']}, not from this tree ({ROOT})")

    def _install(self, step, wheels, site, user_site):
        if importlib.util.find_spec("pip") is None:  # a wheel is a zip of what goes into site-packages
            for wheel in wheels:
                with zipfile.ZipFile(wheel) as z:
                    z.extractall(site)
            how = "unpacked (this Python has no pip)"
        else:
            rc, out = step.run([sys.executable, "-m", "pip", "install", "--no-index", "--no-deps",
                                "--disable-pip-version-check", "--no-compile", "--quiet", "--target", site,
                                *wheels], "pip-install")
            if rc != 0:
                step.fail(f"pip install --no-index --no-deps of the {len(wheels)} wheels in .whl/ failed: "
                          f"{last_line(out)}")
                return
            how = "installed"
        step.note(f"{how} {len(wheels)} wheels from .whl/ into {site} (on PYTHONPATH"
                  f"{', and the user site of PYTHONUSERBASE' if user_site else ''})")

    # -------------------------------------------------------------- 2. info

    def step_info(self, step):
        rc, out = step.run([self.python, "-m", "nnscratch", "info"], "nnscratch-info")
        step.details["nnscratch_info"] = out.splitlines()[1:]
        if rc != 0:
            step.fail(f"nnscratch info exited {rc}: {last_line(out)}")
        for line in out.splitlines():
            if re.match(r"\s+(cupy|torch)\s", line):
                step.note("info: " + " ".join(line.split()))
        rc, out = step.run(self.worker("probe", *self.backends), "probe")
        probes = last_json(out) or {}
        step.details["probes"] = probes
        for spec in self.backends:
            p = probes.get(spec)
            if p is None:
                step.fail(f"{spec}: the probe did not report ({last_line(out)})")
            elif "error" in p:
                step.fail(f"{spec}: {p['error']}")
            else:
                ok = p["matmul_rel_error"] <= MATMUL_RTOL
                (step.note if ok else step.fail)(
                    f"{spec}: {p['describe']}; kernel and matmul probe ran; a 256x256 product is within "
                    f"{p['matmul_rel_error']:.1e} of NumPy's float64 one (allowed {MATMUL_RTOL:.0e}); "
                    f"free memory {p['memory']}")

    # -------------------------------------------------------------- 3. tests

    def step_tests(self, step):
        progress = self.outdir / "tests-progress.jsonl"
        progress.unlink(missing_ok=True)
        cores = os.cpu_count() or 1
        workers = min(8, cores // 2) if self.have.get("xdist") and cores >= 4 else 0
        threads = str(max(1, cores // max(workers, 1)))
        env = dict(self.env, NNSCRATCH_TEST_BACKENDS=",".join(self.backends), PYTEST_PLUGINS="gpu_pytest_plugin",
                   NNSCRATCH_GPU_CHECK_EXTRA_BACKENDS=",".join(f"{b}={test_id(b)}" for b in self.backends),
                   NNSCRATCH_GPU_CHECK_PROGRESS=str(progress), OPENBLAS_NUM_THREADS=threads,
                   OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads,
                   PYTHONPATH=os.pathsep.join([str(ROOT / "ci"), self.env["PYTHONPATH"]]))
        argv = [self.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE",
                "--ignore", "tests/test_gpu_check.py", *(["-n", str(workers)] if workers else []),
                *self.mode["pytest"]]
        step.note(f"NNSCRATCH_TEST_BACKENDS={env['NNSCRATCH_TEST_BACKENDS']}, "
                  f"{f'{workers} pytest-xdist workers' if workers else 'one process'}, {threads} BLAS thread(s) each")
        rc = None
        try:
            rc, out = step.run(argv, "pytest", env=env)
        finally:
            self._summarise_tests(step, progress, rc)

    def _summarise_tests(self, step, progress, rc):
        tests = read_progress(progress)
        step.details["tests"] = tests
        counts = {}
        for t in tests["outcomes"].values():
            counts[t["outcome"]] = counts.get(t["outcome"], 0) + 1
        step.note("outcomes: " + (", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none recorded"))
        for module in FOCUS_TESTS:
            mine = [t for name, t in tests["outcomes"].items() if name.startswith(f"tests/{module}::")]
            step.note(f"{module}: " + (", ".join(f"{sum(t['outcome'] == k for t in mine)} {k}" for k in
                                                 sorted({t["outcome"] for t in mine})) or "did not run"))
        for spec in self.backends:
            mine = [t for t in tests["outcomes"].values() if t.get("backend") == spec]
            ran = sum(t["outcome"] == "passed" for t in mine)
            reasons = sorted({t.get("message", "") for t in mine if t["outcome"] == "skipped"})
            step.note(f"on {spec}: {ran} passed of {len(mine)} parametrized"
                      + (f"; skipped because: {'; '.join(reasons)[:300]}" if reasons else ""))
            if mine and not ran:
                step.fail(f"no test ran on {spec}")
        for name, t in list(tests["failed"].items())[:25]:
            step.fail(f"{name}: {t.get('message', '')[:300]}")
        if tests["running"]:
            step.note("running when the step ended: " + ", ".join(tests["running"][:8]))
        if any("No module named" in t.get("message", "") for t in tests["failed"].values()):
            step.note("a 'No module named' failure may be a subprocess that replaced PYTHONPATH and so lost "
                      "the wheels (see the setup step's note on the user site)")
        if rc not in (None, 0) and not tests["failed"]:
            step.fail(f"pytest exited {rc} (see logs/tests-pytest.log)")

    # -------------------------------------------------------------- 4. train

    def step_train(self, step):
        folder = self.outdir / "train"
        folder.mkdir(exist_ok=True)
        step.details["runs"] = runs = {}
        for model, extra in self.mode["models"]:
            for spec in (REFERENCE, *self.backends):
                reference = None if spec == REFERENCE else (folder / f"{model}-{REFERENCE}", REFERENCE)
                runs[f"{model} {spec}"] = self._train(step, folder / f"{model}-{file_safe(spec)}", extra, spec,
                                                      reference)

    def _train(self, step, stem, extra, spec, reference, launcher=()):
        """``nnscratch train`` one epoch into ``stem``.npz/.json; compared with ``reference``
        ``(stem, label)`` when given. Returns what the report keeps of the run."""
        files = stem.with_suffix(".npz"), stem.with_suffix(".json")
        argv = [*launcher, self.python, "-m", "nnscratch", "train", "--backend", spec, "--seed", "0",
                "--epochs", str(self.mode["epochs"]), *extra, "--out", files[0], "--history", files[1], "--json"]
        rc, out = step.run(argv, stem.name)
        result = last_json(out)
        if rc != 0 or result is None:
            step.fail(f"{stem.name}: nnscratch train exited {rc}: {last_line(out)}")
            return {"ok": False}
        run = {"ok": True, "files": [str(f) for f in files], "seconds": result.get("seconds"),
               "test_accuracy": result.get("test_accuracy")}
        if reference is None:
            step.note(f"{stem.name}: {run['seconds']} s, test accuracy {run['test_accuracy']}")
        else:
            self._compare(step, run, stem, *reference)
        return run

    def _compare(self, step, run, stem, reference, against):
        ref = reference.with_suffix(".npz"), reference.with_suffix(".json")
        files = stem.with_suffix(".npz"), stem.with_suffix(".json")
        if not ref[0].exists():
            step.fail(f"{stem.name}: nothing to compare with ({ref[0].name} was not trained)")
            return
        rc, out = step.run(self.worker("compare", *ref, *files), f"{stem.name}-compare")
        diff = last_json(out)
        if rc != 0 or diff is None:
            step.fail(f"{stem.name}: the comparison failed: {last_line(out)}")
            return
        run["against"], run["difference"] = against, diff
        agree = diff["weights"]["relative"] <= WEIGHT_RTOL and diff["loss"]["relative"] <= LOSS_RTOL
        (step.note if agree else step.fail)(
            f"{stem.name}: {run['seconds']} s, test accuracy {run['test_accuracy']}; against {against}: largest weight "
            f"difference {diff['weights']['max']:.2e} in {diff['weights']['where']} ({diff['weights']['relative']:.1e} "
            f"of the largest weight, allowed {WEIGHT_RTOL:.0e}), largest loss difference {diff['loss']['max']:.2e} "
            f"in {diff['loss']['where']} ({diff['loss']['relative']:.1e}, allowed {LOSS_RTOL:.0e})"
            + ("" if agree else ": they DISAGREE"))

    # -------------------------------------------------------------- 5. bench

    def step_bench(self, step):
        path = self.outdir / "bench.json"
        backends = ",".join((REFERENCE, *self.backends))
        rc, out = step.run([self.python, "-m", "nnscratch", "bench", "--backends", backends, *self.mode["bench"],
                            "--json", path, "--plot", self.outdir / "bench.png"], "bench")
        if rc != 0 or not path.exists():
            step.fail(f"nnscratch bench exited {rc}: {last_line(out)}")
            return
        result = json.loads(path.read_text())
        step.details["rows"] = bench_rows(result)
        step.details["launch_bound"] = launch_bound(result, self.backends)
        for spec, reason in result.get("skipped", {}).items():
            step.fail(f"{spec} was skipped: {reason}")
        for line in bench_lines(result, self.backends):
            step.note(line)

    # -------------------------------------------------------------- 6. mpi

    def step_mpi(self, step):
        mpiexec = find_mpiexec()
        if mpiexec is None or not self.have.get("mpi4py"):
            step.skip("skipped: " + ("no mpiexec on PATH" if mpiexec is None else "mpi4py cannot be imported"))
            return
        step.env = dict(self.env, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",  # Open MPI as root,
                        OMPI_MCA_rmaps_base_oversubscribe="1")  # and in a one-task allocation; MPICH ignores them
        marks = self.work / "ranks"
        marks.mkdir()
        code = ("import pathlib, sys; from nnscratch.distributed import from_environment; c = from_environment(); "
                "(pathlib.Path(sys.argv[1]) / f'rank {c.rank if c else 0} of {c.size if c else 1}').touch()")
        rc, out = step.run([mpiexec, "-n", "2", self.python, "-c", code, marks], "ranks")
        seen = sorted(p.name for p in marks.iterdir())  # a file each: ranks' output may interleave
        if rc != 0 or seen != ["rank 0 of 2", "rank 1 of 2"]:
            step.fail(f"mpiexec -n 2 did not start one job of two ranks (saw {seen or last_line(out)}): mpi4py and "
                      "mpiexec may come from different MPI libraries")
            return
        step.note(f"{mpiexec} -n 2 starts ranks 0 and 1 of 2")
        model, extra = self.mode["models"][0]
        folder = self.outdir / "mpi"
        folder.mkdir(exist_ok=True)
        step.details["runs"] = runs = {}
        for spec in self.backends:
            device = f"{spec}:0" if spec in ("cupy", "torch:cuda") else spec  # both ranks on the one GPU
            alone = self.outdir / "train" / f"{model}-{file_safe(spec)}"
            reference = (alone, f"1 process on {spec}") if alone.with_suffix(".npz").exists() else \
                (self.outdir / "train" / f"{model}-{REFERENCE}", f"1 process on {REFERENCE}")
            runs[device] = self._train(step, folder / f"{model}-{file_safe(device)}-2ranks", extra, device, reference,
                                       launcher=(mpiexec, "-n", "2"))

    # -------------------------------------------------------------- 7. bench-cnn

    def step_bench_cnn(self, step):
        if not self.have.get("torch"):  # the CNN bench times nnscratch against PyTorch's own loop
            step.skip("skipped: torch cannot be imported (nnscratch bench --model cnn times against PyTorch)")
            return
        path = self.outdir / "bench-cnn.json"
        backends = ",".join((REFERENCE, *self.backends))
        rc, out = step.run([self.python, "-m", "nnscratch", "bench", "--backends", backends, *self.mode["bench_cnn"],
                            "--json", path], "bench-cnn")
        if rc != 0 or not path.exists():
            step.fail(f"nnscratch bench --model cnn exited {rc}: {last_line(out)}")
            return
        rows = json.loads(path.read_text())["cnn"]
        step.details["rows"] = rows
        base = next((r["median"] for r in rows if r["name"] == f"nnscratch {REFERENCE}"), None)
        for r in rows:
            speed = f", {base / r['median']:.2f}x numpy" if base and r["median"] else ""
            step.note(f"{r['name']}: {r['median']:.3f} s/epoch ({r['samples'] / r['median']:,.0f} samples/s{speed})")


# ------------------------------------------------------------------ reading results

def last_json(text):
    """The last line of ``text`` that parses as a JSON object, or None."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


def last_line(text):
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("$ ")]
    return lines[-1][:400] if lines else "no output"


def file_safe(spec):
    return spec.replace(":", "-")


def test_id(spec):
    """The test id of a backend the plugin adds to tests/conftest.py's fixtures (as conftest names them)."""
    return {"torch:cpu": "torch", "torch:cuda": "torch-cuda"}.get(spec, file_safe(spec))


def read_progress(path):
    """The plugin's progress file: each test's last outcome, the failures, the tests still running."""
    outcomes, started = {}, []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == "start":
                started.append(record["test"])
            elif "outcome" in record:
                previous = outcomes.get(record["test"])
                if previous is None or previous["outcome"] == "passed" or record["outcome"] == "failed":
                    outcomes[record["test"]] = record
    failed = {k: v for k, v in outcomes.items() if v["outcome"] == "failed"}
    return {"outcomes": outcomes, "failed": failed, "running": [t for t in started if t not in outcomes]}


def bench_rows(result):
    return [{k: r.get(k) for k in ("name", "backend", "batch_size", "median", "samples_per_s", "speedup_vs_numpy",
                                   "x_gemm", "gflops")} for r in result["rows"]]


def launch_bound(result, backends):
    """Per backend of ``backends`` and batch size: operations and transfers per step (plain SGD, as
    the bench trains), the launch-bound estimate (ops x 5-10 us) and the measured time per step."""
    out = []
    for r in result["rows"]:
        spec = next((s for s in (r["backend"], r["backend"].rsplit(":", 1)[0]) if s in backends), None)
        counts = (result.get("counts") or {}).get(spec, {}).get("sgd") if spec else None  # keyed as asked
        if not counts:
            continue
        steps = math.ceil(result["samples"] / r["batch_size"])
        out.append({"backend": r["backend"], "batch_size": r["batch_size"], "ops_per_step": counts["ops"],
                    "transfers_per_step": counts["transfers"], "measured_ms_per_step": 1000 * r["median"] / steps,
                    "estimate_ms_per_step": [counts["ops"] * us / 1000 for us in LAUNCH_US]})
    return out


def bench_lines(result, backends):
    lines = []
    for r in result["rows"]:
        speed = f", {r['speedup_vs_numpy']:.2f}x numpy" if r.get("speedup_vs_numpy") else ""
        lines.append(f"batch {r['batch_size']:>5} {r['backend']:<12} {r['median']:.3f} s/epoch, "
                     f"{r['samples_per_s']:,.0f} samples/s{speed}, {r['x_gemm']:.2f}x its GEMM time")
    for e in launch_bound(result, backends):
        low, high = e["estimate_ms_per_step"]
        lines.append(f"batch {e['batch_size']:>5} {e['backend']:<12} {e['ops_per_step']:.0f} ops and "
                     f"{e['transfers_per_step']:.0f} host transfers per step; launch-bound estimate "
                     f"{low:.2f}-{high:.2f} ms, measured {e['measured_ms_per_step']:.3f} ms per step "
                     f"({e['measured_ms_per_step'] / high:.1f}x the upper estimate)")
    return lines


def find_mpiexec():
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if os.access(beside, os.X_OK) else shutil.which("mpiexec")


# ------------------------------------------------------------------ workers (run in the environment, import nnscratch)

def worker_versions():
    """The installed version of each module the check uses ("" when missing), without importing any
    (importing CuPy or torch is the info step's business)."""
    import importlib.metadata
    import importlib.util
    dists = importlib.metadata.packages_distributions()
    found = {}
    for name in ("numpy", "array_api_compat", "array_api_strict", "pooch", "requests", "nnscratch", "cupy", "torch",
                 "mpi4py", "pytest", "xdist", "hypothesis", "sklearn", "matplotlib", "onnxruntime", "ndonnx"):
        spec = importlib.util.find_spec(name)
        if spec is None:
            found[name] = ""
            continue
        try:
            found[name] = ",".join(f"{d} {importlib.metadata.version(d)}"
                                   for d in dict.fromkeys(dists.get(name, ()))) or "found"
        except importlib.metadata.PackageNotFoundError:
            found[name] = "found"
        if name == "nnscratch":
            found["nnscratch_file"] = spec.origin
    print(json.dumps(found))


def worker_probe(*specs):
    import numpy as np

    import nnscratch
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((256, 256)).astype(np.float32) for _ in range(2))
    expected = a.astype(np.float64) @ b.astype(np.float64)
    out = {}
    for spec in specs:
        try:
            backend = nnscratch.get_backend(spec)
            with backend.activate():
                got = backend.to_numpy(backend.asarray(a) @ backend.asarray(b))
            free = backend.memory_info()
            out[spec] = {"describe": backend.describe(),
                         "matmul_rel_error": float(np.max(np.abs(got - expected)) / np.max(np.abs(expected))),
                         "memory": f"{free[0] / 2**30:.1f} of {free[1] / 2**30:.1f} GiB" if free else "unknown"}
        except Exception as exc:
            out[spec] = {"error": f"{type(exc).__name__}: {' '.join(str(exc).split())}"}
    print(json.dumps(out))


def worker_compare(ref_npz, ref_json, npz, history):
    """The largest weight difference (absolute, and relative to the largest weight) and the
    largest difference of any recorded loss, between two ``nnscratch train`` runs."""
    import numpy as np
    with np.load(ref_npz) as a, np.load(npz) as b:
        names = [k for k in a.files if k.startswith("a/") and a[k].dtype.kind == "f"]
        if sorted(names) != sorted(k for k in b.files if k.startswith("a/") and b[k].dtype.kind == "f"):
            raise SystemExit(f"the two models have different parameters: {names} against {b.files}")
        diffs = {k[2:]: float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in names}
        scale = max(float(np.max(np.abs(a[k]))) for k in names)
    where = max(diffs, key=diffs.get)
    losses = [json.loads(Path(p).read_text())["history"] for p in (ref_json, history)]
    keys = [k for k in losses[0] if "loss" in k and k in losses[1]]
    loss_diffs = {f"{k}[{i}]": (abs(x - y), abs(x))
                  for k in keys for i, (x, y) in enumerate(zip(losses[0][k], losses[1][k]))}
    worst = max(loss_diffs, key=lambda k: loss_diffs[k][0]) if loss_diffs else "-"
    loss_max, loss_scale = loss_diffs.get(worst, (0.0, 1.0))
    print(json.dumps({"weights": {"max": diffs[where], "where": where, "scale": scale,
                                  "relative": diffs[where] / max(scale, 1e-30)},
                      "loss": {"max": loss_max, "where": worst, "relative": loss_max / max(loss_scale, 1e-30)}}))


WORKERS = {"versions": worker_versions, "probe": worker_probe, "compare": worker_compare}


# ------------------------------------------------------------------ the wheels

def download_command(dest):
    return [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--no-deps", *PLATFORM,
            "--dest", str(dest), *(requirement for requirement, _ in WHEELS)]


def download_wheels(dest, dry_run):
    command = download_command(dest)
    print(f"the wheels nnscratch needs beyond the node's packages ({', '.join(NODE_HAS)}):")
    for requirement, why in WHEELS:
        print(f"  {requirement:<28} {why}")
    print("$ " + shlex.join(command))
    if dry_run:
        return PASSED
    dest.mkdir(parents=True, exist_ok=True)
    if subprocess.run(command).returncode != 0:
        print("gpu-wheels: pip download failed (see above); is the network reachable?", file=sys.stderr)
        return FAILED
    files, problems = pick_wheels(dest)
    size = sum(f.stat().st_size for f in files) / 1e6
    for problem in problems:
        print(f"gpu-wheels: {problem}", file=sys.stderr)
    print(f"gpu-wheels: {len(files)} wheels, {size:.1f} MB, in {dest}")
    if size > WHEEL_LIMIT_MB:
        print(f"gpu-wheels: {size:.1f} MB is over the {WHEEL_LIMIT_MB} MB limit", file=sys.stderr)
        return FAILED
    return FAILED if problems else PASSED


# ------------------------------------------------------------------ main

def stop_on_sigterm(signum, frame):
    """The end of a slot (or ``timeout``) sends SIGTERM: stop like Ctrl-C, so the report says so."""
    raise KeyboardInterrupt


def parse_args(argv):
    p = argparse.ArgumentParser(prog="ci/gpu-check.sh", description=__doc__.split("\n\n")[0])
    p.add_argument("outdir", nargs="?", help="folder for report.json, summary.txt and logs/ (created)")
    p.add_argument("--rehearse", action="store_true", help="no GPU needed: NumPy against torch:cpu, tiny settings")
    p.add_argument("--backends", help="comma-separated backends to check against NumPy (default: cupy,torch:cuda; "
                   "with --rehearse: torch:cpu)")
    p.add_argument("--budget-scale", type=float, default=1.0, help="multiply every step's time budget")
    p.add_argument("--force", action="store_true", help="write into an outdir that already holds a report")
    p.add_argument("--wheels", action="store_true", help="download the wheels into .whl/ (needs the network)")
    p.add_argument("--dry-run", action="store_true", help="with --wheels: only list the wheels and the command")
    p.add_argument("--dest", default=str(WHEEL_DIR), help="with --wheels: the folder (default .whl/)")
    return p.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--worker"]:  # ci/gpu_check.py --worker NAME ARGS: runs inside the environment
        WORKERS[argv[1]](*argv[2:])
        return PASSED
    args = parse_args(argv)
    if args.wheels:
        return download_wheels(Path(args.dest), args.dry_run)
    if not args.outdir:
        print("gpu-check: usage: bash ci/gpu-check.sh [--rehearse] OUTDIR (one folder for the report)", file=sys.stderr)
        return USAGE
    mode = "rehearsal" if args.rehearse else "gpu"
    gpus = []
    if not args.rehearse:
        gpus, why = find_gpu()
        if not gpus:
            print(f"gpu-check: no GPU here ({why}); nothing was checked. Run it on a machine with an NVIDIA GPU "
                  "and its driver, or with --rehearse to try the pipeline on CPU backends.")
            return NO_GPU
    outdir = Path(args.outdir).resolve()
    if (outdir / "report.json").exists() and not args.force:
        print(f"gpu-check: {outdir} already holds a report; choose another folder or pass --force to replace it.",
              file=sys.stderr)
        return USAGE
    outdir.mkdir(parents=True, exist_ok=True)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()] if args.backends else MODES[mode]["backends"]
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    return Check(outdir, mode, backends, gpus, args.budget_scale).run()


if __name__ == "__main__":
    sys.exit(main())
