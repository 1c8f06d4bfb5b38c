"""The per-lead reply address of mail to an investor, and finding the lead again from a reply.

The token is the lead's id signed with SECRET_KEY: nothing to store, and a guessed token names
no lead. MAIL_REPLY_ROUTE says where it travels: "address" (invest+<token>@…, plus-addressing)
or "subject" ("… [QY-<token>]") for mail servers without plus-addressing.
"""

import hashlib
import hmac
import re
from email.utils import formataddr, parseaddr

from flask import current_app

TOKEN_RE = re.compile(r"\bL(\d{1,12})-([0-9a-f]{10})\b")
SUBJECT_TAG_RE = re.compile(r"\[QY-(L\d{1,12}-[0-9a-f]{10})\]")


def _signature(lead_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"reply:{lead_id}".encode(), hashlib.sha256).hexdigest()[:10]


def token(lead_id: int) -> str:
    return f"L{lead_id}-{_signature(lead_id)}"


def lead_id_of(token_text: str) -> int | None:
    """The lead a token names, if its signature holds."""
    match = TOKEN_RE.search(token_text or "")
    if not match:
        return None
    lead_id = int(match.group(1))
    return lead_id if hmac.compare_digest(match.group(2), _signature(lead_id)) else None


def bureau_address() -> str:
    return parseaddr(current_app.config["BUREAU_EMAIL"])[1]


def sender(officer_name: str | None) -> str:
    """The From header: the bureau's address, with the owning officer's name when there is one."""
    bureau = current_app.config["MAIL_FROM_NAME"]
    name = f"{officer_name} — {bureau}" if officer_name else bureau
    return formataddr((name, bureau_address()))


def reply_address(lead_id: int) -> str:
    """Where a reply to mail about this lead should go."""
    if current_app.config["MAIL_REPLY_ROUTE"] == "subject":
        return bureau_address()
    local, _, domain = bureau_address().partition("@")
    return f"{local}+{token(lead_id)}@{domain}"


def tagged_subject(subject: str, lead_id: int) -> str:
    """The subject, carrying the token when the mail server cannot plus-address."""
    if current_app.config["MAIL_REPLY_ROUTE"] != "subject":
        return subject
    return f"{subject} [QY-{token(lead_id)}]"


def lead_from_addresses(addresses: list[str], subject: str) -> int | None:
    """The lead a received mail's recipients (invest+<token>@…) or subject tag point to."""
    local = bureau_address().partition("@")[0].lower()
    for address in addresses:
        mailbox = address.lower().partition("@")[0]
        if mailbox.startswith(local + "+"):
            found = lead_id_of(mailbox[len(local) + 1 :].replace("l", "L", 1))
            if found:
                return found
    tag = SUBJECT_TAG_RE.search(subject or "")
    return lead_id_of(tag.group(1)) if tag else None
