"""ci/gpu-check.sh, the GPU run, kept from rotting on machines without a GPU.

Here it can only say "no GPU" (tested with fake nvidia-smi commands), list its wheels
(tested against pyproject.toml and the installed packages' own requirements), and run its
whole pipeline on CPU stand-ins (``--rehearse``: NumPy against torch:cpu), which exercises
every step, the budgets, the comparisons and the report. The pieces a GPU run leans on
(cutting a late step, the pytest plugin that adds torch:cuda to the fixtures, the weight
comparison) are tested on their own.
"""

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "ci" / "gpu_check.py"
BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="needs bash")


def _module():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gpu_check = _module()


def _env(**extra):
    env = dict(os.environ, PYTHON=sys.executable, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", **extra)
    env.pop("NNSCRATCH_BACKEND", None)
    return env


def _bash(*args, env=None, timeout=300):
    return subprocess.run([BASH, *map(str, args)], cwd=ROOT, env=env or _env(), capture_output=True, text=True,
                          timeout=timeout)


def _fake_smi(folder, body):
    folder.mkdir(exist_ok=True)
    smi = folder / "nvidia-smi"
    smi.write_text("#!/bin/sh\n" + body + "\n")
    smi.chmod(0o755)
    return folder


# ---------------------------------------------------------------- no GPU: one line, status 3

@pytest.mark.parametrize("case", ["missing", "failing", "empty", "hidden"])
def test_without_a_gpu_it_says_so_in_one_line_and_exits_3(tmp_path, case):
    bin_dir = tmp_path / "bin"
    extra = {}
    if case == "missing":
        bin_dir.mkdir()
        extra["PATH"] = str(bin_dir)  # nothing on PATH: no nvidia-smi (bash and Python are named in full)
    elif case == "failing":
        _fake_smi(bin_dir, "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"; "
                           "exit 9")
    elif case == "empty":
        _fake_smi(bin_dir, "exit 0")
    else:
        _fake_smi(bin_dir, "echo 'NVIDIA H100 80GB HBM3, 580.65, 81559 MiB'")
        extra["CUDA_VISIBLE_DEVICES"] = ""
    extra.setdefault("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    out = tmp_path / "report"
    done = _bash(ROOT / "ci" / "gpu-check.sh", out, env=_env(**extra))
    assert done.returncode == gpu_check.NO_GPU == 3, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpu-check: no GPU here (") and done.stderr == ""
    why = {"missing": "nvidia-smi not found", "failing": "nvidia-smi failed: NVIDIA-SMI has failed",
           "empty": "nvidia-smi lists no GPU", "hidden": "CUDA_VISIBLE_DEVICES=''"}[case]
    assert why in lines[0] and "--rehearse" in lines[0]
    assert not out.exists()  # nothing checked, nothing written


def test_the_script_runs_on_python_3_10_and_imports_nothing_but_the_standard_library():
    tree = ast.parse(SCRIPT.read_text(), feature_version=(3, 10))
    top = {alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    top |= {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
    assert top <= set(sys.stdlib_module_names) | {"__future__"}, top
    ast.parse((ROOT / "ci" / "gpu_pytest_plugin.py").read_text(), feature_version=(3, 10))


def test_usage_errors_and_an_existing_report_are_refused(tmp_path):
    done = _bash(ROOT / "ci" / "gpu-check.sh", "--rehearse")
    assert done.returncode == 2 and "usage" in done.stderr
    (tmp_path / "report.json").write_text("{}")
    done = _bash(ROOT / "ci" / "gpu-check.sh", "--rehearse", tmp_path)
    assert done.returncode == 2 and "already holds a report" in done.stderr and "--force" in done.stderr
    assert (tmp_path / "report.json").read_text() == "{}"  # the earlier report is kept


# ---------------------------------------------------------------- the wheels

def _listed(output):
    return {gpu_check.normalise(m.group(1)): m.group(2)
            for m in re.finditer(r"^  ([A-Za-z0-9_.-]+)==(\S+)", output, re.M)}


def _pyproject_dependencies():
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M).group(1)
    block = re.sub(r"#[^\n]*", "", block)  # comments beside the requirements
    return {gpu_check.normalise(re.split(r"[<>=!~ \[;]", d.strip().strip('",'))[0])
            for d in block.split(",") if d.strip().strip('"')}


def test_the_wheel_list_is_what_nnscratch_needs_beyond_the_node(tmp_path):
    dest = tmp_path / "wheels"
    done = _bash(ROOT / "ci" / "gpu-wheels.sh", "--dry-run", "--dest", dest)
    assert done.returncode == 0, done.stderr
    listed = _listed(done.stdout)
    node = {gpu_check.normalise(n) for n in gpu_check.NODE_HAS}
    assert not dest.exists()  # a dry run fetches nothing
    assert not listed.keys() & node
    # nnscratch's own requirements and the test suite's array-api-strict, unless the node has them
    assert (_pyproject_dependencies() | {"array_api_strict"}) - node <= listed.keys()
    assert {"array_api_compat", "pooch", "platformdirs", "requests"} <= listed.keys()
    # every listed wheel's own requirements are listed or on the node (read from the installed copies)
    import importlib.metadata
    from packaging.requirements import Requirement
    for name in listed:
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": "", "sys_platform": "linux",
                                                          "platform_system": "Linux"}):
                assert gpu_check.normalise(req.name) in listed.keys() | node, f"{name} needs {req.name}"
    command = done.stdout.splitlines()[-1]
    for flag in ("pip download", "--only-binary=:all:", "--no-deps", "--python-version 3.12", "--abi cp312",
                 "--platform manylinux2014_x86_64", f"--dest {dest}"):
        assert flag in command


def test_wheels_are_picked_by_their_pinned_version(tmp_path):
    for requirement, _ in gpu_check.WHEELS:
        name, version = requirement.split("==")
        (tmp_path / f"{gpu_check.normalise(name)}-{version}-py3-none-any.whl").write_bytes(b"")
    (tmp_path / "pooch-0.1-py3-none-any.whl").write_bytes(b"")  # an older download beside it
    idna = dict(r.split("==") for r, _ in gpu_check.WHEELS)["idna"]
    (tmp_path / f"idna-{idna}-py3-none-any.whl").unlink()
    files, problems = gpu_check.pick_wheels(tmp_path)
    assert len(files) == len(gpu_check.WHEELS) - 1 and not any("pooch-0.1" in f.name for f in files)
    assert problems == [f"idna {idna} missing from {tmp_path.name}/"]


# ---------------------------------------------------------------- budgets, comparisons, the report

def test_a_step_that_runs_late_is_cut_with_its_children(tmp_path):
    step = gpu_check.Step("slow", time.monotonic() + 2, 2, tmp_path, dict(os.environ))
    sleeper = ("import subprocess, sys, time; "
               "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
               "print(p.pid, flush=True); time.sleep(60)")
    start = time.monotonic()
    with pytest.raises(gpu_check.Cut):
        step.run([sys.executable, "-c", sleeper], "sleeper")
    assert time.monotonic() - start < 20
    result = step.result()
    assert result["status"] == "cut" and "sleeper: cut after" in result["summary"][0]
    grandchild = int((tmp_path / "slow-sleeper.log").read_text().splitlines()[1])
    for _ in range(50):  # killed with its parent's process group, then reaped
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"process {grandchild} outlived its cut step")
    with pytest.raises(gpu_check.Cut):  # no time left: the next command does not start
        step.run([sys.executable, "-c", "print(1)"], "next")


def test_a_run_out_of_time_still_writes_its_report_and_fails(tmp_path):
    done = _bash(ROOT / "ci" / "gpu-check.sh", "--rehearse", "--budget-scale", "0.01", tmp_path / "out")
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["result"] == "fail" and report["exit_status"] == 1
    assert [(s["name"], s["status"]) for s in report["steps"]] == [("setup", "cut")]
    assert "[cut] setup" in (tmp_path / "out" / "summary.txt").read_text()


def _model(path, weights, losses):
    np.savez(path, __header__=np.frombuffer(b"{}", dtype=np.uint8), **{f"a/{k}": v for k, v in weights.items()},
             **{"a/steps": np.array([3])})
    path.with_suffix(".json").write_text(json.dumps({"epoch": [0, 1], "history": losses}))


def test_two_training_runs_are_compared_weight_by_weight_and_loss_by_loss(tmp_path):
    rng = np.random.default_rng(0)
    weights = {"0.weight": rng.standard_normal((6, 4)).astype(np.float32), "0.bias": np.zeros(4, np.float32)}
    losses = {"loss": [0.9, 0.5], "val_loss": [1.0, 0.6], "accuracy": [0.5, 0.7]}
    _model(tmp_path / "a.npz", weights, losses)
    changed = dict(weights, **{"0.bias": np.array([0, 0, 2e-3, 0], np.float32)})
    _model(tmp_path / "b.npz", changed, dict(losses, val_loss=[1.0, 0.6006], accuracy=[0.0, 0.0]))

    def compare(x, y):
        done = subprocess.run([sys.executable, SCRIPT, "--worker", "compare", tmp_path / f"{x}.npz",
                               tmp_path / f"{x}.json", tmp_path / f"{y}.npz", tmp_path / f"{y}.json"],
                              capture_output=True, text=True, env=_env(PYTHONPATH=str(ROOT)))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    same = compare("a", "a")
    assert same["weights"]["max"] == 0 and same["loss"]["max"] == 0
    diff = compare("a", "b")
    scale = float(np.abs(weights["0.weight"]).max())
    assert diff["weights"]["where"] == "0.bias" and diff["weights"]["max"] == pytest.approx(2e-3)
    assert diff["weights"]["relative"] == pytest.approx(2e-3 / scale)
    assert diff["loss"]["where"] == "val_loss[1]" and diff["loss"]["relative"] == pytest.approx(6e-4 / 0.6)


def test_the_test_progress_says_what_failed_and_what_was_still_running(tmp_path):
    path = tmp_path / "progress.jsonl"
    records = [{"event": "start", "test": "t::a[cupy]"}, {"event": "call", "test": "t::a[cupy]", "outcome": "passed"},
               {"event": "start", "test": "t::b"}, {"event": "call", "test": "t::b", "outcome": "failed",
                                                    "message": "assert 1 == 2"},
               {"event": "teardown", "test": "t::a[cupy]", "outcome": "failed", "message": "boom"},
               {"event": "start", "test": "t::c"}]
    path.write_text("\n".join(map(json.dumps, records)) + "\nnot json\n")
    seen = gpu_check.read_progress(path)
    assert set(seen["failed"]) == {"t::a[cupy]", "t::b"} and seen["running"] == ["t::c"]
    assert seen["failed"]["t::b"]["message"] == "assert 1 == 2"


def test_the_plugin_adds_a_backend_to_the_fixtures_and_tags_each_outcome(tmp_path):
    progress = tmp_path / "progress.jsonl"
    env = _env(NNSCRATCH_TEST_BACKENDS="numpy", PYTEST_PLUGINS="gpu_pytest_plugin",
               NNSCRATCH_GPU_CHECK_EXTRA_BACKENDS="array_api_strict:device2=strict-device2",
               NNSCRATCH_GPU_CHECK_PROGRESS=str(progress),
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "ci")]))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/test_streaming.py", "-k", "small_device_memory"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    outcomes = gpu_check.read_progress(progress)["outcomes"]
    assert {t["backend"] for t in outcomes.values()} == {"numpy", "array_api_strict:device2"}
    assert any("[strict-device2-" in name for name in outcomes) and len(outcomes) == 4
    assert all(t["outcome"] == "passed" for t in outcomes.values())


# ---------------------------------------------------------------- the whole pipeline on CPU stand-ins

def test_the_rehearsal_runs_every_step_and_reports(tmp_path):
    stand_in = "torch:cpu" if importlib.util.find_spec("torch") else "array_api_strict:device1"
    out = tmp_path / "report"
    # Budgets scaled up so that a busy CI machine is not mistaken for a slow pipeline.
    done = _bash(ROOT / "ci" / "gpu-check.sh", "--rehearse", "--backends", stand_in, "--budget-scale", "4", out,
                 timeout=900)
    report = json.loads((out / "report.json").read_text())
    assert done.returncode == 0, (out / "summary.txt").read_text()
    assert report["mode"] == "rehearsal" and report["result"] == "pass" and report["backends"] == [stand_in]
    assert [s["name"] for s in report["steps"]] == list(gpu_check.STEPS)
    steps = {s["name"]: s for s in report["steps"]}
    assert all(s["status"] == "pass" for n, s in steps.items() if n not in ("mpi", "bench-cnn"))
    assert steps["mpi"]["status"] in ("pass", "skipped")
    # the CNN bench times against PyTorch: skipped without it (the README's test command installs no torch)
    assert steps["bench-cnn"]["status"] == ("pass" if importlib.util.find_spec("torch") else "skipped")
    assert stand_in in steps["info"]["details"]["probes"]
    passed = [t for t in steps["tests"]["details"]["tests"]["outcomes"].values() if t["backend"] == stand_in]
    assert passed and all(t["outcome"] == "passed" for t in passed)
    runs = steps["train"]["details"]["runs"]
    for model in ("mlp", "cnn"):
        diff = runs[f"{model} {stand_in}"]["difference"]
        assert diff["weights"]["relative"] <= gpu_check.WEIGHT_RTOL and diff["loss"]["relative"] <= gpu_check.LOSS_RTOL
    bound = steps["bench"]["details"]["launch_bound"]
    assert bound and all(b["ops_per_step"] > 0 and b["measured_ms_per_step"] > 0 for b in bound)
    summary = (out / "summary.txt").read_text()
    assert summary.startswith("nnscratch gpu-check (rehearsal)") and "[pass] train" in summary
    assert (out / "bench.json").exists() and (out / "logs" / "info-nnscratch-info.log").exists()
