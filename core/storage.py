"""Where uploaded files' bytes live: one small interface over two backends, chosen by
FILE_STORAGE: files under UPLOAD_DIR (development) or chunked rows of the stored_file table
(production: every app server sees them, database backups hold them)."""

import io
import os
import shutil
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote

from flask import Response, current_app, g, has_app_context, send_file, stream_with_context
from sqlalchemy import delete, event, func, insert, select

from core.extensions import db
from core.models import ImportJob, LeadFile, ProjectMilestone, StoredFile

BACKENDS = ("disk", "database")
# A chunk row's size: no value larger than this, and a download holds one chunk at a time.
CHUNK_BYTES = 1024 * 1024
# Files written to disk since the last commit, in this app context (request, command, thread).
PENDING = "uploads_pending"


class Storage(Protocol):
    """What a backend does with a key such as "imports/<hex>.csv" (an S3-compatible store would
    be a third). Writes and removals follow the session's transaction: kept if it commits."""

    name: str

    def put(self, key: str, stream: BinaryIO) -> int:
        """Store (or replace) the file; its size. OSError when the store refuses it."""

    def open(self, key: str) -> BinaryIO:
        """The file to read; FileNotFoundError when it is not kept."""

    def size(self, key: str) -> int | None:
        """Its size in bytes; None when it is not kept."""

    def remove(self, keys: Iterable[str]) -> None:
        """Remove the files once the transaction commits; keep them if it rolls back."""

    def stored_keys(self) -> list[str]:
        """Every key kept, in order."""

    def respond(self, key: str, mimetype: str, name: str, as_attachment: bool) -> Response | None:
        """The file as a download answer (not cached); None when it is not kept."""


class DiskStorage:
    """Files under a folder, each written under a temporary name and then renamed, so a key
    never names half a file."""

    name = "disk"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        root = self.root.resolve()
        path = (root / key).resolve()
        # Keys are ours, but none reaches outside the folder, whatever a row says.
        if not path.is_relative_to(root) or path == root:
            raise FileNotFoundError(key)
        return path

    def put(self, key: str, stream: BinaryIO) -> int:
        target = self.path(key)
        temporary = target.with_name(f".{uuid.uuid4().hex}.part")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("xb") as out:
                shutil.copyfileobj(stream, out, CHUNK_BYTES)
            os.replace(temporary, target)
        except OSError:
            with suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise
        g.setdefault(PENDING, []).append(key)
        return target.stat().st_size

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def size(self, key: str) -> int | None:
        try:
            path = self.path(key)
            return path.stat().st_size if path.is_file() else None
        except OSError:
            return None

    def discard(self, key: str) -> None:
        """Remove the file now; one already gone, or a folder that refuses, is no error."""
        with suppress(OSError):
            self.path(key).unlink(missing_ok=True)

    def remove(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if not keys:
            return
        session = db.session()

        def remove(_session):
            event.remove(session, "after_rollback", keep)
            for key in keys:
                self.discard(key)

        def keep(_session):
            # Rolled back: the rows are back, so the files stay.
            event.remove(session, "after_commit", remove)

        event.listen(session, "after_commit", remove, once=True)
        event.listen(session, "after_rollback", keep, once=True)

    def stored_keys(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = (p for p in self.root.rglob("*") if p.is_file() and not p.name.startswith("."))
        return sorted(p.relative_to(self.root).as_posix() for p in found)

    def respond(self, key: str, mimetype: str, name: str, as_attachment: bool) -> Response | None:
        try:
            path = self.path(key)
        except FileNotFoundError:
            return None
        if not path.is_file():
            return None
        return send_file(
            path, mimetype=mimetype, as_attachment=as_attachment, download_name=name, max_age=0
        )


class DatabaseStorage:
    """Files as rows of stored_file, CHUNK_BYTES each, written and removed in the session's
    transaction: a file lives exactly as long as the record that names it."""

    name = "database"

    def put(self, key: str, stream: BinaryIO) -> int:
        db.session.execute(delete(StoredFile).where(StoredFile.key == key))
        number = size = 0
        while True:
            data = stream.read(CHUNK_BYTES)
            if number and not data:
                return size
            db.session.execute(insert(StoredFile), [{"key": key, "chunk": number, "data": data}])
            number, size = number + 1, size + len(data)
            if not data:  # an empty file is one empty chunk, so it is still kept
                return size

    def _chunks(self, key: str) -> tuple[int, int]:
        """(chunks, bytes) of the file; (0, 0) when it is not kept."""
        chunks, size = db.session.execute(
            select(func.count(), func.sum(func.length(StoredFile.data))).where(
                StoredFile.key == key
            )
        ).one()
        return chunks, size or 0

    def open(self, key: str) -> BinaryIO:
        chunks, _size = self._chunks(key)
        if not chunks:
            raise FileNotFoundError(key)
        return io.BufferedReader(ChunkReader(key, chunks), CHUNK_BYTES)

    def size(self, key: str) -> int | None:
        return db.session.scalar(
            select(func.sum(func.length(StoredFile.data))).where(StoredFile.key == key)
        )

    def remove(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            db.session.execute(delete(StoredFile).where(StoredFile.key.in_(keys)))

    def stored_keys(self) -> list[str]:
        return list(
            db.session.scalars(
                select(StoredFile.key).where(StoredFile.chunk == 0).order_by(StoredFile.key)
            )
        )

    def respond(self, key: str, mimetype: str, name: str, as_attachment: bool) -> Response | None:
        chunks, size = self._chunks(key)
        if not chunks:
            return None
        reader = ChunkReader(key, chunks)

        def body() -> Iterator[bytes]:
            # The body is sent after the request's unit of work has ended: each chunk gets a
            # short transaction of its own, so no slow client holds one open (or a connection).
            for data in reader.chunks():
                db.session.rollback()
                yield data

        # The app context stays while the body is sent, for the session that reads the chunks.
        response = Response(stream_with_context(body()), mimetype=mimetype)
        response.content_length = size
        response.cache_control.no_cache = True
        _set_disposition(response, name, as_attachment)
        return response


class ChunkReader(io.RawIOBase):
    """A stored file read one chunk row at a time."""

    def __init__(self, key: str, chunks: int) -> None:
        super().__init__()
        self.key, self.count, self.next = key, chunks, 0
        self.buffer = memoryview(b"")

    def readable(self) -> bool:
        return True

    def _load(self) -> bytes:
        data = db.session.scalar(
            select(StoredFile.data).where(StoredFile.key == self.key, StoredFile.chunk == self.next)
        )
        if data is None:  # removed while being read
            raise FileNotFoundError(self.key)
        self.next += 1
        return bytes(data)

    def readinto(self, target) -> int:
        while not self.buffer and self.next < self.count:
            self.buffer = memoryview(self._load())
        size = min(len(target), len(self.buffer))
        target[:size] = self.buffer[:size]
        self.buffer = self.buffer[size:]
        return size

    def readall(self) -> bytes:
        rest, self.buffer = bytes(self.buffer), memoryview(b"")
        return rest + b"".join(self.chunks())

    def chunks(self) -> Iterator[bytes]:
        while self.next < self.count:
            yield self._load()


def _set_disposition(response: Response, name: str, as_attachment: bool) -> None:
    """Content-Disposition as Flask's send_file writes it (RFC 6266 filename* for non-ASCII)."""
    try:
        name.encode("ascii")
        names = {"filename": name}
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        names = {"filename": simple, "filename*": f"UTF-8''{quote(name, safe='!#$&+^`|~')}"}
    response.headers.set(
        "Content-Disposition", "attachment" if as_attachment else "inline", **names
    )


def disk() -> DiskStorage:
    return DiskStorage(Path(current_app.config["UPLOAD_DIR"]))


def named(name: str) -> Storage:
    if name not in BACKENDS:
        raise ValueError(f"FILE_STORAGE must be one of {', '.join(BACKENDS)}, not {name!r}")
    return disk() if name == "disk" else DatabaseStorage()


def backend() -> Storage:
    """The store new files go to (FILE_STORAGE)."""
    return named(current_app.config.get("FILE_STORAGE", "disk"))


def referenced_keys() -> set[str]:
    """The keys records point at (the columns that hold keys)."""
    keys: set[str] = set()
    for column in (LeadFile.path, ProjectMilestone.path, ImportJob.stored_path):
        keys.update(db.session.scalars(select(column).where(func.coalesce(column, "") != "")))
    return keys


def move_files(source: Storage, target: Storage, report=None) -> dict[str, int]:
    """Move every file from source to target, one commit per file, so a run stopped halfway
    is taken up by the next; counts of moved, already there (copied by a stopped run), failed,
    and referenced by a record but kept in neither store."""
    counts = {"moved": 0, "already": 0, "failed": 0, "missing": 0}
    for key in source.stored_keys():
        try:
            size = source.size(key)
            if target.size(key) == size:
                counts["already"] += 1
            else:
                with source.open(key) as stream:
                    target.put(key, stream)
                counts["moved"] += 1
            source.remove([key])
            db.session.commit()
        except OSError as exc:
            db.session.rollback()
            counts["failed"] += 1
            if report is not None:
                report(f"{key}: {exc}")
    for key in sorted(referenced_keys()):
        if target.size(key) is None and source.size(key) is None:
            counts["missing"] += 1
            if report is not None:
                report(f"{key}: referenced by a record but not stored")
    return counts


def _committed(session) -> None:
    if has_app_context():
        g.pop(PENDING, None)


def _rolled_back(session, previous_transaction) -> None:
    if has_app_context() and not previous_transaction.nested:
        _remove_pending()


def _remove_pending(exc: BaseException | None = None) -> None:
    keys = g.pop(PENDING, [])
    if keys:
        store = disk()
        for key in keys:
            store.discard(key)


def init_app(app) -> None:
    if app.config.get("FILE_STORAGE", "disk") not in BACKENDS:
        raise RuntimeError(f"FILE_STORAGE must be one of: {', '.join(BACKENDS)}")
    for name, listener in (("after_commit", _committed), ("after_soft_rollback", _rolled_back)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
    app.teardown_appcontext(_remove_pending)
