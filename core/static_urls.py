"""Static file URLs carry a hash of the file (?v=…): browsers and nginx may keep them a year."""

import hashlib
import os
import threading

from flask import current_app, request

# A year: what `expires max` and `immutable` promise for a URL whose content never changes.
VERSIONED_MAX_AGE = 365 * 24 * 3600
# Characters of the SHA-256 hex digest in the URL: 48 bits, so two versions of a file do not
# share one in practice.
DIGEST_CHARS = 12

_digests: dict[str, tuple[int, int, str]] = {}
_lock = threading.Lock()


def _digest(path: str) -> str | None:
    """The file's content hash, read again only when its size or modification time changes."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    known = _digests.get(path)
    if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
        return known[2]
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()[:DIGEST_CHARS]
    with _lock:
        _digests[path] = (stat.st_mtime_ns, stat.st_size, digest)
    return digest


def _static_folder(endpoint: str) -> str | None:
    if endpoint == "static":
        return current_app.static_folder
    if not endpoint.endswith(".static"):
        return None
    blueprint = current_app.blueprints.get(endpoint.removesuffix(".static"))
    return blueprint.static_folder if blueprint else None


def _file_path(endpoint: str, filename: str) -> str | None:
    folder = _static_folder(endpoint)
    if not folder:
        return None
    path = os.path.realpath(os.path.join(folder, filename))
    # A file name from a template never leaves its folder; refuse to hash one that would.
    if not path.startswith(os.path.realpath(folder) + os.sep):
        return None
    return path


def add_version(endpoint: str, values: dict) -> None:
    """url_for('….static', filename=…) gains v=<hash of the file>."""
    filename = values.get("filename")
    if not filename or "v" in values:
        return
    path = _file_path(endpoint, filename)
    digest = _digest(path) if path else None
    if digest:
        values["v"] = digest


def cache_versioned(response):
    """A static file asked for by its current hash is kept for a year; any other, revalidated."""
    endpoint = request.endpoint or ""
    if response.status_code != 200 or _static_folder(endpoint) is None:
        return response
    path = _file_path(endpoint, (request.view_args or {}).get("filename", ""))
    current = _digest(path) if path else None
    if current and request.args.get("v") == current:
        response.headers["Cache-Control"] = f"public, max-age={VERSIONED_MAX_AGE}, immutable"
    else:
        response.headers["Cache-Control"] = "public, no-cache"
    return response


def init_app(app) -> None:
    app.url_defaults(add_version)
    app.after_request(cache_versioned)
