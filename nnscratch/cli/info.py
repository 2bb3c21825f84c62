"""``nnscratch info``: the version, which backends are usable (and why not), their devices, the datasets found."""

from .app import _version, one_line


def register(subparsers):
    """Add ``nnscratch info``."""
    p = subparsers.add_parser("info", help="version, backends and where data is found",
                              description="Show the nnscratch version, which array backends are "
                              "installed and usable (and why not), their devices, and the datasets found.")
    p.set_defaults(func=run_info)


def run_info(args):
    import platform

    import numpy

    from ..backend.core import available_backends, get_backend
    from ..backend.threads import configure, describe_spin
    print(f"nnscratch {_version()} (Python {platform.python_version()}, NumPy {numpy.__version__}); {configure()}")
    spin = describe_spin()
    if spin:
        print(spin)
    print("backends:")
    for b in available_backends():
        state = "usable" if b.usable else ("installed, not usable" if b.installed else "not installed")
        devices = f"  devices: {', '.join(b.devices)}" if b.devices else ""
        version = f" {b.version}" if b.version else ""
        print(f"  {b.name:<17}{state}{version}{devices}")
        if b.reason:
            print(f"  {'':<17}{' '.join(b.reason.split())}")
    try:
        print(f"default backend: {get_backend().describe()}")
    except Exception as exc:  # the report must not die on a broken default
        print(f"default backend: unavailable ({one_line(exc)})")
    _print_data()
    return 0


def _print_data():
    from ..datasets import fetch
    print("datasets:")
    print("  mnist-sample     shipped (8,000 train / 2,000 test)")
    for name, source in fetch.SOURCES.items():
        found = next((d for d in fetch.search_dirs(name) if fetch.find_in(d, source)), None)
        where = f"found in {found}" if found else f"not found; {_when_missing(name)}"
        if not found and source.apt:
            where += f" (or `apt-get install {source.apt}`)"
        print(f"  {name:<17}{where}")


def _when_missing(name):
    """What a run needing ``name`` does when its files are not found: download them, or (``$NNSCRATCH_OFFLINE``
    set, as :func:`nnscratch.datasets.fetch.locate` reads it) stop and say where to put them."""
    from ..datasets import fetch
    setting = fetch.offline_setting()
    if setting is None:
        return "downloads on first use"
    return (f"not downloaded (NNSCRATCH_OFFLINE={setting}): put its files in {fetch.cache_dir(name)} or "
            "pass --data-dir, or unset NNSCRATCH_OFFLINE")
