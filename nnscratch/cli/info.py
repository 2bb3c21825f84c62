"""``nnscratch info``: the version, which backends are usable (and why not), their devices, the datasets found;
as text, or with ``--json`` as one JSON line (:func:`gather` holds what both say)."""

import dataclasses
import json
import os

from .app import _version, one_line


def register(subparsers):
    """Add ``nnscratch info``."""
    p = subparsers.add_parser("info", help="version, backends and where data is found",
                              description="Show the nnscratch version, which array backends are "
                              "installed and usable (and why not), their devices, and the datasets found.")
    p.add_argument("--json", action="store_true", help="print one JSON line: version, python, numpy, threads, "
                   "backends (name, installed, usable, version, devices, reason), default_backend, datasets")
    p.set_defaults(func=run_info)


def gather():
    """What ``info`` reports, as a dict (its text and its JSON say the same)."""
    import platform

    import numpy

    from ..backend.core import available_backends, get_backend
    from ..backend.threads import configure, describe_spin
    facts = {"version": _version(), "python": platform.python_version(), "numpy": numpy.__version__,
             "threads": configure(), "spin": describe_spin(),
             "backends": [dataclasses.asdict(b) for b in available_backends()]}
    from .options import check_backend
    try:
        check_backend(None)  # a mistake in $NNSCRATCH_BACKEND is said as every command says it
        facts["default_backend"] = get_backend().describe()
    except Exception as exc:  # the report must not die on a broken default
        facts["default_backend"], facts["default_backend_error"] = None, one_line(exc)
    facts["datasets"] = _datasets()
    return facts


def run_info(args):
    facts = gather()
    if getattr(args, "json", False):
        print(json.dumps(facts))
        return 0
    print(f"nnscratch {facts['version']} (Python {facts['python']}, NumPy {facts['numpy']}); {facts['threads']}")
    if facts["spin"]:
        print(facts["spin"])
    print("backends:")
    for b in facts["backends"]:
        state = "usable" if b["usable"] else ("installed, not usable" if b["installed"] else "not installed")
        devices = f"  devices: {', '.join(b['devices'])}" if b["devices"] else ""
        version = f" {b['version']}" if b["version"] else ""
        print(f"  {b['name']:<17}{state}{version}{devices}")
        if b["reason"]:
            print(f"  {'':<17}{' '.join(b['reason'].split())}")
    default = facts["default_backend"] or f"unavailable ({facts['default_backend_error']})"
    print(f"default backend: {default}")
    print("datasets:")
    for name, where in facts["datasets"].items():
        print(f"  {name:<17}{where['said']}")
    return 0


def _datasets():
    """``{name: {"found": folder or None, "said": the line info prints}}`` of every data set."""
    from ..datasets import fetch
    found = {"mnist-sample": {"found": "shipped", "said": "shipped (8,000 train / 2,000 test)"}}
    data, state = os.environ.get("NNSCRATCH_DATA"), fetch.folder_state(os.environ.get("NNSCRATCH_DATA"))
    for name, source in fetch.SOURCES.items():
        folder = None if state else next((str(d) for d in fetch.search_dirs(name) if fetch.find_in(d, source)), None)
        said = f"found in {folder}" if folder else f"not found; {_when_missing(name)}"
        if state:  # a run refuses it rather than search the next place: said so, not "found in ..."
            said = f"not usable: NNSCRATCH_DATA={data} {state}; set it to the folder of its files, or unset it"
        elif not folder and source.apt:
            said += f" (or `apt-get install {source.apt}`)"
        found[name] = {"found": folder, "said": said}
    return found


def _when_missing(name):
    """What a run needing ``name`` does when its files are not found: download them, or (``$NNSCRATCH_OFFLINE``
    set, as :func:`nnscratch.datasets.fetch.locate` reads it) stop and say where to put them."""
    from ..datasets import fetch
    setting = fetch.offline_setting()
    if setting is None:
        return "downloads on first use"
    return (f"not downloaded (NNSCRATCH_OFFLINE={setting}): put its files in {fetch.cache_dir(name)} or "
            "pass --data-dir, or unset NNSCRATCH_OFFLINE")
