#!/usr/bin/env bash
# Run where the network is reachable, before the GPU slot: downloads into .whl/ the wheels
# (CPython 3.12, manylinux x86_64) that nnscratch and its tests need beyond the GPU node's
# preinstalled packages; ci/gpu-check.sh installs them there with pip --no-index.
#   bash ci/gpu-wheels.sh             download (about 1 MB)
#   bash ci/gpu-wheels.sh --dry-run   list the wheels and print the pip command, fetch nothing
set -euo pipefail
case "$0" in */*) cd "${0%/*}/.." ;; *) cd .. ;; esac  # the repository root (no dirname: PATH may be bare)
exec "${PYTHON:-python3}" ci/gpu_check.py --wheels "$@"
