"""Discovery: which array libraries are installed here, which can run, on which devices, and why not."""

import importlib.util
from dataclasses import dataclass

from .adapters import DEVICE_LISTS, import_library
from ..errors import BackendUnavailableError

NAMES = ("numpy", "cupy", "torch", "array_api_strict")  # every backend nnscratch knows


@dataclass(frozen=True)
class BackendInfo:
    """What ``available_backends()`` reports for one library."""
    name: str
    installed: bool
    usable: bool
    devices: tuple[str, ...] = ()
    version: str = ""
    reason: str = ""


def available_backends() -> list[BackendInfo]:
    """Every known backend: installed or not, usable or not (and why), devices."""
    return [_probe(name) for name in NAMES]


def _probe(name):
    try:
        lib = import_library(name)
    except BackendUnavailableError as exc:  # missing, or installed but broken (its import fails)
        return BackendInfo(name, _installed(name), False, reason=str(exc))
    version = getattr(lib, "__version__", "")
    try:
        devices = DEVICE_LISTS[name](lib)
    except BackendUnavailableError as exc:
        return BackendInfo(name, True, False, version=version, reason=str(exc))
    return BackendInfo(name, True, True, tuple(devices), version)


def _installed(name):
    """Whether the package ``name`` is there to import (found without running it: a broken install counts)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: a module in sys.modules without a spec
        return False
