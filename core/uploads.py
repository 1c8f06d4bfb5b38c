"""Uploaded files on disk under UPLOAD_DIR: generated names, senders' names cleaned for showing,
and files that live or die with the transaction recording them (never an orphan on disk)."""

import logging
import unicodedata
import uuid
from contextlib import suppress
from pathlib import Path

from flask import current_app, g, has_app_context
from flask_babel import gettext
from sqlalchemy import event

from core.extensions import db

log = logging.getLogger(__name__)
# Files written since the last commit, in this app context (request, command or thread).
PENDING = "uploads_pending"


class StorageUnavailable(Exception):
    """The upload folder cannot take a file (full, read-only, missing); .message is for users."""

    def __init__(self):
        self.message = gettext(
            "The file could not be saved: the server's file storage is full or unavailable. "
            "Nothing was saved. Please try again in a few minutes, and tell the administrator "
            "if it keeps happening."
        )
        super().__init__(self.message)


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def display_name(filename: str | None, default: str, limit: int = 200) -> str:
    """The sender's file name fit to show and to offer on download, never to store under.

    Only its last part (after / or \\), without control or formatting characters (NUL, line
    breaks, right-to-left overrides that disguise "gpj.exe" as "exe.jpg").
    """
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name[-limit:] if name.strip(".") else default


def write_upload(folder: str, suffix: str, data: bytes) -> str:
    """Write data under UPLOAD_DIR/folder/ with a generated name; return the path under UPLOAD_DIR.

    A failed write leaves nothing behind and raises StorageUnavailable. The file is removed
    again if the session rolls back, or the app context ends, before a commit records it.
    """
    relative = f"{folder}/{uuid.uuid4().hex}{suffix}"
    target = upload_root() / relative
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as out:
            out.write(data)
    except OSError as exc:
        log.error("upload not stored under %s: %s", target.parent, exc)
        remove_upload(relative)
        raise StorageUnavailable() from exc
    g.setdefault(PENDING, []).append(relative)
    return relative


def remove_upload(relative: str | None) -> None:
    """Remove a stored file; a file already gone, or a folder that refuses, is no error."""
    if relative:
        with suppress(OSError):
            (upload_root() / relative).unlink(missing_ok=True)


def remove_after_commit(paths: list[Path]) -> None:
    """Delete files once the transaction that stopped pointing at them commits; keep them on
    rollback."""
    session = db.session()

    def remove(_session):
        event.remove(session, "after_rollback", keep)
        for path in paths:
            path.unlink(missing_ok=True)

    def keep(_session):
        # Rolled back: the rows are back, so the files stay.
        event.remove(session, "after_commit", remove)

    if paths:
        event.listen(session, "after_commit", remove, once=True)
        event.listen(session, "after_rollback", keep, once=True)


def _committed(session) -> None:
    if has_app_context():
        g.pop(PENDING, None)


def _rolled_back(session, previous_transaction) -> None:
    if has_app_context() and not previous_transaction.nested:
        _remove_pending()


def _remove_pending(exc: BaseException | None = None) -> None:
    for relative in g.pop(PENDING, []):
        remove_upload(relative)


def init_app(app) -> None:
    for name, listener in (("after_commit", _committed), ("after_soft_rollback", _rolled_back)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
    app.teardown_appcontext(_remove_pending)
