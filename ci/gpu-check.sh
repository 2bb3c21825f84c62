#!/usr/bin/env bash
# The GPU run: bash ci/gpu-check.sh OUTDIR   (from the repository root, on a node with an NVIDIA GPU).
# Everything is in ci/gpu_check.py (its docstring says what it does); PYTHON picks the interpreter.
# Exit status: 0 passed, 1 a step failed or was cut, 2 usage, 3 no GPU here (nothing checked).
#   bash ci/gpu-check.sh --rehearse OUTDIR   the same pipeline on CPU backends (NumPy vs torch:cpu)
set -euo pipefail
case "$0" in */*) cd "${0%/*}/.." ;; *) cd .. ;; esac  # the repository root (no dirname: PATH may be bare)
exec "${PYTHON:-python3}" ci/gpu_check.py "$@"
