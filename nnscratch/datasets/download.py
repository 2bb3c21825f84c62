"""Download IDX files through pooch: pinned SHA-256, retries, a progress bar.

Downloads are atomic: pooch writes each file under a temporary name in the cache folder
and renames it only once its SHA-256 matches, so an interrupted download (Ctrl-C, a lost
connection) leaves no file that a later run would read.
"""

import logging
import os
import pathlib
import sys
import tempfile
from urllib.parse import urlsplit

RETRIES = 2  # tries per mirror after the first


def _progressbar():
    """tqdm's bar on an interactive stderr; nothing otherwise (or without tqdm)."""
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return sys.stderr.isatty()


def _bases(name, source, base_url):
    """The URLs to try, in order: ``base_url``, ``$NNSCRATCH_DATA_URL``, or the mirrors."""
    override = base_url or os.environ.get("NNSCRATCH_DATA_URL")
    if override:
        return [override.format(name=name).rstrip("/") + "/"]
    return list(source.mirrors)


def fetch_all(name, source, target, base_url=None):
    """Download the four files of ``source`` into ``target``.

    Returns ``(paths, None)`` on success, or ``(None, reason)`` where reason is
    a phrase saying why every mirror failed.
    """
    try:
        import pooch
    except ImportError:
        return None, "downloading needs pooch (`pip install pooch`)"

    unusable = _unwritable(target) or next(filter(None, map(_not_a_url, _bases(name, source, base_url))), None)
    if unusable:
        return None, unusable
    quiet = _NoRetryNotes()
    pooch.get_logger().addFilter(quiet)
    try:
        return _from_mirrors(pooch, name, source, target, base_url)
    finally:
        pooch.get_logger().removeFilter(quiet)


class _NoRetryNotes(logging.Filter):
    """Drops pooch's "Failed to download ... Will attempt the download again" lines: a failure that lasts is
    said once, in the error; pooch's "Downloading file ..." lines stay."""

    def filter(self, record):
        return not str(record.msg).startswith("Failed to download")


def _from_mirrors(pooch, name, source, target, base_url):
    """``(paths, None)`` from the first mirror that serves all the files, else ``(None, reason)``."""
    reasons = []
    for base in _bases(name, source, base_url):
        registry = {f: "sha256:" + h for f, h in source.sha256.items()}
        store = pooch.create(path=target, base_url=base, registry=registry,
                             retry_if_failed=RETRIES)
        try:
            paths = [store.fetch(f, progressbar=_progressbar()) for f in source.filenames]
        except Exception as exc:  # network errors come from requests, hash errors as ValueError
            reasons.append(f"{urlsplit(base).netloc}: {_reason(exc)}")
            continue
        return [pathlib.Path(p) for p in paths], None
    return None, "the download failed (" + "; ".join(reasons) + ")"


def _unwritable(target):
    """Why files cannot be saved in the cache folder ``target`` (a phrase), or None when they can."""
    try:
        pathlib.Path(target).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=target):
            pass
    except OSError as exc:
        return (f"the cache folder {target} cannot be written ({exc.strerror or exc}); point XDG_CACHE_HOME at a "
                "writable folder")
    return None


def _not_a_url(base):
    """Why ``base`` cannot be downloaded from (a phrase), or None for an http(s) or ftp URL."""
    if urlsplit(base).scheme in ("http", "https", "ftp"):
        return None
    return (f"the download URL {base.rstrip('/')!r} (NNSCRATCH_DATA_URL or base_url) is not an http://, https:// "
            "or ftp:// URL; a folder of the files is named by --data-dir or NNSCRATCH_DATA")


def _reason(exc):
    """A few words on why a download failed."""
    name = type(exc).__name__
    if "Connection" in name or "Timeout" in name:
        return "no connection (offline?)"
    response = getattr(exc, "response", None)
    if response is not None:
        return f"HTTP {response.status_code}"
    text = str(exc).splitlines()[0] if str(exc) else name
    if "hash" in text.lower():
        return "the file's SHA-256 does not match the pinned one"
    return text[:120]
