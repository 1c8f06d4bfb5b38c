"""One entry of a lead's timeline: a sentence, when, of which kind, and what to unfold."""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l

# The kinds a reader filters by, in the order of the filter control.
KINDS = {
    "mail": _l("Emails and inquiries"),
    "activity": _l("Activities and meetings"),
    "stage": _l("Stages"),
    "change": _l("Changes"),
}


@dataclass
class Entry:
    at: datetime
    kind: str  # one of KINDS
    sentence: str
    # Further sentences under it: fields changed, the note of a move, where an entry came from.
    lines: list[str] = field(default_factory=list)
    subject: str = ""
    # The first lines of a message, and its whole text behind a click when there is more.
    preview: str = ""
    text: str = ""
    # Template, language, delivery of an email.
    facts: list[str] = field(default_factory=list)
    # The import whose row this entry records: folded into the meeting that import recorded.
    touch_job: int | None = None
    # The received mail this entry shows, which the composer can answer (its "Reply" link).
    reply_id: int | None = None
    # Breaks ties between entries of the same second: an inquiry before what followed it.
    order: int = 0


def folded(text: str, lines: int = 3, chars: int = 280) -> str:
    """The first lines of a message (without the blank ones), cut short; "" when that is all."""
    kept = [line.strip() for line in (text or "").splitlines() if line.strip()][:lines]
    preview = "\n".join(kept)
    if len(preview) > chars:
        preview = preview[:chars].rstrip() + "…"
    return preview
