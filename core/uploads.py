"""Uploaded files as the app uses them: stored under generated keys (core/storage.py keeps the
bytes), read back, served and removed with the transaction; senders' names cleaned for showing."""

import io
import logging
import unicodedata
import uuid
from typing import BinaryIO

from flask import Response
from flask_babel import gettext
from sqlalchemy.exc import OperationalError

from core import storage

log = logging.getLogger(__name__)


class StorageUnavailable(Exception):
    """The file store cannot take a file (full, read-only, missing); .message is for users."""

    def __init__(self):
        self.message = gettext(
            "The file could not be saved: the server's file storage is full or unavailable. "
            "Nothing was saved. Please try again in a few minutes, and tell the administrator "
            "if it keeps happening."
        )
        super().__init__(self.message)


def display_name(filename: str | None, default: str, limit: int = 200) -> str:
    """The sender's file name fit to show and to offer on download, never to store under.

    Only its last part (after / or \\), without control or formatting characters (NUL, line
    breaks, right-to-left overrides that disguise "gpj.exe" as "exe.jpg").
    """
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name[-limit:] if name.strip(".") else default


def write_upload(folder: str, suffix: str, data: bytes) -> str:
    """Store data under a generated key in folder; return the key, for the record's path column.

    A failed write leaves nothing behind and raises StorageUnavailable. The file goes again if
    the session rolls back, or the app context ends, before a commit records it.
    """
    key = f"{folder}/{uuid.uuid4().hex}{suffix}"
    try:
        storage.backend().put(key, io.BytesIO(data))
    except (OSError, OperationalError) as exc:
        log.error("upload not stored under %s: %s", folder, exc)
        raise StorageUnavailable() from exc
    return key


def _stores() -> list[storage.Storage]:
    # Files written before FILE_STORAGE became "database" stay readable on disk until
    # `flask move-files --to database` has moved them.
    kept = storage.backend()
    return [kept, storage.disk()] if kept.name == "database" else [kept]


def open_upload(key: str) -> BinaryIO:
    """The stored file to read; FileNotFoundError (an OSError) when it is not kept."""
    for store in _stores():
        try:
            return store.open(key)
        except FileNotFoundError:
            continue
    raise FileNotFoundError(key)


def upload_kept(key: str) -> bool:
    """Whether the file is still stored (retention or erasure may have removed it)."""
    return any(store.size(key) is not None for store in _stores())


def read_upload(key: str) -> bytes:
    """The stored file's bytes; FileNotFoundError (an OSError) when it is not kept."""
    with open_upload(key) as stream:
        return stream.read()


def send_upload(key: str, mimetype: str, name: str, as_attachment: bool = False) -> Response | None:
    """The stored file as a download offered as name, not cached; None when it is not kept."""
    for store in _stores():
        response = store.respond(key, mimetype, name, as_attachment)
        if response is not None:
            return response
    return None


def remove_after_commit(keys) -> None:
    """Remove stored files once the transaction that stopped pointing at them commits; keep
    them on rollback."""
    keys = sorted(set(keys))
    for store in _stores():
        store.remove(keys)


def init_app(app) -> None:
    storage.init_app(app)
