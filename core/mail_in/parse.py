"""Reading one received mail: headers decoded (RFC 2047, any charset Python knows, GB18030
among them), the text (plain preferred; HTML turned into text, never rendered), attachments,
and whether it is an automatic reply or a delivery failure report."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser

# Subjects of out-of-office and other automatic replies (Outlook, Exchange, Gmail, Foxmail, QQ).
AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto[- ]?reply|autoreply|auto:|out of (the )?office|自动回复|"
    r"自動回覆|abwesenheitsnotiz|automatische antwort|réponse automatique|absence)",
    re.IGNORECASE,
)
TEXT_MAX = 200_000  # characters of a body kept: enough for any letter, not a mailbomb


class Unparseable(ValueError):
    """The bytes are not a mail we can read; the message says why (kept with the raw bytes)."""


@dataclass
class Attachment:
    filename: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str
    from_name: str
    from_address: str
    recipients: list[str]
    subject: str
    sent_at: datetime | None
    in_reply_to: str
    references: str
    body_text: str
    from_html: bool
    kind: str = "mail"  # mail | auto_reply | bounce
    bounced: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


def digest_id(raw: bytes) -> str:
    """A stand-in Message-ID for mail without one: the same bytes give the same id."""
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError, LookupError):  # a header the parser trips on
        return ""
    return " ".join(str(value or "").split())


def _text_of(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        # An unknown or wrong charset: the bytes as best we can, never a lost mail.
        data = part.get_payload(decode=True) or b""
        for charset in (part.get_content_charset() or "", "utf-8", "gb18030"):
            try:
                return data.decode(charset) if charset else data.decode("utf-8")
            except (LookupError, UnicodeError):
                continue
        return data.decode("utf-8", "replace")


class _TextOfHtml(HTMLParser):
    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "blockquote", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The words of an HTML mail, paragraphs kept; tags, scripts and styles gone."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    text = unescape("".join(parser.parts)).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _body(msg: EmailMessage) -> tuple[str, bool]:
    part = msg.get_body(preferencelist=("plain",))
    if part is not None:
        return _text_of(part).strip()[:TEXT_MAX], False
    part = msg.get_body(preferencelist=("html",))
    if part is not None:
        return html_to_text(_text_of(part))[:TEXT_MAX], True
    return "", False


def _attachments(msg: EmailMessage) -> list[Attachment]:
    found = []
    for part in msg.iter_attachments():
        if part.get_content_maintype() in ("multipart", "message"):
            continue
        data = part.get_payload(decode=True) or b""
        if data:
            found.append(Attachment(part.get_filename() or "", data))
    return found


def _bounced(msg: EmailMessage) -> list[str]:
    """The recipients a delivery status notification (RFC 3464) says failed."""
    addresses = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in part.get_payload():
            action = str(block.get("Action", "")).strip().lower()
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            if action == "failed" and ";" in recipient:
                addresses.append(recipient.split(";", 1)[1].strip().lower())
    return addresses


def _is_auto_reply(msg: EmailMessage, subject: str) -> bool:
    auto = _header(msg, "Auto-Submitted").lower()
    return (
        (auto not in ("", "no"))
        or bool(msg.get("X-Autoreply") or msg.get("X-Autorespond"))
        or _header(msg, "Precedence").lower() == "auto_reply"
        or bool(AUTO_REPLY_SUBJECT.match(subject))
    )


def parse(raw: bytes) -> ParsedMail:
    """The mail in raw; Unparseable when it has no sender and no Message-ID (not a mail)."""
    try:
        msg = message_from_bytes(raw, policy=policy.default)
        subject = _header(msg, "Subject")
        from_name, from_address = parseaddr(_header(msg, "From"))
        message_id = _header(msg, "Message-ID")
        if not from_address and not message_id:
            raise Unparseable("no sender and no Message-ID: not a mail")
        fields = [_header(msg, name) for name in ("To", "Cc", "Delivered-To", "X-Original-To")]
        recipients = [address.lower() for _, address in getaddresses(fields) if address]
        try:
            sent_at = parsedate_to_datetime(_header(msg, "Date")).astimezone(UTC)
        except (TypeError, ValueError, IndexError):
            sent_at = None
        body, from_html = _body(msg)
        parsed = ParsedMail(
            message_id=message_id[:500] or digest_id(raw),
            from_name=from_name[:200],
            from_address=from_address.lower()[:254],
            recipients=recipients,
            subject=subject[:500],
            sent_at=sent_at,
            in_reply_to=_header(msg, "In-Reply-To")[:500],
            references=_header(msg, "References")[-4000:],
            body_text=body,
            from_html=from_html,
            attachments=_attachments(msg),
        )
        if msg.get_content_type() == "multipart/report":
            parsed.kind, parsed.bounced = "bounce", _bounced(msg)
        elif _is_auto_reply(msg, subject):
            parsed.kind = "auto_reply"
        return parsed
    except Unparseable:
        raise
    except Exception as exc:  # the parser's own bugs included: the mail is kept, not dropped
        raise Unparseable(f"{type(exc).__name__}: {exc}") from exc
