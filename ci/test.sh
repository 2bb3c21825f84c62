#!/usr/bin/env bash
# What CI runs: a fresh virtual environment, the README's test command, with
# torch==2.13.0 added so the PyTorch tests run (a CPU build of exactly that
# version is on these machines; any other version pulls CUDA packages), and the
# mpi extra's mpi4py + mpich so the MPI tests run.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${NNSCRATCH_CI_VENV:-.venv-ci}"
rm -rf "$venv"
python3 -m venv "$venv"
# shellcheck disable=SC1091
. "$venv/bin/activate"
python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
# The [mpi] extra's packages (keep in step with pyproject.toml), so tests/test_mpi.py
# launches mpiexec instead of skipping; added like torch, since neither belongs in
# the README's test command (both optional, both skipped cleanly without them).
python -m pip install --quiet --disable-pip-version-check "mpi4py>=4" "mpich>=4"

# The docs extra (mkdocs, Material, mkdocstrings, sybil), so tests/test_docs.py runs every
# code block of README.md and docs/ and builds the site with `mkdocs build --strict`
# instead of skipping (the README's user commands do not need it).
python -m pip install --quiet --disable-pip-version-check -e ".[docs]"

# The README's test command, exactly:
pip install -e ".[test]" && pytest
