"""The upload store: senders' names cleaned for showing, files living or dying with their
transaction."""

from pathlib import Path

import pytest

from core.extensions import db
from core.uploads import display_name, write_upload


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("card.jpg", "card.jpg"),
        ("..\\..\\Windows\\System32\\evil.csv", "evil.csv"),
        ("C:\\Users\\Li\\Desktop\\名片.jpg", "名片.jpg"),
        ("../../etc/passwd", "passwd"),
        ("/var/lib/app/x.pdf", "x.pdf"),
        ("na\x00me\r\n.csv", "name.csv"),
        ("photo\u202egpj.exe", "photogpj.exe"),
        ("  ..  ", "fallback"),
        ("", "fallback"),
        (None, "fallback"),
    ],
)
def test_a_senders_file_name_is_shown_without_path_or_control_characters(sent, shown):
    assert display_name(sent, "fallback") == shown


def test_long_names_keep_their_end():
    assert display_name("x" * 300 + ".pdf", "", limit=10) == "xxxxxx.pdf"


def test_a_file_goes_with_a_rolled_back_transaction_and_stays_with_a_committed_one(app):
    root = Path(app.config["UPLOAD_DIR"])
    with app.app_context():
        dropped = write_upload("drill", ".bin", b"dropped")
        db.session.execute(db.text("SELECT 1"))
        db.session.rollback()
        kept = write_upload("drill", ".bin", b"kept")
        db.session.commit()
        left = write_upload("drill", ".bin", b"never committed")
    assert not (root / dropped).exists()
    assert (root / kept).read_bytes() == b"kept"
    assert not (root / left).exists()  # the app context ended first
