"""The test suite leaves the user's folder as it was and says once why tests were skipped
(issue 21, items 12 and 13). The pytest runs here are small subprocesses."""

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _env(*paths):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(map(str, (ROOT, *paths))), OPENBLAS_NUM_THREADS="1")
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_ADDOPTS", None)
    return env


def _pytest(cwd, *args, plugin=False):
    """Run pytest in ``cwd`` on this tree (with tests/conftest.py as a plugin when ``plugin``)."""
    extra = ["-p", "conftest"] if plugin else []
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *extra, *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, env=_env(ROOT / "tests"), timeout=600)


def _listing(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None
            for p in sorted(pathlib.Path(folder).rglob("*"))}


def test_each_test_starts_in_an_empty_folder_of_its_own(tmp_path):
    here = pathlib.Path.cwd()
    assert os.listdir(here) == [] and here != tmp_path
    assert ROOT not in here.parents and here != ROOT


def test_the_suite_passes_and_writes_nothing_where_a_users_model_is(tmp_path):
    """The README's first command leaves model.npz; the tests that met it now pass and write nothing there."""
    user = tmp_path / "user"
    user.mkdir()
    done = subprocess.run([sys.executable, "-m", "nnscratch", "train", "--dataset", "xor", "--epochs", "2",
                           "--quiet"], cwd=user, capture_output=True, text=True, env=_env())
    assert done.returncode == 0 and (user / "model.npz").is_file(), done.stderr
    before = _listing(user)
    done = _pytest(user, ROOT / "tests" / "test_cnn_cli.py::test_model_cnn_on_data_that_are_not_images_is_one_line",
                   ROOT / "tests" / "test_cli.py::test_train_never_silently_replaces_a_model",
                   ROOT / "tests" / "test_cli.py::test_show_without_a_display_fails_before_training")
    assert done.returncode == 0, done.stdout[-3000:]
    assert _listing(user) == before


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """One pytest run of generated tests: 31 skipped for one reason, 5 for another, one that litters
    the folder pytest was started in."""
    tests, user = tmp_path_factory.mktemp("t"), tmp_path_factory.mktemp("user")
    (tests / "test_many.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('i', range(30))\n"
        "def test_gpu(i):\n    pytest.skip('cupy: no usable CUDA GPU')\n\n"
        "@pytest.mark.parametrize('i', range(5))\n"
        "def test_torch(i):\n    pytest.importorskip('no_such_module_here')\n")
    (tests / "test_more.py").write_text(
        "import os\nimport pytest\n\ndef test_gpu_too():\n    pytest.skip('cupy: no usable CUDA GPU')\n\n"
        "def test_litter():\n    open(os.path.join(os.environ['USER_FOLDER'], 'model.npz'), 'w').close()\n")
    env = dict(_env(ROOT / "tests"), USER_FOLDER=str(user))
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "conftest", "-c",
                           str(ROOT / "pyproject.toml"), "--rootdir", str(tests), str(tests)],
                          cwd=user, capture_output=True, text=True, env=env, timeout=600)
    return done, user


def test_a_test_that_writes_into_the_users_folder_fails_the_run(small_run):
    done, user = small_run
    assert "1 passed, 36 skipped" in done.stdout, done.stdout[-2000:]
    assert done.returncode != 0 and f"written by a test: {user / 'model.npz'}" in done.stdout, done.stdout[-2000:]


def test_skips_are_said_once_per_reason(small_run):
    done, _ = small_run
    lines = done.stdout.splitlines()
    assert not [line for line in lines if line.startswith("SKIPPED")], done.stdout[-2000:]
    said = [line for line in lines if line.startswith("skipped ")]
    assert said == ["skipped 31 tests: cupy: no usable CUDA GPU (test_many.py, test_more.py)",
                    "skipped 5 tests: could not import 'no_such_module_here': No module named 'no_such_module_here' "
                    "(test_many.py)"], done.stdout[-2000:]
