"""Download IDX files through pooch: pinned SHA-256, retries, a progress bar."""

import os
import pathlib
import sys
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
