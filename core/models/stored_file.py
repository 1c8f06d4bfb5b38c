"""StoredFile: an uploaded file's bytes kept in the database, in chunks of about 1 MB."""

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db


class StoredFile(db.Model):
    """One chunk of a file: the rows of a key, in chunk order, are the file (core/storage.py).

    Chunked so no value is larger than a chunk, and a download reads one chunk at a time.
    """

    __tablename__ = "stored_file"

    # The same key the record holds in its path column ("imports/<hex>.csv").
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    chunk: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"<StoredFile {self.key} chunk {self.chunk}>"
