"""fetch-mail: read new mail from the bureau's IMAP mailbox (IMAP_* settings) and keep each once.

The mailbox is opened read-only and nothing is marked or deleted there: the app remembers the
highest UID it handled in the folder under its current UIDVALIDITY (MailboxState) and asks for
higher ones. Two fetchers at once may both download a mail; the unique Message-ID keeps one row.
"""

import imaplib
import re
import ssl
from collections import Counter

from flask import current_app
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from core.extensions import db
from core.mail_in.thread import store, store_oversized
from core.models import MailboxState

MAX_MB = 25  # a larger mail is recorded as failed (not downloaded): a person looks in the mailbox
SIZE_RE = re.compile(rb"UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)")


def _connect() -> imaplib.IMAP4:
    cfg = current_app.config
    if cfg["IMAP_SSL"]:
        # imaplib checks no certificate unless given a context that does: the password is at stake.
        imap = imaplib.IMAP4_SSL(
            cfg["IMAP_HOST"],
            cfg["IMAP_PORT"],
            ssl_context=ssl.create_default_context(),
            timeout=cfg["MAIL_TIMEOUT"],
        )
    else:
        imap = imaplib.IMAP4(cfg["IMAP_HOST"], cfg["IMAP_PORT"], timeout=cfg["MAIL_TIMEOUT"])
    try:
        imap.login(cfg["IMAP_USER"], cfg["IMAP_PASSWORD"])
    except BaseException:
        imap.shutdown()
        raise
    return imap


def _check(answer: tuple) -> list:
    status, data = answer
    if status != "OK":
        raise imaplib.IMAP4.error(f"IMAP answered {status}: {data!r}")
    return data


def _sizes(imap: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    data = _check(imap.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)"))
    sizes = {}
    for line in data:
        for match in SIZE_RE.finditer(line if isinstance(line, bytes) else line[0]):
            uid, size = (match.group(1), match.group(2)) if match.group(1) else match.group(4, 3)
            sizes[int(uid)] = int(size)
    return sizes


def _body(imap: imaplib.IMAP4, uid: int) -> bytes:
    for item in _check(imap.uid("FETCH", str(uid), "(BODY.PEEK[])")):
        if isinstance(item, tuple):
            return item[1]
    raise imaplib.IMAP4.error(f"no body for UID {uid}")


def _last_uid(folder: str, uidvalidity: int) -> int:
    state = db.session.get(MailboxState, (folder, uidvalidity))
    return state.last_uid if state else 0


def _read_up_to(folder: str, uidvalidity: int, uid: int) -> None:
    """Remember the folder read up to uid; another fetcher further ahead is never set back."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(
        dialect.insert(MailboxState)
        .values(folder=folder, uidvalidity=uidvalidity, last_uid=0)
        .on_conflict_do_nothing(index_elements=["folder", "uidvalidity"])
    )
    db.session.execute(
        update(MailboxState)
        .where(
            MailboxState.folder == folder,
            MailboxState.uidvalidity == uidvalidity,
            MailboxState.last_uid < uid,
        )
        .values(last_uid=uid)
    )


def fetch_mail(limit: int = 200) -> list[str]:
    """Fetch new mail from the bureau's mailbox onto the leads' timelines (or into triage)."""
    cfg = current_app.config
    if not cfg["IMAP_HOST"]:
        return ["fetch-mail: off (IMAP_HOST is empty)"]
    folder = cfg["IMAP_FOLDER"]
    counts: Counter[str] = Counter()
    imap = _connect()
    try:
        _check(imap.select(f'"{folder}"', readonly=True))
        uidvalidity = int(imap.response("UIDVALIDITY")[1][0])
        last = _last_uid(folder, uidvalidity)
        found = _check(imap.uid("SEARCH", None, f"UID {last + 1}:*"))[0].split()
        # "n:*" names the last mail even when its UID is below n.
        uids = sorted(uid for uid in map(int, found) if uid > last)[:limit]
        sizes = _sizes(imap, uids) if uids else {}
        for uid in uids:
            if sizes.get(uid, 0) > MAX_MB * 1024 * 1024:
                mail = store_oversized(folder, uidvalidity, uid, sizes[uid], MAX_MB)
            else:
                mail = store(_body(imap, uid), folder, uidvalidity, uid)
            counts[mail.status if mail else "fetched by another worker or a copy"] += 1
            _read_up_to(folder, uidvalidity, uid)
            db.session.commit()
    finally:
        db.session.rollback()
        try:
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            imap.shutdown()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing new"
    return [f"fetch-mail: {summary}"]
